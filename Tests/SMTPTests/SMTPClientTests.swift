import EntraTokens
import Exomock
import ExomockTestSupport
import Foundation
import MicrosoftClouds
import ScenarioModel
import Testing

/// Real clients (curl, Python smtplib, Jakarta Mail) against `ExomockServer.run` on 127.0.0.1: STARTTLS,
/// AUTH XOAUTH2 with a real token of the cloud, a message sent, then fetched over IMAP (curl, XOAUTH2) from
/// the recipient's Inbox, through every cloud's listener; and each client's failures, ending with the
/// exact Exchange line.
@Suite(.serialized) struct SMTPClientTests {
    struct CloudUsers {
        let cloud: CloudName
        let tenant: String
        let domain: String
        var agent: String { "agent@\(domain)" }
        var customer: String { "customer@\(domain)" }
        var helpdesk: String { "helpdesk@\(domain)" }
        var bob: String { "bob@\(domain)" }
    }

    static let clouds = [
        CloudUsers(
            cloud: .worldwide, tenant: "10000000-0000-4000-8000-000000000001", domain: "contoso.onmicrosoft.com"),
        // GCC: Worldwide's host names, its own listener, keys and tenant.
        CloudUsers(cloud: .gcc, tenant: "10000000-0000-4000-8000-000000000005", domain: "agency.onmicrosoft.com"),
        CloudUsers(cloud: .gccHigh, tenant: "10000000-0000-4000-8000-000000000002", domain: "contoso.onmicrosoft.us"),
        CloudUsers(cloud: .dod, tenant: "10000000-0000-4000-8000-000000000003", domain: "army.onmicrosoft.us"),
        CloudUsers(
            cloud: .china, tenant: "10000000-0000-4000-8000-000000000004", domain: "contoso.partner.onmschina.cn"),
    ]
    /// A worldwide tenant with SMTP AUTH off (`Set-TransportConfig -SmtpClientAuthenticationDisabled $true`).
    static let disabled = CloudUsers(
        cloud: .worldwide, tenant: "10000000-0000-4000-8000-000000000009", domain: "fabrikam.onmicrosoft.com")

    static let scenario: Scenario = {
        var tenants: [Tenant] = []
        var users: [User] = []
        var mailboxes: [Mailbox] = []
        for c in clouds {
            tenants.append(Tenant(id: c.tenant, cloud: c.cloud, domains: [c.domain]))
            users += [
                User(upn: c.agent, password: "x"), User(upn: c.customer, password: "x"),
                User(upn: c.bob, password: "x"),
            ]
            mailboxes.append(Mailbox(address: c.helpdesk, kind: .shared, sendAs: [c.agent]))
        }
        tenants.append(
            Tenant(
                id: disabled.tenant, cloud: .worldwide, domains: [disabled.domain],
                smtpClientAuthenticationDisabled: true))
        users.append(User(upn: disabled.agent, password: "x"))
        return Scenario(
            name: "smtp-clients", clouds: [.worldwide, .gcc, .gccHigh, .dod, .china], tenants: tenants, users: users,
            mailboxes: mailboxes)
    }()

    static let diag = "[MN2PR01CA0007.namprd00.prod.outlook.com]"

    /// A served scenario and what the clients need from it.
    struct Live: Sendable {
        let mock: RunningScenario
        let certificates: String

        var ca: String { mock.ready.caFile }

        func smtp(_ cloud: CloudName) throws -> ReadyDocument.Listener {
            try #require(mock.ready.listener(cloud: cloud, service: .smtp, tls: .starttls))
        }

