import Exomock
import ExomockTestSupport
import Foundation
import LoadGenerator
import ScenarioLoader
import Testing

/// `exomock load` reads the mailboxes a `scale:` `apps:` entry shares out with the token of the app that has
/// each one: every generated app makes its own client-credentials grant.
@Suite(.timeLimit(.minutes(2))) struct GeneratedAppsLoadTests {
    static let yaml = """
        version: 1
        name: generated-apps-load
        seed: 5
        clock: {start: 2026-03-02T08:00:00Z}
        clouds: [worldwide]
        tenants:
          - {id: 6e7a1c9b-2d4f-4a6e-8b3c-0f1d2e3a4b5c, cloud: worldwide, domains: [load.example]}
        scale:
          - shared_mailboxes: 6
            address: box{n}@load.example
            inbox: {count: 2, size: 1KiB, seed: 3}
          - apps: 3
            name: Handler {n}
            client_id: 7a7a0000-0000-4000-8000-{n}
            tenant: load.example
            secrets: [{value: 'handler-{n}-secret'}]
            application_permissions: [IMAP.AccessAsApp]
            admin_consent: true
            mailbox_access: ['box{n}@load.example']
        """

    @Test func everyGeneratedAppReadsItsShareWithItsOwnToken() async throws {
        let scenario = try ScenarioLoader.load(yaml: Self.yaml, fileName: "apps.yaml", baseDirectory: nil)
        var settings = LoadSettings(mix: try LoadMix.parse("imap=1"), clients: 6, duration: 1, warmup: 0, timeout: 30)
        settings.work.fetch = .all
        let run = settings
        let outcome = try await ExomockServer.run(
            scenario,
            options: ServeOptions(certificatesDirectory: LoadFixture.certificates, logger: LoadFixture.logger)
        ) { mock in
            let target = try await ScenarioTarget(scenario: scenario, ready: mock.ready)
                .make(mix: run.mix, clients: run.clients, timeout: run.timeout, name: "test mock")
            let report = await LoadRunner.run(run, target: target)
            await target.http?.shutdown()
            return (target, report)
        }
        let (target, report) = try #require(outcome)
        // Six handlers over the six mailboxes the three apps share out (app n: box n and box n + 3).
        #expect(Set(target.handlers.map(\.mailbox)) == Set((1...6).map { "box\($0)@load.example" }))
        #expect(Set(target.handlers.map(\.accessToken)).count == 3)
        #expect(target.notes.contains { $0.contains("3 apps for 6 mailbox(es)") }, "\(target.notes)")
        // A token of the wrong app would be refused ("User is authenticated but not connected").
        let imap = try #require(report.kinds["imap"])
        #expect(imap.ops > 0 && imap.errors == 0, "\(report.errors)")
        #expect(imap.messages == imap.ops * 2)
    }
}
