import ExomockTestSupport
import Foundation
import Testing

/// Microsoft's msal (Python) against the real product: `exomock serve` as a subprocess, driven by
/// `clients/msal_flows.py` (authorization code through the SSO session, refresh, client credentials,
/// device code approved through the admin API, the password grant, and 17 AADSTS error cases that msal
/// must hand back in `error_codes`). Needs `python3`, `curl` and `pip install msal requests`.
///
/// Why an earlier in-process version hung (not reproduced; two hazards in its design), and why this one
/// cannot: it ran the Hummingbird server inside the test process and waited for Python with blocking
/// loops on Swift's cooperative thread pool (two threads on this machine), which the server's handlers
/// need too, with no per-call deadline inside the driver; and msal's device-code loop
/// sleeps `interval` *real* seconds per poll while exomock answers `slow_down` to polls closer than
/// `interval` *virtual* seconds, so a loop that polls before the approval only ends with the approval
/// (or after 15 real minutes). Now the server is its own process; the driver approves before it lets
/// msal poll and polls only once at a time; the driver stops itself after `--deadline` seconds printing
/// every thread's stack (faulthandler); `runProgram` kills it a little later; and the test has a time limit.
@Suite("msal end to end against exomock serve")
struct MsalTests {
    static let tenantID = "8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a"
    static let appID = "0a1b2c3d-1111-4222-8333-444455556666"
    static let expiredAppID = "0a1b2c3d-1111-4222-8333-777788889999"
    static let unconsentedAppID = "0a1b2c3d-1111-4222-8333-aaaabbbbcccc"
    static let publicAppID = "0a1b2c3d-1111-4222-8333-ddddeeeeffff"
    static let worldwideAppID = "9a9b9c9d-1111-4222-8333-444455556666"
    static let secret = "s3cret-value"
    static let redirect = "http://localhost:8400/callback"
    static let user = "agent@contoso.onmicrosoft.us"
    static let mfaUser = "mfa@contoso.onmicrosoft.us"
    static let password = "P@ssw0rd-1"

    /// The scenario, for one US cloud (`gcc-high` or `dod`), with a worldwide tenant and app for the
    /// "app registered in the other cloud" mistake when `worldwide` is set.
    static func scenario(cloud: String, worldwide: Bool) -> String {
        let consented = "[IMAP.AccessAsUser.All, POP.AccessAsUser.All, offline_access, openid, profile]"
        var yaml = """
            version: 1
            name: msal-e2e-\(cloud)
            seed: 4
            clock:
              start: 2026-01-01T00:00:00Z
            clouds: [\(cloud)\(worldwide ? ", worldwide" : "")]
            tenants:
              - id: \(tenantID)
                name: Contoso
                cloud: \(cloud)
                domains: [contoso.onmicrosoft.us]

            """
        if worldwide {
            yaml += """
                  - id: 11111111-2222-4333-8444-555555555555
                    name: Fabrikam
                    cloud: worldwide
                    domains: [fabrikam.onmicrosoft.com]

                """
        }
        yaml += """
            apps:
              - name: Jira mail handler
                client_id: \(appID)
                tenant: \(tenantID)
                secrets: [{value: \(secret)}]
                redirect_uris: [\(redirect)]
                delegated_permissions: \(consented)
                application_permissions: [IMAP.AccessAsApp]
                admin_consent: true
              - name: Old handler
                client_id: \(expiredAppID)
                tenant: \(tenantID)
                secrets: [{value: \(secret), expires: 2025-12-01T00:00:00Z}]
                application_permissions: [IMAP.AccessAsApp]
                admin_consent: true
              - name: Unconsented
                client_id: \(unconsentedAppID)
                tenant: \(tenantID)
                secrets: [{value: \(secret)}]
                delegated_permissions: \(consented)
              - name: CLI
                client_id: \(publicAppID)
                tenant: \(tenantID)
                type: public
                delegated_permissions: \(consented)
                admin_consent: true

            """
        if worldwide {
            yaml += """
                  - name: Worldwide app
                    client_id: \(worldwideAppID)
                    tenant: 11111111-2222-4333-8444-555555555555
                    secrets: [{value: \(secret)}]
                    application_permissions: [IMAP.AccessAsApp]
                    admin_consent: true

                """
        }
        yaml += """
            users:
              - upn: \(user)
                password: \(password)
              - upn: \(mfaUser)
                password: \(password)
                mfa: true
            lifetimes:
              refresh_token_inactivity: 90d

            """
        return yaml
    }

    struct Case: Decodable {
        var `case`: String
        var ok: Bool
        var detail: String
    }

    /// Runs msal_flows.py against a served mock; returns the cases it reported, failing on anything else.
    static func drive(_ mock: ServedExomock, cloud: String, foreignClientID: String, realHost: Bool) throws -> [Case] {
        var arguments = [
            pythonClients.appendingPathComponent("msal_flows.py").path,
            "--ready-file", mock.readyFile, "--cloud", cloud, "--tenant", tenantID,
            "--client-id", appID, "--client-secret", secret, "--redirect-uri", redirect,
            "--expired-client-id", expiredAppID, "--unconsented-client-id", unconsentedAppID, "--public-client-id",
            publicAppID,
            "--user", user, "--password", password, "--mfa-user", mfaUser, "--foreign-client-id", foreignClientID,
            "--scope", "https://outlook.office365.us/IMAP.AccessAsUser.All",
            "--other-cloud-scope", "https://outlook.office.com/IMAP.AccessAsUser.All",
            "--deadline", "45",
        ]
        var environment: [String: String] = [:]
        if realHost {
            arguments.append("--real-host")
            environment["REQUESTS_CA_BUNDLE"] = mock.ready.caFile
        }
        let result = try runProgram("python3", arguments, package: "python3", timeout: 55, environment: environment)
        let context =
            "msal_flows.py exit \(result.status)\(result.timedOut ? " (killed at the timeout)" : ""):\n\(result.output)\n\(result.error)\n--- exomock serve:\n\(mock.log.suffix(2000))"
        #expect(!result.timedOut, "\(context)")
        #expect(result.status == 0, "\(context)")
        let cases = result.output.split(separator: "\n").compactMap {
            try? JSONDecoder().decode(Case.self, from: Data($0.utf8))
        }
        for c in cases where !c.ok { Issue.record("msal case \(c.case) failed: \(c.detail)") }
        #expect(result.output.contains(#""failed": []"#), "\(context)")
        return cases
    }