        /// A delegated token of `upn` in `users`' cloud, with SMTP.Send and IMAP, `lifetime` seconds from now.
        func token(_ upn: String, _ users: CloudUsers, lifetime: Int = 3600) throws -> String {
            let cloud = Cloud.named(users.cloud)
            let key = try CloudSigningKey.loadOrCreate(directory: certificates, cloud: users.cloud)
            let now = Int(mock.clock.now().timeIntervalSince1970)
            let claims = AccessTokenClaims(
                aud: cloud.delegatedAudience, iss: cloud.v1Issuer(tenant: users.tenant), iat: now - 60, nbf: now - 60,
                exp: now + lifetime,
                appid: "20000000-0000-4000-8000-000000000000", oid: "oid", scp: ["SMTP.Send", "IMAP.AccessAsUser.All"],
                sub: "sub",
                tid: users.tenant, upn: upn, uti: "uti")
            return TokenMinter(key: key).mint(claims)
        }

        /// The subjects in `mailbox`'s Inbox, read over IMAP by curl (XOAUTH2) through the cloud's IMAP listener.
        func inboxSubjects(_ users: CloudUsers, _ mailbox: String) async throws -> [String] {
            let imap = try #require(mock.ready.listener(cloud: users.cloud, service: .imap, tls: .implicit))
            let token = try token(mailbox, users)
            var subjects: [String] = []
            for uid in 1...20 {
                let result = try await runClient(
                    "curl",
                    [
                        "-sS", "--max-time", "20", "--cacert", ca, "--login-options", "AUTH=XOAUTH2", "--user", mailbox,
                        "--oauth2-bearer", token,
                        "imaps://\(imap.host):\(imap.port)/INBOX;UID=\(uid);SECTION=HEADER.FIELDS%20(SUBJECT)",
                    ], package: "curl", timeout: 30)
                guard result.status == 0,
                    let line = result.output.split(separator: "\r\n").first(where: { $0.hasPrefix("Subject: ") })
                else {
                    break
                }
                subjects.append(String(line.dropFirst(9)))
            }
            return subjects
        }
    }

    static func serve(_ body: @escaping @Sendable (Live) async throws -> Void) async throws {
        let directory = try TestSupport.temporaryDirectory("smtp-clients")
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificates = directory.appendingPathComponent("certs").path
        _ = try await withTimeLimit(600) {
            try await ExomockServer.run(scenario, options: ServeOptions(certificatesDirectory: certificates)) { mock in
                try await body(Live(mock: mock, certificates: certificates))
            }
        }
    }

    // MARK: The clients

    /// curl: `smtp://` with `--ssl-reqd` (STARTTLS) and `--oauth2-bearer`; the server's replies from `-v`.
    func curl(_ live: Live, _ users: CloudUsers, user: String, token: String, from: String, to: String, subject: String)
        async throws
        -> ProgramResult
    {
        let listener = try live.smtp(users.cloud)
        let message = "From: \(from)\r\nTo: \(to)\r\nSubject: \(subject)\r\n\r\nSent by curl.\r\n.leading dot\r\n"
        return try await runClient(
            "curl",
            [
                "-sS", "-v", "--max-time", "20", "--ssl-reqd", "--cacert", live.ca,
                "smtp://\(listener.host):\(listener.port)",
                "--mail-from", from, "--mail-rcpt", to, "--user", user, "--oauth2-bearer", token, "-T", "-",
            ], package: "curl", timeout: 30, input: message)
    }

    func smtplib(
        _ live: Live, _ users: CloudUsers, user: String, token: String, from: String, to: String, subject: String,
        form: String = "one"
    )
        async throws -> String
    {
        let listener = try live.smtp(users.cloud)
        let result = try await runClient(
            "python3",
            ["-c", smtplibScript, listener.host, String(listener.port), live.ca, user, token, from, to, subject, form],
            package: "python3", timeout: 60)
        guard result.status == 0 else { throw TestFailure("smtplib failed: \(result.output) \(result.error)") }
        return result.output
    }

