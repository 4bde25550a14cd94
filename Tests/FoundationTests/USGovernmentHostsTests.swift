import Exomock
import ExomockTestSupport
import Foundation
import MicrosoftClouds
import Testing

/// GCC High and DoD side by side, as the Atlassian DoD/GCC High KB configures both: token endpoints on
/// `login.microsoftonline.us`, mail host `outlook.office365.us`, scopes on `https://outlook.office365.us`.
/// curl gets each cloud's app-only token and reads each cloud's mailbox over IMAP with XOAUTH2.
enum USGovernment {
    static let gccHighTenant = "3c1e5d7f-9a2b-4c6d-8e0f-1a2b3c4d5e6f"
    static let dodTenant = "7d9f1b3c-5e7a-4b9c-8d1e-2f3a4b5c6d7e"
    static let gccHighApp = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
    static let dodApp = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
    static let gccHighMailbox = "helpdesk@agency.onmicrosoft.us"
    static let dodMailbox = "servicedesk@command.onmicrosoft.us"

    static let scenario = """
        name: us-government-side-by-side
        clouds: [gcc-high, dod]
        tenants:
          - {id: \(gccHighTenant), cloud: gcc-high, domains: [agency.onmicrosoft.us]}
          - {id: \(dodTenant), cloud: dod, domains: [command.onmicrosoft.us]}
        apps:
          - name: GCC High handler
            client_id: \(gccHighApp)
            tenant: \(gccHighTenant)
            secrets: [{value: gcc-high-secret}]
            application_permissions: [IMAP.AccessAsApp]
            admin_consent: true
            mailbox_access: [\(gccHighMailbox)]
          - name: DoD handler
            client_id: \(dodApp)
            tenant: \(dodTenant)
            secrets: [{value: dod-secret}]
            application_permissions: [IMAP.AccessAsApp, SMTP.SendAsApp]
            admin_consent: true
            mailbox_access: [\(dodMailbox)]
        mailboxes:
          - address: \(gccHighMailbox)
            type: shared
            folders: [{name: Inbox, messages: [{generate: {count: 1, size: 2KiB, seed: 3}}]}]
          - address: \(dodMailbox)
            type: shared
            folders: [{name: Inbox, messages: [{generate: {count: 2, size: 2KiB, seed: 4}}]}]
        """

    /// Writes the scenario and returns its path and a certificates directory.
    static func files() throws -> (scenario: String, certs: String, ready: String) {
        let dir = try TestSupport.temporaryDirectory("exomock-usgov")
        let scenario = dir.appendingPathComponent("usgov.yaml").path
        try Self.scenario.write(toFile: scenario, atomically: true, encoding: .utf8)
        return (scenario, dir.appendingPathComponent("certs").path, dir.appendingPathComponent("ready.json").path)
    }

    /// curl's client-credentials request; `route` sends the host to the right address.
    static func token(authority: String, tenant: String, app: String, secret: String, caFile: String, route: [String])
        throws -> String
    {
        let result = try runProgram(
            "curl",
            route + [
                "-sS", "--cacert", caFile, "\(authority)/\(tenant)/oauth2/v2.0/token", "-d",
                "grant_type=client_credentials",
                "-d", "client_id=\(app)", "-d", "client_secret=\(secret)", "-d",
                "scope=https://outlook.office365.us/.default",
            ], package: "curl", timeout: 30)
        let json = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        guard let token = json?["access_token"] as? String else {
            throw TestFailure("no token: \(result.output) \(result.error)")
        }
        return token
    }

