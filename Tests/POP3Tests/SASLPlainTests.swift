import Foundation
import MailAuthentication
import Testing

/// RFC 4616 PLAIN, parsed once for IMAP and POP3.
@Suite struct SASLPlainTests {
    static func b64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    @Test func parsesAuthzidUserAndPassword() {
        #expect(
            SASLPlain.parse(base64: Self.b64("\u{0}helpdesk@contoso.com\u{0}pw"))
                == .success(SASLPlain(user: "helpdesk@contoso.com", password: "pw")))
        #expect(
            SASLPlain.parse(base64: Self.b64("admin\u{0}user\u{0}pw"))
                == .success(SASLPlain(authorizationIdentity: "admin", user: "user", password: "pw")))
        // Missing padding is tolerated.
        let unpadded = Self.b64("\u{0}u\u{0}p").replacingOccurrences(of: "=", with: "")
        #expect(SASLPlain.parse(base64: unpadded) == .success(SASLPlain(user: "u", password: "p")))
    }

    @Test(arguments: [
        ("!!!", SASLPlain.Failure.invalidBase64), (b64("user\u{0}pw"), .notThreeFields),
        (b64("a\u{0}b\u{0}c\u{0}d"), .notThreeFields), (b64("\u{0}\u{0}pw"), .emptyUser),
        (b64("\u{0}u\u{0}"), .emptyPassword),
    ])
    func refusesMalformedMessages(text: String, failure: SASLPlain.Failure) {
        #expect(SASLPlain.parse(base64: text) == .failure(failure))
    }
}