    func jakarta(
        _ live: Live, _ users: CloudUsers, user: String, token: String, from: String, to: String, subject: String
    ) async throws
        -> String
    {
        let listener = try live.smtp(users.cloud)
        let classpath = try JakartaMail.classpath(className: "SMTPSend", source: jakartaSMTPSource)
        let result = try await runClient(
            "java",
            [
                "-cp", classpath, "SMTPSend", listener.host, String(listener.port), live.ca, user, token, from, to,
                subject,
            ],
            package: "default-jdk-headless", timeout: 120)
        guard result.status == 0 else { throw TestFailure("java failed: \(result.output) \(result.error)") }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: Tests

    @Test("curl, smtplib and Jakarta Mail send through every cloud's listener; the customer reads each over IMAP")
    func everyClientThroughEveryCloud() async throws {
        try await Self.serve { live in
            for users in Self.clouds {
                let token = try live.token(users.agent, users)
                let name = users.cloud.rawValue
                let c = try await curl(
                    live, users, user: users.agent, token: token, from: users.agent, to: users.customer,
                    subject: "curl \(name)")
                #expect(c.status == 0, "\(c.error)")
                #expect(
                    c.error.contains("< 250-STARTTLS") && c.error.contains("< 250-AUTH LOGIN XOAUTH2"), "\(c.error)")
                #expect(c.error.contains("< 235 2.7.0 Authentication successful"), "\(c.error)")
                let py = try await smtplib(
                    live, users, user: users.agent, token: token, from: users.agent, to: users.customer,
                    subject: "smtplib \(name)", form: users.cloud == .gccHigh ? "two" : "one")
                #expect(py.contains("AUTH 235 2.7.0 Authentication successful") && py.contains("SENT"), "\(py)")
                #expect(
                    py.contains("EHLO1 ") && py.contains("|STARTTLS|")
                        && !py.split(separator: "\n")[0].contains("AUTH"), "\(py)")
                #expect(py.contains("|AUTH LOGIN XOAUTH2|"), "\(py)")
                let java = try await jakarta(
                    live, users, user: users.agent, token: token, from: users.agent, to: users.customer,
                    subject: "jakarta \(name)")
                #expect(java == "SENT", "\(java)")
                #expect(
                    try await live.inboxSubjects(users, users.customer) == [
                        "curl \(name)", "smtplib \(name)", "jakarta \(name)",
                    ])
            }
            // Fifteen XOAUTH2 logins on the SMTP listeners (three clients, five clouds).
            let logins = live.mock.journal.events().filter {
                "\($0.event)" == "auth.succeeded" && "\($0.service)" == "smtp"
            }
            #expect(logins.count == 15 && logins.allSatisfy { $0.detail["method"] == "XOAUTH2" })
            // Copies in the sender's Sent Items; nothing went to the outbox.
            #expect(
                try live.mock.store.snapshot(mailbox: Self.clouds[0].agent, folder: "Sent Items").messages.count == 3)
            #expect(live.mock.outbox.messages.isEmpty)
        }
    }

    @Test(
        "Each client's failures end with Exchange's line: expired token, SMTP AUTH off for the tenant, Send As missing")
    func failuresEndWithExchangeLines() async throws {
        try await Self.serve { live in
            let ww = Self.clouds[0]
            let expired = try live.token(ww.agent, ww, lifetime: -30)
            let off = try live.token(Self.disabled.agent, Self.disabled)
            let bob = try live.token(ww.bob, ww)
            let unsuccessful = "535 5.7.3 Authentication unsuccessful \(Self.diag)"
            let tenantOff =
                "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. "
                + "Visit https://aka.ms/smtp_auth_disabled for more information. \(Self.diag)"
            let sendAs =
                "554 5.2.252 SendAsDenied; \(ww.bob) not allowed to send as \(ww.helpdesk); "
                + "STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; "
                + "Failed to process message due to a permanent exception with message [BeginDiagnosticData]Cannot submit message."

            // curl: exit 67 (login denied) / 55 (send failed), the reply in its -v trace.
            let c1 = try await curl(
                live, ww, user: ww.agent, token: expired, from: ww.agent, to: ww.customer, subject: "x")
            #expect(c1.status == 67 && c1.error.contains("< \(unsuccessful)"), "\(c1.status) \(c1.error)")
            let c2 = try await curl(
                live, Self.disabled, user: Self.disabled.agent, token: off, from: Self.disabled.agent, to: ww.customer,
                subject: "x")
            #expect(c2.status == 67 && c2.error.contains("< \(tenantOff)"), "\(c2.status) \(c2.error)")
            let c3 = try await curl(
                live, ww, user: ww.bob, token: bob, from: ww.helpdesk, to: ww.customer, subject: "x")
            #expect(c3.status != 0 && c3.error.contains("< \(sendAs)"), "\(c3.status) \(c3.error)")

            // smtplib: SMTPAuthenticationError / SMTPDataError carry the reply.
            let p1 = try await smtplib(
                live, ww, user: ww.agent, token: expired, from: ww.agent, to: ww.customer, subject: "x", form: "two")
            #expect(p1.contains("ERROR \(unsuccessful)"), "\(p1)")
            let p2 = try await smtplib(
                live, Self.disabled, user: Self.disabled.agent, token: off, from: Self.disabled.agent, to: ww.customer,
                subject: "x")
            #expect(p2.contains("ERROR \(tenantOff)"), "\(p2)")
            let p3 = try await smtplib(
                live, ww, user: ww.bob, token: bob, from: ww.helpdesk, to: ww.customer, subject: "x")
            #expect(p3.contains("ERROR \(sendAs)"), "\(p3)")

            // Jakarta Mail: the exception message ends with the reply (without its code for auth failures).
            let j1 = try await jakarta(
                live, ww, user: ww.agent, token: expired, from: ww.agent, to: ww.customer, subject: "x")
            #expect(j1.hasPrefix("ERROR ") && j1.hasSuffix("5.7.3 Authentication unsuccessful \(Self.diag)"), "\(j1)")
            let j2 = try await jakarta(
                live, Self.disabled, user: Self.disabled.agent, token: off, from: Self.disabled.agent, to: ww.customer,
                subject: "x")
            #expect(
                j2.hasPrefix("ERROR ") && j2.contains("SmtpClientAuthentication is disabled for the Tenant"), "\(j2)")
            let j3 = try await jakarta(
                live, ww, user: ww.bob, token: bob, from: ww.helpdesk, to: ww.customer, subject: "x")
            #expect(
                j3.hasPrefix("ERROR ") && j3.contains("SendAsDenied; \(ww.bob) not allowed to send as \(ww.helpdesk)"),
                "\(j3)")

            // Nothing was delivered; the helpdesk's agent (Send As) can send as the helpdesk.
            #expect(try await live.inboxSubjects(ww, ww.customer) == [])
            let ok = try await smtplib(
                live, ww, user: ww.agent, token: try live.token(ww.agent, ww), from: ww.helpdesk, to: ww.customer,
                subject: "as helpdesk")
            #expect(ok.contains("SENT"), "\(ok)")
            #expect(try await live.inboxSubjects(ww, ww.customer) == ["as helpdesk"])
        }
    }

    @Test("Mail to an address outside the scenario goes to the outbox, shown by GET /outbox")
    func outboxThroughTheAdminAPI() async throws {
        try await Self.serve { live in
            let users = try #require(Self.clouds.first { $0.cloud == .gccHigh })
            let out = try await smtplib(
                live, users, user: users.agent, token: try live.token(users.agent, users), from: users.agent,
                to: "someone@example.com", subject: "to the outside")
            #expect(out.contains("SENT"), "\(out)")
            let result = try await runClient(
                "curl",
                ["-sS", "--max-time", "20"]
                    + AdminClient(url: live.mock.ready.adminURL, token: live.mock.ready.adminToken).curlHeader
                    + ["\(live.mock.ready.adminURL)/outbox"],
                package: "curl")
            let list = try #require(
                try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]], "\(result.output)"
            )
            #expect(list.count == 1)
            #expect(list.first?["recipients"] as? [String] == ["someone@example.com"])
            #expect(list.first?["cloud"] as? String == "gcc-high")
            #expect((list.first?["content"] as? String)?.contains("Subject: to the outside") == true)
            let events = live.mock.journal.events().map { "\($0.event)" }
            #expect(events.contains("smtp.outbox"))
        }
    }
}
