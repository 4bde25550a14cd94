import FuzzSupport
import MailAuthentication

// libFuzzer target: a SASL XOAUTH2 initial response, as base64 (what IMAP, POP3 and SMTP read) and as
// the decoded string. Invariants: no trap; a success names a user and a token, and its re-encoding
// parses back to the same credentials.

func checkSuccess(_ result: Result<XOAUTH2Credentials, XOAUTH2Credentials.ParseError>) {
    guard case .success(let credentials) = result else { return }
    guard !credentials.user.isEmpty, !credentials.token.isEmpty else { fatalError("empty user or token") }
    guard case .success(let again) = XOAUTH2Credentials.parse(base64: credentials.initialResponse), again == credentials
    else { fatalError("\(credentials) does not survive its own initial response") }
}

runFuzzer { input in
    let text = String(decoding: input, as: UTF8.self)
    checkSuccess(XOAUTH2Credentials.parse(base64: text))
    checkSuccess(XOAUTH2Credentials.parse(decoded: text))
}
