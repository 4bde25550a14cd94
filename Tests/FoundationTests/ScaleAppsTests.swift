import ExomockLimits
import ExomockTestSupport
import Foundation
import ScenarioLoader
import ScenarioModel
import Testing

/// `apps: N` entries of `scale:`: app registrations from one template, with deterministic GUID client ids,
/// secrets and mailboxes shared out from a mailbox entry; located errors; a generated app's app-only
/// token and IMAP login to a generated shared mailbox.
@Suite struct ScaleAppsTests {
    static let tenant = ScaleScenarioTests.tenant

    static func load(_ scale: String) throws -> Scenario {
        try ScenarioLoader.load(yaml: ScaleScenarioTests.yaml(scale: scale), fileName: "t.yaml", baseDirectory: nil)
    }

    static func problems(_ scale: String) -> [String] { ScaleScenarioTests.problems(scale) }

    static let mailboxes = """
          - shared_mailboxes: 1000
            address: support{n}@fabrikam.example
            inbox: {count: 3}
        """

    @Test func appsExpandWithGUIDsSecretsAndSharedOutMailboxes() throws {
        let scale = """
              - apps: 300
                name: Handler {n}
                client_id: 7a7a0000-0000-4000-8000-{n}
                tenant: fabrikam.example
                secrets: [{value: 'handler-{n}-secret'}]
                application_permissions: [IMAP.AccessAsApp]
                delegated_permissions: [IMAP.AccessAsUser.All, offline_access]
                admin_consent: true
                mailbox_access: ['support{n}@fabrikam.example', helpdesk@fabrikam.example]
            \(Self.mailboxes)
                full_access: [7A7A0000-0000-4000-8000-000000000007]
            """
        let scenario = try Self.load(scale)
        #expect(scenario.problems().isEmpty)
        #expect(scenario.apps.count == 1 + 300)
        let first = try #require(scenario.app(clientID: "7a7a0000-0000-4000-8000-000000000001"))
        #expect(first.name == "Handler 001")
        #expect(first.tenant == "fabrikam.example")
        #expect(first.kind == .confidential)
        #expect(first.secrets == [ClientSecret(value: "handler-001-secret")])
        #expect(first.applicationPermissions == ["IMAP.AccessAsApp"] && first.adminConsent)
        #expect(first.delegatedPermissions == ["IMAP.AccessAsUser.All", "offline_access"])
        // App 1 of 300 gets mailboxes 1, 301, 601, 901 of the 1000, and the declared one.
        #expect(
            first.mailboxAccess == [
                "support0001@fabrikam.example", "support0301@fabrikam.example", "support0601@fabrikam.example",
                "support0901@fabrikam.example", "helpdesk@fabrikam.example",
            ])
        let last = try #require(scenario.apps.last)
        #expect(last.clientID == "7a7a0000-0000-4000-8000-000000000300" && last.name == "Handler 300")
        #expect(last.mailboxAccess.count == 4 && last.mailboxAccess[0] == "support0300@fabrikam.example")
        #expect(scenario.apps.allSatisfy { ScaleBlock.isGUID($0.clientID) })
        // Every mailbox goes to exactly one app; app 7 also has all of them from the mailbox entry.
        let shared = scenario.apps.dropFirst().flatMap { $0.mailboxAccess.filter { $0.hasPrefix("support") } }
        #expect(shared.count == 1000 + 1000 && Set(shared).count == 1000)
        let snapshot = LiveScenario(scenario).snapshot
        #expect(snapshot.hasFullAccess("7a7a0000-0000-4000-8000-000000000002", on: "SUPPORT0602@fabrikam.example"))
        #expect(!snapshot.hasFullAccess("7a7a0000-0000-4000-8000-000000000002", on: "support0603@fabrikam.example"))
        #expect(snapshot.hasFullAccess("7a7a0000-0000-4000-8000-000000000007", on: "support0603@fabrikam.example"))
        // The same scenario text gives the same apps.
        let again = try Self.load(scale)
        #expect(again == scenario)
    }

    @Test func tenThousandAppsLoadAndCheck() throws {
        let scenario = try Self.load(
            """
              - apps: 10000
                name: Handler {n}
                client_id: 7a7a0000-0000-4000-8000-0000000{n}
                tenant: \(Self.tenant)
                secrets: [{value: 's-{n}'}]
                application_permissions: [IMAP.AccessAsApp, POP.AccessAsApp]
                admin_consent: true
                mailbox_access: [helpdesk@fabrikam.example]
            """)
        #expect(scenario.apps.count == 10_001)
        #expect(scenario.apps[10_000].clientID == "7a7a0000-0000-4000-8000-000000010000")
        #expect(scenario.app(clientID: "7a7a0000-0000-4000-8000-000000004242")?.secrets.first?.value == "s-04242")
    }

    @Test func mistakesAreReportedWhereTheEntryIsWritten() {
        let app = "name: h, tenant: fabrikam.example"
        #expect(
            Self.problems("  - {apps: 3, \(app), client_id: '7a7a0000-0000-4000-8000-000000000001'}") == [
                "t.yaml:19:61: scale[0].client_id: '7a7a0000-0000-4000-8000-000000000001' needs exactly one `{n}`, at its end. Write a GUID with `{n}` for its last digits, e.g. `11111111-2222-3333-4444-{n}` (11111111-2222-3333-4444-000000000001 and on)."
            ])
        #expect(
            Self.problems("  - {apps: 3, \(app), client_id: 'not-a-guid-{n}'}") == [
                "t.yaml:19:61: scale[0].client_id: 'not-a-guid-{n}' does not make a GUID when `{n}` fills its last digits. Write a GUID with `{n}` for its last digits, e.g. `11111111-2222-3333-4444-{n}` (11111111-2222-3333-4444-000000000001 and on)."
            ])
        #expect(
            Self.problems("  - {apps: 1000, \(app), client_id: '7a7a0000-0000-4000-8000-0000000000{n}'}") == [
                "t.yaml:19:64: scale[0].client_id: `{n}` has room for 2 digit(s) in '7a7a0000-0000-4000-8000-0000000000{n}', and 1000 apps need 4. Put `{n}` in place of more of the GUID's last digits, or generate fewer apps."
            ])
        // A declared client id ending in decimal digits is one a pattern can generate.
        let declared = "4b8e2f6a-0c1d-4e3f-9a5b-000000000005"
        let collision = ScaleScenarioTests.yaml(
            scale: "  - {apps: 9, \(app), client_id: '4b8e2f6a-0c1d-4e3f-9a5b-00000000000{n}'}"
        ).replacingOccurrences(of: ScaleScenarioTests.app, with: declared)
        #expect(
            ScenarioLoader.problems(yaml: collision, fileName: "t.yaml") == [
                "t.yaml:19:61: scale[0].client_id: the pattern generates client id '\(declared)', which apps[0] already declares. Change the pattern, or the declared app's `client_id`."
            ])
        let clientID = "client_id: '7a7a0000-0000-4000-8000-{n}'"
        #expect(
            Self.problems("  - {apps: 3, name: h, tenant: nowhere.example, \(clientID)}") == [
                "t.yaml:19:32: scale[0].tenant: no tenant has the id or domain 'nowhere.example'. Use the `id` (or a verified domain) of a tenant under `tenants`."
            ])
        #expect(
            Self.problems(
                "  - {apps: 3, \(app), \(clientID), application_permissions: [IMAP.AccessAsApp, IMAP.Everything]}") == [
                    "t.yaml:19:136: scale[0].application_permissions[1]: unknown application permission 'IMAP.Everything'. Use one of: \(App.knownApplicationPermissions.joined(separator: ", "))."
                ])
        #expect(
            Self.problems("  - {apps: 3, \(app), \(clientID), address: 'a{n}@fabrikam.example'}") == [
                "t.yaml:19:101: scale[0].address: `address` is for `shared_mailboxes` and `users` entries. Remove it; generated apps get mailboxes with `mailbox_access`."
            ])
        #expect(
            Self.problems("  - {shared_mailboxes: 3, address: 'a{n}@fabrikam.example', client_id: x}") == [
                "t.yaml:19:72: scale[0].client_id: `client_id` is for `apps` entries. Remove it, or move it to an `apps: N` entry."
            ])
        #expect(
            Self.problems(
                "  - {apps: 3, \(app), \(clientID)}\n  - {apps: 20, \(app), client_id: '7a7a0000-0000-4000-8000-0{n}'}")
                == [
                    "t.yaml:20:5: scale[1].client_id: this entry and scale[0] both generate client id '7a7a0000-0000-4000-8000-000000000001'. Give each entry its own client id pattern."
                ])
        #expect(
            Self.problems("  - {apps: 3, \(app), \(clientID), mailbox_access: [nobody@fabrikam.example]}") == [
                "t.yaml:19:109: scale[0].mailbox_access[0]: mailbox 'nobody@fabrikam.example' does not exist. Declare it under `mailboxes`, give its user `mailbox: true`, or generate it with a `scale` entry."
            ])
        #expect(
            Self.problems("  - {apps: 3, \(app), \(clientID), mailbox_access: ['q{n}@fabrikam.example']}") == [
                "t.yaml:19:109: scale[0].mailbox_access[0]: 'q{n}@fabrikam.example' is not the `address` of a `shared_mailboxes` or `users` entry. Write another scale entry's `address` pattern exactly, or one mailbox's address."
            ])
        #expect(
            Self.problems(
                "  - {apps: 30, \(app), \(clientID), mailbox_access: ['q{n}@fabrikam.example']}\n  - {users: 20, address: 'q{n}@fabrikam.example'}"
            ) == [
                "t.yaml:19:110: scale[0].mailbox_access[0]: 30 apps share the 20 mailboxes 'q{n}@fabrikam.example' generates, so apps past 20 would get none. Generate at most 20 apps, or more mailboxes."
            ])
        // A generated mailbox, or a generated app named in a mailbox entry, is found whatever the order.
        #expect(
            Self.problems(
                "  - {shared_mailboxes: 5, address: 'q{n}@fabrikam.example', full_access: ['7a7a0000-0000-4000-8000-000000000003']}\n  - {apps: 3, \(app), \(clientID), mailbox_access: [q5@fabrikam.example]}"
            ).isEmpty)
        #expect(
            Self.problems(
                "  - {shared_mailboxes: 5, address: 'q{n}@fabrikam.example', full_access: ['7a7a0000-0000-4000-8000-000000000004']}\n  - {apps: 3, \(app), \(clientID)}"
            ) == [
                "t.yaml:19:74: scale[0].full_access[0]: '7a7a0000-0000-4000-8000-000000000004' is neither an app's client id nor a declared user's UPN. Name an app under `apps` or generated by an `apps` entry (by `client_id`) or a user under `users` (by `upn`)."
            ])
        let max = Limits.scenarioMaximumScaleCount
        #expect(
            Self.problems(
                "  - {shared_mailboxes: \(max), address: 'x{n}@fabrikam.example'}\n  - {apps: 1, \(app), \(clientID)}")
                == [
                    "t.yaml:20:5: scale[1]: the `scale` entries generate \(max + 1) users, mailboxes and apps; the limit is \(max). Generate fewer (Limits.scenarioMaximumScaleCount)."
                ])
    }

    @Test func grantsAreBounded() {
        let max = Limits.scenarioMaximumScaleGrants
        let app = "name: h, tenant: fabrikam.example, client_id: '7a7a0000-0000-4000-8000-{n}'"
        let principals = "[\(ScaleScenarioTests.app), lead@fabrikam.example, lead@fabrikam.example]"
        // 3 × 500,000 from the mailbox entry, then 500,000 shared out and one declared mailbox: one too many.
        #expect(
            Self.problems(
                "  - {shared_mailboxes: \(max / 4), address: 'x{n}@fabrikam.example', full_access: \(principals)}\n  - {apps: 1, \(app), mailbox_access: ['x{n}@fabrikam.example', helpdesk@fabrikam.example]}"
            ) == [
                "t.yaml:20:108: scale[1].mailbox_access: the `scale` entries grant FullAccess \(max + 1) times; the limit is \(max). Give fewer principals FullAccess on every mailbox, or share a mailbox entry out among generated apps by naming its `address` pattern in `mailbox_access` (Limits.scenarioMaximumScaleGrants)."
            ])
    }

    /// `exomock run`: a generated app gets an app-only token by client credentials with its generated
    /// secret and logs in over IMAP to a generated shared mailbox shared out to it; not to another app's.
    @Test(.timeLimit(.minutes(2))) func aGeneratedAppLogsInToItsGeneratedMailbox() throws {
        let token = { (n: String, name: String) in  // n: the client id's last 12 digits
            "token: {tenant: \(Self.tenant), app: 7a7a0000-0000-4000-8000-\(n), grant: client_credentials, secret: handler-\(n.suffix(4))-secret, scopes: [https://outlook.office365.com/.default], save_as: \(name)}"
        }
        let flow = """
            flow:
              - name: app-only token of generated app 42
                \(token("000000000042", "app42"))
              - name: IMAP into its mailbox 1042
                imap:
                  mailbox: support1042@fabrikam.example
                  token: app42
                  commands:
                    - send: SELECT INBOX
                      expect: {status: OK, exists: 3}
              - name: not into app 43's mailbox
                imap:
                  mailbox: support0043@fabrikam.example
                  token: app42
                  commands:
                    - send: SELECT INBOX
                      expect: {status: BAD}
            """
        let scale = """
              - apps: 1000
                name: Handler {n}
                client_id: 7a7a0000-0000-4000-8000-{n}
                tenant: \(Self.tenant)
                secrets: [{value: 'handler-{n}-secret'}]
                application_permissions: [IMAP.AccessAsApp]
                admin_consent: true
                mailbox_access: ['support{n}@fabrikam.example']
              - shared_mailboxes: 2000
                address: support{n}@fabrikam.example
                inbox: {count: 3}
            """
        let directory = try TestSupport.temporaryDirectory("exomock-scale-apps")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("scale.yaml").path
        try ScaleScenarioTests.yaml(scale: scale, flow: flow).write(toFile: file, atomically: true, encoding: .utf8)
        let result = try runProgram(
            TestSupport.exomockBinary, ["run", file, "--certs", directory.appendingPathComponent("certs").path],
            package: "exomock", timeout: 100)
        #expect(result.status == 0, "\(result.output)\n\(result.error)")
        #expect(result.output.hasSuffix("# passed: 3 step(s)\n1 passed, 0 failed\n"), "\(result.output)")
        #expect(result.output.contains("S * 3 EXISTS"), "\(result.output)")
    }

    /// The example of docs/scenario-format.md's `### scale` section loads, and its error example is what
    /// the loader says when the example's client id leaves `{n}` two digits.
    @Test func documentedScaleExampleLoads() throws {
        let doc = try String(
            contentsOf: TestSupport.repositoryRoot.appendingPathComponent("docs/scenario-format.md"), encoding: .utf8)
        let section = try #require(doc.range(of: "### scale\n"))
        let start = try #require(doc.range(of: "```yaml\n", range: section.upperBound..<doc.endIndex))
        let end = try #require(doc.range(of: "\n```", range: start.upperBound..<doc.endIndex))
        let header = """
            name: scale example
            clouds: [gcc-high]
            tenants: [{id: 8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a, cloud: gcc-high, domains: [contoso.onmicrosoft.us]}]
            apps:
              - name: connector
                client_id: 11111111-2222-3333-4444-555555555555
                tenant: 8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a
                secrets: [{value: s3cret}]
                application_permissions: [IMAP.AccessAsApp]
                admin_consent: true

            """
        let yaml = header + String(doc[start.upperBound..<end.lowerBound]) + "\n"
        let scenario = try ScenarioLoader.load(yaml: yaml, fileName: "s.yaml", baseDirectory: nil)
        #expect(scenario.apps.count == 1 + 1000 && scenario.mailboxes.count == 100_000)
        let handler = try #require(scenario.app(clientID: "7a7a0000-0000-4000-8000-000000001000"))
        #expect(handler.secrets.map { $0.value } == ["handler-1000-secret"])
        #expect(
            handler.mailboxAccess.count == 100 && handler.mailboxAccess[1] == "support002000@contoso.onmicrosoft.us")
        #expect(scenario.apps[0].mailboxAccess.count == 100_000)

        let bad = yaml.replacingOccurrences(
            of: "client_id: 7a7a0000-0000-4000-8000-{n}", with: "client_id: 7a7a0000-0000-4000-8000-0000000000{n}")
        let problem = try #require(ScenarioLoader.problems(yaml: bad, fileName: "s.yaml").first)
        let documented = try #require(doc.range(of: ": scale[2].client_id: "))
        let line = doc[documented.lowerBound...].prefix { $0 != "\n" }
        #expect(problem.hasSuffix(line), "\(problem)")
    }
}