    /// The discovery document of a tenant, as curl gets it.
    static func discovery(authority: String, tenant: String, caFile: String, route: [String]) throws -> [String: Any] {
        let result = try runProgram(
            "curl",
            route + ["-sS", "--cacert", caFile, "\(authority)/\(tenant)/v2.0/.well-known/openid-configuration"],
            package: "curl", timeout: 30)
        return try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any] ?? [:]
    }

    /// curl submits a message from `mailbox` to itself at `smtp://host:587` (STARTTLS, XOAUTH2).
    static func smtp(host: String, mailbox: String, token: String, caFile: String, route: [String]) throws
        -> ProgramResult
    {
        let message =
            "From: \(mailbox)\r\nTo: \(mailbox)\r\nSubject: side by side\r\n\r\nSent through the shared address.\r\n"
        return try runProgram(
            "curl",
            route + [
                "-sS", "-v", "--cacert", caFile, "--ssl-reqd", "--login-options", "AUTH=XOAUTH2", "--user", mailbox,
                "--oauth2-bearer", token, "--mail-from", mailbox, "--mail-rcpt", mailbox, "-T", "-",
                "smtp://\(host):587",
            ], package: "curl", timeout: 30, input: message)
    }

    /// curl reads message 1 of `mailbox` at `imaps://host:993` with XOAUTH2; returns curl's result.
    static func imap(host: String, mailbox: String, token: String, caFile: String, route: [String]) throws
        -> ProgramResult
    {
        try runProgram(
            "curl",
            route + [
                "-sS", "-v", "--cacert", caFile, "--login-options", "AUTH=XOAUTH2", "--user", mailbox,
                "--oauth2-bearer", token,
                "imaps://\(host):993/INBOX;UID=1",
            ], package: "curl", timeout: 30)
    }
}