    static let expectedCases: Set<String> = [
        "auth_code.authorize", "auth_code.token", "auth_code.reused", "refresh", "refresh.garbled",
        "client_credentials",
        "client_credentials.invalid_secret", "client_credentials.expired_secret",
        "client_credentials.other_cloud_resource",
        "client_credentials.not_default", "client_credentials.app_not_found", "ropc", "ropc.bad_password",
        "ropc.mfa_required",
        "ropc.invalid_scope", "ropc.consent_missing", "ropc.other_cloud_scope", "unknown_tenant", "device_code.start",
        "device_code.token", "device_code.pending", "device_code.slow_down", "device_code.declined",
        "device_code.expired",
        "refresh.inactive_91_days",
    ]

    /// Every flow and error case through the loopback authority (`https://127.0.0.1:PORT`), instance
    /// discovery off, the exomock CA given as `verify=`.
    @Test(
        "msal: auth code, refresh, client credentials, device code, ROPC and 17 AADSTS errors against serve",
        .timeLimit(.minutes(2)))
    func msalAgainstServe() throws {
        try requirePythonModules(["msal", "requests"], pip: "msal requests")
        let mock = try ServedExomock(scenarioYAML: Self.scenario(cloud: "gcc-high", worldwide: true), label: "msal")
        let cases = try Self.drive(mock, cloud: "gcc-high", foreignClientID: Self.worldwideAppID, realHost: false)
        #expect(Set(cases.map(\.case)) == Self.expectedCases, "cases reported: \(cases.map(\.case))")

        // The server saw what msal did: journal lines for each grant and the rejections' codes.
        let events = try mock.journalEvents()
        for grant in [
            "authorization_code", "refresh_token", "client_credentials", "password",
            "urn:ietf:params:oauth:grant-type:device_code",
        ] {
            #expect(
                events.contains { $0.event == "token.issued" && $0.detail["grant"] == grant },
                "journal lacks an issued \(grant) grant")
        }
        let rejected = Set(events.filter { $0.event == "token.rejected" }.compactMap { $0.detail["code"] })
        for code in [
            "54005", "7000215", "7000222", "500011", "1002012", "700016", "50126", "50076", "70011", "65001", "700082",
            "70019",
        ] {
            #expect(rejected.contains(code), "journal lacks a rejection with AADSTS\(code): \(rejected.sorted())")
        }
        #expect(mock.stop() == 0, "exomock serve did not exit 0 on SIGTERM:\n\(mock.log)")
    }

    /// The root variant: `serve --hosts` puts the DoD cloud on 127.0.1.4:443 (DoD, not GCC High, so it
    /// cannot collide with FoundationTests' `--hosts` test of the quickstart's GCC High on 127.0.1.3);
    /// msal uses the real authority `https://login.microsoftonline.us/<tenant>` with instance discovery
    /// left at its default and the CA from `REQUESTS_CA_BUNDLE`. The driver resolves the real host
    /// names to 127.0.1.4 inside its own process (like `curl --resolve`) instead of editing /etc/hosts,
    /// which would change every process on the machine. (msal skips instance discovery for
    /// login.microsoftonline.us, a host it knows, so this variant exercises tenant discovery, the token
    /// endpoint and user-realm discovery on port 443 by the real name.)
    @Test(
        "msal with the real authority https://login.microsoftonline.us (serve --hosts, root only)",
        .enabled(
            if: geteuid() == 0,
            "serve --hosts binds port 443 on 127.0.1.4, which needs root; run the tests as root to cover it"),
        .timeLimit(.minutes(2)))
    func msalWithRealHostName() throws {
        try requirePythonModules(["msal", "requests"], pip: "msal requests")
        let mock = try ServedExomock(
            scenarioYAML: Self.scenario(cloud: "dod", worldwide: false), hosts: true, label: "msal-hosts")
        let cloud = try mock.cloud("dod")
        #expect(cloud.authorityURL == "https://login.microsoftonline.us")
        #expect(cloud.hostsLines?.first?.hasPrefix("127.0.1.4 login.microsoftonline.us") == true)
        // No worldwide cloud here: an unregistered client id gets the same AADSTS700016.
        let cases = try Self.drive(
            mock, cloud: "dod", foreignClientID: "9f9b9c9d-1111-4222-8333-444455556666", realHost: true)
        #expect(Set(cases.map(\.case)) == Self.expectedCases, "cases reported: \(cases.map(\.case))")
        let journal = try mock.journal()
        #expect(journal.contains(#""cloud":"dod""#))
        #expect(mock.stop() == 0, "exomock serve did not exit 0 on SIGTERM:\n\(mock.log)")
    }
}
