import Exomock
import ExomockTestSupport
import Foundation
import MicrosoftClouds
import ScenarioModel
import Testing

/// Live directory and Exchange changes (`POST /changes`) and delivery into a folder
/// (`POST /mailboxes/{address}/messages?folder=`), against one scenario served in-process.
@Suite(.serialized)
struct LiveChangeTests {
    static let tenantID = "8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a"
    static let appID = "11111111-2222-3333-4444-555555555555"
    static let admin = "admin@contoso.onmicrosoft.us"
    static let helpdesk = "helpdesk@contoso.onmicrosoft.us"

    static var scenario: Scenario {
        Scenario(
            name: "live-changes", clouds: [.gccHigh],
            tenants: [Tenant(id: tenantID, cloud: .gccHigh, domains: ["contoso.onmicrosoft.us"])],
            apps: [
                App(
                    name: "Mail handler", clientID: appID, tenant: tenantID,
                    secrets: [ClientSecret(value: "first-secret")],
                    delegatedPermissions: ["IMAP.AccessAsUser.All", "POP.AccessAsUser.All", "offline_access"],
                    applicationPermissions: ["IMAP.AccessAsApp"], adminConsent: true, mailboxAccess: [helpdesk])
            ],
            users: [User(upn: admin, password: "Old-Pa55", fullAccess: [helpdesk])],
            mailboxes: [Mailbox(address: helpdesk, kind: .shared)],
            browserSignedIn: [admin])
    }

    /// What the served mock answers, through curl (off the concurrency pool).
    struct Client {
        let ready: ReadyDocument
        /// curl's header carrying the admin token, for the admin API's requests.
        var admin: [String] { AdminClient(url: ready.adminURL, token: ready.adminToken).curlHeader }

        var authority: String { ready.clouds[0].authorityURL + "/contoso.onmicrosoft.us/oauth2/v2.0/token" }
        var imap: ReadyDocument.Listener {
            ready.clouds[0].listeners.first { $0.service == "imap" && $0.tls == "implicit" }!
        }

        func curl(_ arguments: [String]) async throws -> ProgramResult {
            try await runClient("curl", ["-sS", "--max-time", "20"] + arguments, package: "curl", timeout: 30)
        }

        /// Status and JSON object of an HTTP answer.
        func http(_ arguments: [String]) async throws -> (status: Int, json: [String: Any]) {
            let result = try await curl(["-w", "\n%{http_code}"] + arguments)
            let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
            let status = Int(lines.last ?? "") ?? 0
            let body = lines.dropLast().joined(separator: "\n")
            let json = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
            return (status, json)
        }

        func token(_ form: [String: String]) async throws -> (status: Int, json: [String: Any]) {
            var arguments = ["--cacert", ready.caFile, authority, "-d", "client_id=\(LiveChangeTests.appID)"]
            for (key, value) in form.sorted(by: { $0.key < $1.key }) {
                arguments += ["--data-urlencode", "\(key)=\(value)"]
            }
            return try await http(arguments)
        }

        func password(_ password: String) async throws -> (status: Int, json: [String: Any]) {
            try await token([
                "grant_type": "password", "username": LiveChangeTests.admin, "password": password,
                "client_secret": "first-secret", "scope": "https://outlook.office365.us/IMAP.AccessAsUser.All",
            ])
        }

        func clientCredentials(_ secret: String) async throws -> (status: Int, json: [String: Any]) {
            try await token([
                "grant_type": "client_credentials", "client_secret": secret,
                "scope": "https://outlook.office365.us/.default",
            ])
        }

        func change(_ body: String) async throws -> (status: Int, json: [String: Any]) {
            try await http(
                admin + [
                    "-X", "POST", "\(ready.adminURL)/changes", "-H", "Content-Type: application/json", "-d", body,
                ])
        }

        /// Fetches `path` (`INBOX;UID=1`) from `mailbox` over IMAP with XOAUTH2.
        func imapFetch(_ mailbox: String, token: String, path: String) async throws -> ProgramResult {
            try await curl([
                "-v", "--cacert", ready.caFile, "--login-options", "AUTH=XOAUTH2", "--user", mailbox,
                "--oauth2-bearer", token, "imaps://\(imap.host):\(imap.port)/\(path)",
            ])
        }
    }

