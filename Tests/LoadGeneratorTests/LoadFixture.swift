import Exomock
import ExomockTestSupport
import Foundation
import LoadGenerator
import Logging
import ScenarioLoader
import ScenarioModel

/// A small Worldwide tenant to load: an app with app-only and delegated mail access to two
/// mailboxes of 4 small messages, and a user the password grant signs in (for refresh tokens).
enum LoadFixture {
    static func yaml(faults: String = "") -> String {
        """
        version: 1
        name: load-test
        seed: 11
        clock: {start: 2026-03-02T08:00:00Z}
        clouds: [worldwide]
        tenants:
          - {id: 6e7a1c9b-2d4f-4a6e-8b3c-0f1d2e3a4b5c, cloud: worldwide, domains: [load.example]}
        apps:
          - name: Handler
            client_id: 7c4e8a2f-6b1d-4d3e-9a7c-5f2b8e1d0a64
            tenant: load.example
            secrets: [{value: handler-secret}]
            delegated_permissions: [IMAP.AccessAsUser.All, POP.AccessAsUser.All, SMTP.Send, offline_access]
            application_permissions: [IMAP.AccessAsApp, POP.AccessAsApp, SMTP.SendAsApp]
            admin_consent: true
            mailbox_access: [box1@load.example, box2@load.example]
        users:
          - {upn: agent@load.example, password: Agent-Pa55, mailbox: true}
        mailboxes:
          - address: box1@load.example
            type: shared
            folders:
              - {name: Inbox, messages: [{generate: {count: 4, size: 1KiB, seed: 1}}]}
          - address: box2@load.example
            type: shared
            folders:
              - {name: Inbox, messages: [{generate: {count: 4, size: 1KiB, seed: 2}}]}
        \(faults.isEmpty ? "" : "faults:\n" + faults)
        """
    }

    /// One certificates directory for the whole test process (the CA and keys are made once).
    static let certificates = TestSupport.processCertificatesDirectory("exomock-load-certs")

    static func write(faults: String = "") throws -> String {
        let file = try TestSupport.temporaryDirectory("exomock-load").appendingPathComponent("load.yaml").path
        try Data(yaml(faults: faults).utf8).write(to: URL(fileURLWithPath: file))
        return file
    }

    static let logger: Logger = {
        var logger = Logger(label: "exomock.load-test")
        logger.logLevel = .error
        return logger
    }()

    /// Serves the fixture in this process and runs `settings` against it: a second of load or so.
    static func run(_ settings: LoadSettings, faults: String = "") async throws -> LoadReport {
        let scenario = try ScenarioLoader.load(yaml: yaml(faults: faults), fileName: "load.yaml", baseDirectory: nil)
        let report = try await ExomockServer.run(
            scenario, options: ServeOptions(certificatesDirectory: certificates, logger: logger)
        ) {
            mock in
            let target = try await ScenarioTarget(scenario: scenario, ready: mock.ready)
                .make(mix: settings.mix, clients: settings.clients, timeout: settings.timeout, name: "test mock")
            try target.check(settings.mix)
            let report = await LoadRunner.run(settings, target: target)
            await target.http?.shutdown()
            return report
        }
        guard let report else { throw TestFailure("the mock stopped before the load finished") }
        return report
    }
}
