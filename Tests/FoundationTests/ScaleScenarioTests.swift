import Determinism
import ExomockLimits
import ExomockTestSupport
import Foundation
import ScenarioLoader
import ScenarioModel
import Testing

@testable import MailStore

/// `scale:` entries: users and shared mailboxes generated from a pattern, with virtual mail, FullAccess
/// for listed principals, located errors, and logins that find a generated mailbox by index.
@Suite struct ScaleScenarioTests {
    static let app = "4b8e2f6a-0c1d-4e3f-9a5b-7d6c8e0f2a1b"
    static let tenant = "5e7a1c9b-2d4f-4a6e-8b3c-0f1d2e3a4b5c"

    static func yaml(scale: String, flow: String = "") -> String {
        """
        version: 1
        name: scale
        seed: 5
        clouds: [worldwide]
        tenants:
          - {id: \(tenant), cloud: worldwide, domains: [fabrikam.example]}
        apps:
          - name: connector
            client_id: \(app)
            tenant: \(tenant)
            secrets: [{value: connector-secret}]
            application_permissions: [IMAP.AccessAsApp, POP.AccessAsApp]
            admin_consent: true
        users:
          - {upn: lead@fabrikam.example, password: pw}
        mailboxes:
          - {address: helpdesk@fabrikam.example, type: shared}
        scale:
        \(scale)
        \(flow)
        """
    }

    static func problems(_ scale: String) -> [String] {
        ScenarioLoader.problems(yaml: yaml(scale: scale), fileName: "t.yaml")
    }

    @Test func entriesExpandIntoUsersMailboxesAndGrants() throws {
        let scenario = try ScenarioLoader.load(
            yaml: Self.yaml(
                scale: """
                      - shared_mailboxes: 10000
                        address: support{n}@fabrikam.example
                        inbox: {count: 200, size: 2KiB, seed: 7}
                        full_access: [\(Self.app), lead@fabrikam.example]
                      - users: 12
                        address: Agent{n}@fabrikam.example
                        password: pw-{n}
                        inbox: {count: 3}
                    """), fileName: "t.yaml", baseDirectory: nil)
        #expect(scenario.mailboxes.count == 1 + 10_000 + 12)
        #expect(scenario.mailboxes[1].address == "support00001@fabrikam.example")
        #expect(scenario.mailboxes[10_000].address == "support10000@fabrikam.example")
        #expect(scenario.mailboxes[1].kind == .shared)
        #expect(scenario.users.map(\.upn).suffix(2) == ["Agent11@fabrikam.example", "Agent12@fabrikam.example"])
        #expect(scenario.users.last?.password == "pw-12")
        #expect(scenario.apps[0].mailboxAccess.count == 10_000)
        #expect(scenario.users[0].fullAccess.count == 10_000)
        #expect(scenario.problems().isEmpty)

        // Every mailbox holds different, deterministic mail; the store makes it only when read.
        let block = ScaleBlock(kind: .shared, count: 10_000, address: "support{n}@fabrikam.example", inboxSeed: 7)
        let store = try MailStore(
            scenario: scenario, clock: VirtualClock(start: scenario.clock.start), ids: IdentifierSource(seed: 5))
        let a = try store.snapshot(mailbox: "SUPPORT04242@fabrikam.example", folder: "Inbox")
        let b = try store.snapshot(mailbox: "support04243@fabrikam.example", folder: "Inbox")
        #expect(a.messages.count == 200 && a.uidNext == 201)
        var generator = ReferenceMessageGenerator(
            seed: block.inboxSeed(4242), recipient: "support04242@fabrikam.example", approximateSize: 2048)
        for i in 0..<200 {
            let (_, raw, _) = generator.next(index: i, count: 200, end: scenario.clock.start)
            #expect(a.messages[i].raw == raw, "message \(i)")
        }
        #expect(a.messages[0].raw != b.messages[0].raw)
        #expect(try store.snapshot(mailbox: "agent07@fabrikam.example", folder: "Inbox").messages.count == 3)
    }

    @Test func theLiveSnapshotAnswersFullAccessLikeTheLists() throws {
        let scenario = try ScenarioLoader.load(
            yaml: Self.yaml(
                scale: """
                      - shared_mailboxes: 500
                        address: q{n}@fabrikam.example
                        full_access: [\(Self.app)]
                    """), fileName: "t.yaml", baseDirectory: nil)
        let snapshot = LiveScenario(scenario).snapshot
        #expect(snapshot.hasFullAccess(Self.app.uppercased(), on: "Q123@fabrikam.example"))
        #expect(!snapshot.hasFullAccess(Self.app, on: "helpdesk@fabrikam.example"))
        #expect(!snapshot.hasFullAccess("lead@fabrikam.example", on: "q123@fabrikam.example"))
        #expect(snapshot.mailbox(address: "q500@fabrikam.example")?.kind == .shared)
        #expect(snapshot.mailbox(address: "q501@fabrikam.example") == nil)
    }

