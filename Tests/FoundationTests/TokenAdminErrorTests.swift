import ExomockTestSupport
import Foundation
import Testing

/// The per-cloud token-service admin routes (`/{cloud}/revoke-sessions`, `/{cloud}/sso`,
/// `/{cloud}/device/...`) answer a wrong request as every other admin route does: `400` with `error` (what
/// was wrong) and `fix` (what to send instead).
struct TokenAdminErrorTests {
    @Test("unknown user, in sso, approve without user, an unknown user code, an unknown name: error and fix")
    func errorsCarryAFix() throws {
        let mock = try ServedExomock(label: "token-admin-errors")
        let form = ["-X", "POST", "-H", "Content-Type: application/x-www-form-urlencoded"]
        let cases: [(path: String, body: String, error: String)] = [
            ("/gcc-high/revoke-sessions", "user=nobody@contoso.onmicrosoft.us", "unknown user 'nobody@contoso"),
            ("/gcc-high/sso", "users=nobody@contoso.onmicrosoft.us", "unknown user 'nobody@contoso"),
            ("/gcc-high/device/approve", "user_code=ABCD1234", "no `user`"),
            ("/gcc-high/device/decline", "user_code=NOPE0000", "That code didn't work"),
            // A misspelt name in a form is refused as an unknown JSON key is, not read as "no users".
            ("/gcc-high/sso", "usres=agent@contoso.onmicrosoft.us", "unknown parameter 'usres'"),
            ("/gcc-high/revoke-sessions?usr=x", "user=agent@contoso.onmicrosoft.us", "unknown parameter 'usr'"),
        ]
        for c in cases {
            let answer = try mock.admin.request(c.path, form + ["--data", c.body])
            let json = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]
            #expect(answer.status == 400, "\(c.path): \(answer)")
            #expect((json?["error"] as? String)?.contains(c.error) == true, "\(c.path): \(answer.body)")
            #expect((json?["fix"] as? String).map { !$0.isEmpty } == true, "\(c.path) has a fix: \(answer.body)")
        }
        #expect(mock.stop() == 0)
    }
}