extension ServeTests {
    @Test("the fact sheet's hosts plan: GCC High owns the shared US Government names, DoD keeps its own")
    func hostsPlanForUSGovernment() {
        let plan = HostsMode(clouds: [Cloud.named(.gccHigh), Cloud.named(.dod)])
        #expect(
            plan.line(for: Cloud.named(.gccHigh))
                == "127.0.1.3 login.microsoftonline.us login.usgovcloudapi.net outlook.office365.us smtp.office365.us")
        #expect(plan.line(for: Cloud.named(.dod)) == "127.0.1.4 outlook-dod.office365.us webmail.apps.mil")
        #expect(plan.guests(of: .gccHigh) == [.dod])
        #expect(plan.guests(of: .dod).isEmpty)
        let worldwide = HostsMode(clouds: [Cloud.named(.worldwide), Cloud.named(.gcc)])
        #expect(worldwide.line(for: Cloud.named(.gcc)) == nil, "GCC has no name of its own")
        #expect(worldwide.guests(of: .worldwide) == [.gcc])
        let dodFirst = HostsMode(clouds: [Cloud.named(.dod), Cloud.named(.gccHigh)])
        #expect(dodFirst.line(for: Cloud.named(.gccHigh)) == "127.0.1.3 smtp.office365.us")
        #expect(dodFirst.guests(of: .dod) == [.gccHigh])
    }

    @Test("loopback: DoD answers as outlook.office365.us (the KB's host); tenant_region_scope per cloud")
    func dodOnOutlookOffice365US() throws {
        let files = try USGovernment.files()
        let (process, ready, _) = try Self.startServe(
            ["--scenario", files.scenario, "--certs", files.certs], readyFile: files.ready)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let dod = try #require(ready.clouds.first { $0.name == "dod" })
        let gccHigh = try #require(ready.clouds.first { $0.name == "gcc-high" })
        let token = try USGovernment.token(
            authority: dod.authorityURL, tenant: USGovernment.dodTenant, app: USGovernment.dodApp,
            secret: "dod-secret",
            caFile: ready.caFile, route: [])
        let port = try #require(dod.listeners.first { $0.service == "imap" && $0.tls == "implicit" }).port
        let read = try USGovernment.imap(
            host: "outlook.office365.us", mailbox: USGovernment.dodMailbox, token: token, caFile: ready.caFile,
            route: ["--connect-to", "outlook.office365.us:993:127.0.0.1:\(port)"])
        #expect(read.status == 0, "curl: \(read.error)")
        #expect(read.error.contains("OK AUTHENTICATE completed."))
        #expect(read.error.contains("CN=outlook-dod.office365.us") || read.error.contains("outlook.office365.us"))

        let dodDiscovery = try USGovernment.discovery(
            authority: dod.authorityURL, tenant: USGovernment.dodTenant, caFile: ready.caFile, route: [])
        #expect(dodDiscovery["tenant_region_scope"] as? String == "USGov")
        #expect(dodDiscovery["tenant_region_sub_scope"] as? String == "DOD")
        let gccHighDiscovery = try USGovernment.discovery(
            authority: gccHigh.authorityURL, tenant: USGovernment.gccHighTenant, caFile: ready.caFile, route: [])
        #expect(gccHighDiscovery["tenant_region_scope"] as? String == "USGov")
        #expect(gccHighDiscovery["tenant_region_sub_scope"] as? String == "DODCON")
        #expect(Self.stop(process).0 == 0)
    }

    @Test("--hosts serves GCC High and DoD side by side: one address for the shared names tells the clouds apart")
    func hostsModeServesGCCHighAndDoD() throws {
        guard getuid() == 0 else {
            print("ServeTests.hostsModeServesGCCHighAndDoD: skipped, not running as root (ports 443/993 need root)")
            return
        }
        let files = try USGovernment.files()
        let (process, ready, _) = try Self.startServe(
            ["--hosts", "--scenario", files.scenario, "--certs", files.certs], readyFile: files.ready)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let gccHigh = try #require(ready.clouds.first { $0.name == "gcc-high" })
        let dod = try #require(ready.clouds.first { $0.name == "dod" })
        #expect(
            gccHigh.hostsLines == [
                "127.0.1.3 login.microsoftonline.us login.usgovcloudapi.net outlook.office365.us smtp.office365.us"
            ])
        #expect(dod.hostsLines == ["127.0.1.4 outlook-dod.office365.us webmail.apps.mil"])
        // What /etc/hosts would do, per request.
        let login = ["--resolve", "login.microsoftonline.us:443:127.0.1.3"]
        let shared = ["--resolve", "outlook.office365.us:993:127.0.1.3"]
        let dodOnly = ["--resolve", "outlook-dod.office365.us:993:127.0.1.4"]
        let authority = "https://login.microsoftonline.us"
        let dodToken = try USGovernment.token(
            authority: authority, tenant: USGovernment.dodTenant, app: USGovernment.dodApp, secret: "dod-secret",
            caFile: ready.caFile, route: login)
        let gccHighToken = try USGovernment.token(
            authority: authority, tenant: USGovernment.gccHighTenant, app: USGovernment.gccHighApp,
            secret: "gcc-high-secret",
            caFile: ready.caFile, route: login)
        let dodDiscovery = try USGovernment.discovery(
            authority: authority, tenant: "command.onmicrosoft.us", caFile: ready.caFile, route: login)
        #expect(
            dodDiscovery["tenant_region_sub_scope"] as? String == "DOD",
            "the DoD tenant is answered by the DoD token service")

        for (mailbox, token, route, host) in [
            (USGovernment.dodMailbox, dodToken, shared, "outlook.office365.us"),
            (USGovernment.gccHighMailbox, gccHighToken, shared, "outlook.office365.us"),
            (USGovernment.dodMailbox, dodToken, dodOnly, "outlook-dod.office365.us"),
        ] {
            let read = try USGovernment.imap(
                host: host, mailbox: mailbox, token: token, caFile: ready.caFile, route: route)
            #expect(read.status == 0, "\(mailbox) at \(host): \(read.error)")
            #expect(read.error.contains("OK AUTHENTICATE completed."), "\(mailbox) at \(host)")
        }
        // SMTP on the shared address (GCC High's 127.0.1.3:587, outlook.office365.us) takes the DoD token too.
        let sent = try USGovernment.smtp(
            host: "outlook.office365.us", mailbox: USGovernment.dodMailbox, token: dodToken, caFile: ready.caFile,
            route: ["--resolve", "outlook.office365.us:587:127.0.1.3"])
        #expect(sent.status == 0, "curl smtp: \(sent.error)")
        #expect(sent.error.contains("235 2.7.0 Authentication successful"), "\(sent.error)")
        // A DoD token for the GCC High mailbox at the shared address: the DoD key verifies it, the tenant does not match.
        let crossed = try USGovernment.imap(
            host: "outlook.office365.us", mailbox: USGovernment.gccHighMailbox, token: dodToken, caFile: ready.caFile,
            route: shared)
        #expect(crossed.status != 0)
        #expect(crossed.error.contains("User is authenticated but not connected."), "\(crossed.error)")
        #expect(Self.stop(process).0 == 0)
    }
}