    @Test func mistakesAreReportedWhereTheEntryIsWritten() {
        #expect(
            Self.problems("  - {shared_mailboxes: 3, address: support@fabrikam.example}") == [
                "t.yaml:19:36: scale[0].address: 'support@fabrikam.example' needs exactly one `{n}`, before the `@`. Write a pattern such as `support{n}@contoso.onmicrosoft.us`."
            ])
        #expect(
            Self.problems("  - {shared_mailboxes: 3, address: 's{n}@contoso.example'}") == [
                "t.yaml:19:36: scale[0].address: no tenant has the domain 'contoso.example'. Add 'contoso.example' to a tenant's `domains`, or fix the pattern."
            ])
        #expect(
            Self.problems("  - {users: 3, address: 'helpdesk{n}@fabrikam.example', full_access: [nobody]}") == [
                "t.yaml:19:70: scale[0].full_access[0]: 'nobody' is neither an app's client id nor a declared user's UPN. Name an app under `apps` or generated by an `apps` entry (by `client_id`) or a user under `users` (by `upn`)."
            ])
        #expect(
            Self.problems(
                "  - {shared_mailboxes: 20, address: 'lea{n}@fabrikam.example'}\n  - {users: 2, address: 'lead{n}@fabrikam.example'}"
            ).isEmpty)
        #expect(
            Self.problems(
                "  - {shared_mailboxes: 20, address: 'helpdesk{n}@fabrikam.example'}\n  - {users: 2, address: 'helpdesk0{n}@fabrikam.example'}"
            ) == [
                "t.yaml:20:5: scale[1].address: this entry and scale[0] both generate 'helpdesk01@fabrikam.example'. Give each entry its own address pattern."
            ])
        #expect(
            Self.problems("  - {shared_mailboxes: 2, users: 2, address: 'x{n}@fabrikam.example'}") == [
                "t.yaml:19:5: scale[0]: a scale entry has both `shared_mailboxes` and `users`. Split it into two entries."
            ])
        #expect(
            Self.problems("  - {shared_mailboxes: 2, address: 'x{n}@fabrikam.example', password: p}") == [
                "t.yaml:19:71: scale[0].password: shared mailboxes have no password. Remove `password`, or generate `users:` instead."
            ])
        let max = Limits.scenarioMaximumScaleCount
        #expect(
            Self.problems("  - {shared_mailboxes: \(max + 1), address: 'x{n}@fabrikam.example'}") == [
                "t.yaml:19:24: scale[0].shared_mailboxes: \(max + 1) is out of range. Use a number from 1 to \(max)."
            ])
        #expect(
            Self.problems(
                "  - {shared_mailboxes: \(max), address: 'x{n}@fabrikam.example'}\n  - {users: 1, address: 'y{n}@fabrikam.example'}"
            ) == [
                "t.yaml:20:5: scale[1]: the `scale` entries generate \(max + 1) users, mailboxes and apps; the limit is \(max). Generate fewer (Limits.scenarioMaximumScaleCount)."
            ])
    }

    /// A 10,000-mailbox tenant served by `exomock run`: an app-only token, then IMAP and POP3 logins to a
    /// generated mailbox (found by index, FullAccess from the entry) that list its virtual Inbox.
    @Test(.timeLimit(.minutes(2))) func aGeneratedTenantLoadsAndLogsIn() throws {
        let flow = """
            flow:
              - name: app-only token
                token: {tenant: \(Self.tenant), app: \(Self.app), grant: client_credentials, scopes: [https://outlook.office365.com/.default], save_as: app}
              - name: IMAP into a generated mailbox
                imap:
                  mailbox: support09999@fabrikam.example
                  token: app
                  commands:
                    - send: SELECT INBOX
                      expect: {status: OK, exists: 200}
                    - send: UID FETCH 200 (RFC822.SIZE)
                      expect: {status: OK}
              - name: POP3 into another
                pop3:
                  mailbox: support00001@fabrikam.example
                  token: app
                  commands:
                    - send: STAT
                      expect: {pattern: '^\\+OK 200 '}
            """
        let scale = """
              - shared_mailboxes: 10000
                address: support{n}@fabrikam.example
                inbox: {count: 200, size: 2KiB, seed: 7}
                full_access: [\(Self.app)]
            """
        let directory = try TestSupport.temporaryDirectory("exomock-scale")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("scale.yaml").path
        try Self.yaml(scale: scale, flow: flow).write(toFile: file, atomically: true, encoding: .utf8)
        let result = try runProgram(
            TestSupport.exomockBinary, ["run", file, "--certs", directory.appendingPathComponent("certs").path],
            package: "exomock", timeout: 100)
        #expect(result.status == 0, "\(result.output)\n\(result.error)")
        #expect(result.output.hasSuffix("1 passed, 0 failed\n"), "\(result.output)")
        #expect(result.output.contains("S * 200 EXISTS") && result.output.contains("S +OK 200 "))
    }
}
