import ExomockTestSupport
import FlowRunner
import Foundation

/// A small Worldwide tenant every flow test plays against: a confidential handler app (delegated and
/// app-only), a public device-code app, one user with a mailbox of 3 generated messages.
enum FlowFixture {
    static let base = """
        version: 1
        name: flow-test
        seed: 3
        clock: {start: 2026-03-02T08:00:00Z}
        clouds: [worldwide]
        tenants:
          - {id: 5e7a1c9b-2d4f-4a6e-8b3c-0f1d2e3a4b5c, cloud: worldwide, domains: [fabrikam.example]}
        apps:
          - name: Handler
            client_id: 0c4e8a2f-6b1d-4d3e-9a7c-5f2b8e1d0a64
            tenant: fabrikam.example
            secrets: [{value: handler-secret}]
            redirect_uris: [https://jira.example/callback]
            delegated_permissions: [IMAP.AccessAsUser.All, POP.AccessAsUser.All, offline_access]
            application_permissions: [IMAP.AccessAsApp, POP.AccessAsApp]
            admin_consent: true
            mailbox_access: [support@fabrikam.example]
          - name: Device tool
            client_id: 1c4e8a2f-6b1d-4d3e-9a7c-5f2b8e1d0a64
            tenant: fabrikam.example
            type: public
            delegated_permissions: [IMAP.AccessAsUser.All, offline_access]
            admin_consent: true
        users:
          - {upn: support@fabrikam.example, password: Support-1, mailbox: true}
        mailboxes:
          - address: support@fabrikam.example
            folders:
              - name: Inbox
                messages:
                  - generate: {count: 3, size: 2KiB, seed: 5}

        """

    static let app = "0c4e8a2f-6b1d-4d3e-9a7c-5f2b8e1d0a64"
    static let deviceApp = "1c4e8a2f-6b1d-4d3e-9a7c-5f2b8e1d0a64"

    /// An app-only token step saved as `app`.
    static let appToken = """
          - name: app token
            token: {tenant: fabrikam.example, app: \(app), grant: client_credentials, scopes: ['https://outlook.office.com/.default'], save_as: app}

        """

    /// One certificates directory for the whole test process (the CA and keys are made once).
    static let certificates = TestSupport.processCertificatesDirectory("exomock-flow-certs")

    /// Writes the scenario (base + faults + flow) to a file of its own.
    static func write(flow: String, faults: String = "") throws -> String {
        let directory = try TestSupport.temporaryDirectory("exomock-flow")
        let path = directory.appendingPathComponent("scenario.yaml").path
        let text = base + (faults.isEmpty ? "" : "faults:\n\(faults)\n") + "flow:\n" + flow
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The 1-based line of the last line containing `marker`.
    static func line(of marker: String, in file: String) throws -> Int {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let index = lines.lastIndex(where: { $0.contains(marker) }) else {
            throw TestFailure("no '\(marker)' in \(file)")
        }
        return index + 1
    }

    /// Plays a flow in this process.
    static func play(flow: String, faults: String = "") async throws -> (ScenarioResult, String) {
        let file = try write(flow: flow, faults: faults)
        let result = await FlowRunner.runFile(file, certificatesDirectory: certificates, golden: .ignore)
        return (result, file)
    }
}