    static func serve(_ body: @escaping @Sendable (Client, RunningScenario) async throws -> Void) async throws {
        let directory = try TestSupport.temporaryDirectory("live-changes")
        defer { try? FileManager.default.removeItem(at: directory) }
        let options = ServeOptions(certificatesDirectory: directory.appendingPathComponent("certs").path)
        _ = try await ExomockServer.run(scenario, options: options) { mock in
            try await body(Client(ready: mock.ready), mock)
        }
    }

    static let removeAdminAccess = """
        {"kind": "remove_full_access", "mailbox": "\(helpdesk)", "user": "\(admin)"}
        """

    /// The first AADSTS code of an error answer.
    static func code(_ json: [String: Any]) -> Int? { ((json["error_codes"] as? [Any])?.first as? NSNumber)?.intValue }

    @Test("reset_password (50126, then the new one works), disable_imap on a user's own mailbox, delivery into Archive")
    func passwordIMAPAndDelivery() async throws {
        try await Self.serve { client, mock in
            #expect(try await client.password("Old-Pa55").status == 200)
            let reset = try await client.change(
                #"{"kind": "reset_password", "user": "ADMIN@contoso.onmicrosoft.us", "password": "New-Pa55"}"#)
            #expect(reset.status == 200, "\(reset.json)")
            #expect(reset.json["applied"] as? String == "reset_password")
            #expect(reset.json["user"] as? String == Self.admin)
            #expect(reset.json["password"] as? String == "(set)")
            let old = try await client.password("Old-Pa55")
            #expect(old.status == 400 && Self.code(old.json) == 50126, "\(old.json)")
            let new = try await client.password("New-Pa55")
            let token = try #require(new.json["access_token"] as? String, "\(new.json)")

            // Delivery into a folder other than the Inbox, read back over IMAP.
            let message = "Subject: filed away\r\nFrom: a@example.com\r\n\r\nhello archive\r\n"
            let delivered = try await client.http(
                client.admin + [
                    "-X", "POST", "\(mock.ready.adminURL)/mailboxes/\(Self.admin)/messages?folder=archive",
                    "--data-binary",
                    message,
                ])
            #expect(delivered.status == 201 && delivered.json["folder"] as? String == "Archive", "\(delivered.json)")
            let uid = try #require(delivered.json["uid"] as? Int)
            let fetched = try await client.imapFetch(Self.admin, token: token, path: "Archive;UID=\(uid)")
            #expect(fetched.status == 0 && fetched.output.contains("hello archive"), "\(fetched.error)")
            let missing = try await client.http(
                client.admin + [
                    "-X", "POST", "\(mock.ready.adminURL)/mailboxes/\(Self.admin)/messages?folder=Nowhere",
                    "--data-binary",
                    message,
                ])
            #expect(missing.status == 404, "\(missing.json)")
            #expect((missing.json["fix"] as? String)?.contains("Archive") == true, "\(missing.json)")

            // IMAP off on the admin's own (implicit) mailbox: AUTHENTICATE succeeds, the mailbox is refused.
            let disabled = try await client.change(
                #"{"kind": "disable_imap", "mailbox": "admin@contoso.onmicrosoft.us"}"#)
            #expect(disabled.status == 200 && disabled.json["mailbox"] as? String == Self.admin, "\(disabled.json)")
            // The admin API shows the scenario as it is now.
            let shown = try await client.curl(client.admin + ["\(mock.ready.adminURL)/scenario"])
            let shownJSON = try JSONSerialization.jsonObject(with: Data(shown.output.utf8)) as? [String: Any]
            let shownMailboxes = shownJSON?["mailboxes"] as? [[String: Any]] ?? []
            let shownAdmin = shownMailboxes.first { ($0["address"] as? String) == Self.admin }
            #expect(shownAdmin?["imapEnabled"] as? Bool == false, "GET /scenario: \(shown.output.prefix(2000))")
            let refused = try await client.imapFetch(Self.admin, token: token, path: "Archive;UID=\(uid)")
            #expect(refused.status != 0)
            #expect(refused.error.contains("BAD User is authenticated but not connected."), "\(refused.error)")
            _ = try await client.change(#"{"kind": "enable_imap", "mailbox": "admin@contoso.onmicrosoft.us"}"#)
            #expect(try await client.imapFetch(Self.admin, token: token, path: "Archive;UID=\(uid)").status == 0)

            let journal = mock.journal.jsonLines(after: 0)
            #expect(journal.contains(#""event":"directory.changed""#))
            #expect(journal.contains(#""reason":"protocol_disabled""#), "\(journal.suffix(1500))")
            #expect(!journal.contains("New-Pa55"), "the new password reached the journal")
        }
    }

    @Test(
        "expire_secret (7000222), rotate_secret, remove_full_access, withdraw_consent (65001), sign_out, 400s"
    )
    func secretsConsentSignOutAndErrors() async throws {
        try await Self.serve { client, mock in
            #expect(try await client.clientCredentials("first-secret").status == 200)
            let expired = try await client.change(#"{"kind": "expire_secret", "app": "\#(Self.appID)"}"#)
            #expect(expired.status == 200, "\(expired.json)")
            let refused = try await client.clientCredentials("first-secret")
            #expect(refused.status == 401 && Self.code(refused.json) == 7_000_222, "\(refused.json)")
            let rotated = try await client.change(
                #"{"kind": "rotate_secret", "app": "\#(Self.appID)", "secret": "second-secret"}"#)
            #expect(rotated.status == 200 && rotated.json["secret"] as? String == "(set)", "\(rotated.json)")
            #expect(try await client.clientCredentials("second-secret").status == 200)

            let before = try await client.token([
                "grant_type": "password", "username": Self.admin, "password": "Old-Pa55",
                "client_secret": "second-secret",
                "scope": "https://outlook.office365.us/IMAP.AccessAsUser.All",
            ])
            let token = try #require(before.json["access_token"] as? String, "\(before.json)")
            #expect(try await client.imapFetch(Self.helpdesk, token: token, path: "").status == 0)
            let removed = try await client.change(Self.removeAdminAccess)
            #expect(removed.status == 200 && removed.json["user"] as? String == Self.admin, "\(removed.json)")
            #expect(mock.changes.live.current.user(Self.admin)?.fullAccess == [])
            let notConnected = try await client.imapFetch(Self.helpdesk, token: token, path: "")
            #expect(
                notConnected.error.contains("BAD User is authenticated but not connected."), "\(notConnected.error)")
            let again = try await client.change(Self.removeAdminAccess)
            #expect(again.status == 400 && (again.json["error"] as? String)?.contains("no FullAccess") == true)

            #expect(try await client.change(#"{"kind": "withdraw_consent", "app": "\#(Self.appID)"}"#).status == 200)
            let unconsented = try await client.token([
                "grant_type": "password", "username": Self.admin, "password": "Old-Pa55",
                "client_secret": "second-secret",
                "scope": "https://outlook.office365.us/IMAP.AccessAsUser.All",
            ])
            #expect(Self.code(unconsented.json) == 65001, "\(unconsented.json)")

            let sso = "\(mock.ready.adminURL)/gcc-high/sso"
            #expect(try await client.http(client.admin + [sso]).json["users"] as? [String] == [Self.admin])
            #expect(try await client.change(#"{"kind": "sign_out"}"#).status == 200)
            #expect(try await client.http(client.admin + [sso]).json["users"] as? [String] == [])

            let missing = try await client.change(
                #"{"kind": "reset_password", "user": "admin@contoso.onmicrosoft.us"}"#)
            #expect(missing.status == 400 && (missing.json["error"] as? String)?.contains("`password`") == true)
            #expect(missing.json["fix"] != nil)
            let unknownKind = try await client.change(#"{"kind": "delete_user"}"#)
            #expect(
                unknownKind.status == 400 && (unknownKind.json["fix"] as? String)?.contains("withdraw_consent") == true)
            let unknownUser = try await client.change(#"{"kind": "mfa_on", "user": "nobody@contoso.onmicrosoft.us"}"#)
            #expect(unknownUser.status == 400 && (unknownUser.json["error"] as? String)?.contains("nobody@") == true)
            #expect(try await client.change("not json").status == 400)
            let changed = mock.journal.jsonLines(after: 0).split(separator: "\n").filter {
                $0.contains("directory.changed")
            }
            #expect(changed.count == 5, "\(changed)")
            #expect(!changed.contains { $0.contains("second-secret") }, "the rotated secret reached the journal")
        }
    }
}
