import ExomockTestSupport
import Foundation
import Testing

/// The README's tour, command for command: `exomock serve` with the built-in quickstart, a token from
/// the GCC High token service with curl, the shared mailbox read over IMAP with curl and XOAUTH2, and
/// the clock moved 91 days through the admin API. This is also the end-to-end test of the real
/// token check (`ExchangeAuthenticator`): tokens minted by the token service, judged by the IMAP server.
@Suite(.serialized)
struct TourTests {
    @Test("README tour: client-credentials token, IMAP fetch with XOAUTH2, no access to another mailbox, dead after 91 days")
    func tour() throws {
        let mock = try ServedExomock(label: "tour")
        let ready = mock.ready
        let cloud = try mock.cloud()
        let imap = try cloud.listener("imap")

        // Step 2: a token the way a mail handler gets one.
        let tokenResponse = try ServedExomock.curl([
            "--cacert", ready.ca_file, "\(cloud.authority_url)/contoso.onmicrosoft.us/oauth2/v2.0/token",
            "-d", "grant_type=client_credentials", "-d", "client_id=11111111-2222-3333-4444-555555555555",
            "-d", "client_secret=quickstart-secret", "-d", "scope=https://outlook.office365.us/.default",
        ])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(tokenResponse.output.utf8)) as? [String: Any], "\(tokenResponse)")
        let token = try #require(json["access_token"] as? String, "no access_token in \(tokenResponse.output)")

        // Step 3: the shared mailbox over IMAP, XOAUTH2 with that token.
        func fetch(as user: String) throws -> ProgramResult {
            try ServedExomock.curl([
                "-v", "--cacert", ready.ca_file, "--login-options", "AUTH=XOAUTH2", "--user", user,
                "--oauth2-bearer", token, "imaps://\(imap.host):\(imap.port)/INBOX;UID=1",
            ])
        }
        let fetched = try fetch(as: "helpdesk@contoso.onmicrosoft.us")
        #expect(fetched.status == 0, "curl failed: \(fetched.error)")
        #expect(fetched.output.contains("Subject:"), "no message came back: \(fetched.output.prefix(300))")
        #expect(fetched.error.contains("OK AUTHENTICATE completed."))

        // The app's service principal has no FullAccess on the admin's own mailbox: Exchange lets
        // AUTHENTICATE succeed and refuses the mailbox afterwards.
        let other = try fetch(as: "admin@contoso.onmicrosoft.us")
        #expect(other.status != 0)
        #expect(other.error.contains("OK AUTHENTICATE completed."), "\(other.error)")
        #expect(other.error.contains("BAD User is authenticated but not connected."), "\(other.error)")

        // Step 4: 91 days later the same token is long expired, on the virtual clock.
        let advanced = try ServedExomock.curl(["-X", "POST", "\(ready.admin_url)/clock/advance", "-d", #"{"by": "91d"}"#])
        #expect(advanced.output.contains("2026-04-02"), "\(advanced.output)")
        let expired = try fetch(as: "helpdesk@contoso.onmicrosoft.us")
        #expect(expired.status != 0)
        #expect(expired.error.contains("NO AUTHENTICATE failed."), "\(expired.error)")

        let journal = try ServedExomock.curl(["\(ready.admin_url)/journal"]).output
        #expect(journal.contains(#""reason":"no_mailbox_access""#), "journal lacks the access reason")
        #expect(journal.contains(#""reason":"token_expired""#), "journal lacks the expiry reason")
        #expect(journal.contains(#""event":"clock.advanced""#))

        // The same events, counted for Prometheus: one token, one login, one login to a mailbox the
        // app may not open, one expired token.
        let metrics = try ServedExomock.curl(["\(ready.admin_url)/metrics"]).output
        func count(_ labels: String) -> Int? {
            metrics.split(separator: "\n").first { $0.hasPrefix("exomock_events_total{\(labels)} ") }
                .flatMap { Int($0.split(separator: " ").last ?? "") }
        }
        #expect(count(#"cloud="gcc-high",service="token",event="token.issued""#) == 1, "\(metrics)")
        #expect(count(#"cloud="gcc-high",service="imap",event="auth.succeeded""#) == 1, "\(metrics)")
        #expect(count(#"cloud="gcc-high",service="imap",event="auth.not_connected""#) == 1, "\(metrics)")
        #expect(count(#"cloud="gcc-high",service="imap",event="auth.failed""#) == 1, "\(metrics)")
    }
}
