import Foundation
import ScenarioLoader
import ScenarioModel
import Testing

/// The scenario keys of the token-service behaviours: password changes, sign-in frequency per user
/// or app, app certificates; each read, and each mistake located.
@Suite struct TokenPolicyLoaderTests {
    static let head = """
        name: t
        clouds: [gcc-high]
        tenants:
          - {id: 8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a, cloud: gcc-high, domains: [contoso.onmicrosoft.us]}

        """

    static func load(_ yaml: String, base: String? = nil) -> Result<Scenario, ScenarioLoadError> {
        Result { () throws(ScenarioLoadError) -> Scenario in
            try ScenarioLoader.load(yaml: head + yaml, fileName: "t.yaml", baseDirectory: base)
        }
    }

    static func problems(_ yaml: String, base: String? = nil) -> [String] {
        switch load(yaml, base: base) {
        case .success: []
        case .failure(let e): e.problems.map(\.description)
        }
    }

    @Test("sign_in_frequency on a user and an app; the old lifetimes key still applies to everyone")
    func signInFrequency() throws {
        let s = try Self.load(
            """
            apps:
              - {name: a, client_id: 0a1b2c3d-1111-4222-8333-444455556666, tenant: 8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a,
                 sign_in_frequency: 8h}
            users:
              - {upn: u@contoso.onmicrosoft.us, password: p, sign_in_frequency: 1d}
              - {upn: v@contoso.onmicrosoft.us, password: p}
            lifetimes: {refresh_token_max_age: 30d}
            """
        ).get()
        #expect(s.apps[0].signInFrequency.map { Int($0) } == 8 * 3_600)
        #expect(s.users[0].signInFrequency.map { Int($0) } == 86_400)
        #expect(s.signInFrequency(user: s.users[0], app: nil).map { Int($0) } == 86_400)
        #expect(s.signInFrequency(user: s.users[1], app: nil).map { Int($0) } == 30 * 86_400)
        #expect(s.signInFrequency(user: s.users[0], app: s.apps[0]).map { Int($0) } == 8 * 3_600)
    }

    @Test("a zero sign-in frequency is located")
    func zeroFrequency() {
        #expect(
            Self.problems(
                "users:\n  - {upn: u@contoso.onmicrosoft.us, password: p, sign_in_frequency: 0s}\n") == [
                    "t.yaml:6:69: users[0].sign_in_frequency: sign-in frequency must be longer than zero. Write a positive duration such as 1h or 1d, or remove the key."
                ])
    }

    @Test("change_password and reset_password with `by`; `by` elsewhere is located")
    func passwordChanges() throws {
        let users = "users:\n  - {upn: u@contoso.onmicrosoft.us, password: p}\n"
        let s = try Self.load(
            users + """
                flow:
                  - change: {kind: change_password, user: u@contoso.onmicrosoft.us, password: q}
                  - change: {kind: reset_password, user: u@contoso.onmicrosoft.us, password: r, by: self_service}
                  - change: {kind: reset_password, user: u@contoso.onmicrosoft.us, password: s}
                """
        ).get()
        let changes = s.flow.compactMap { step -> Change? in
            if case .change(let c) = step.action { return c }
            return nil
        }
        #expect(changes.map(\.passwordSurface) == [.user, .selfService, .entraAdminCenter])
        #expect(
            Self.problems(
                users
                    + "flow:\n  - change: {kind: change_password, user: u@contoso.onmicrosoft.us, password: q, by: azure_portal}\n"
            )
                == [
                    "t.yaml:8:86: flow[0].change.by: `by: azure_portal` does not apply to a `change_password` change. Remove `by`; only `reset_password` takes it."
                ])
        #expect(
            Self.problems(
                users
                    + "flow:\n  - change: {kind: reset_password, user: u@contoso.onmicrosoft.us, password: q, by: user}\n"
            )
                == [
                    "t.yaml:8:85: flow[0].change.by: `by: user` does not apply to a `reset_password` change. Use `kind: change_password` for a user changing their own password."
                ])
        #expect(
            Self.problems(
                users
                    + "flow:\n  - change: {kind: reset_password, user: u@contoso.onmicrosoft.us, password: q, by: portal}\n"
            )
                == [
                    "t.yaml:8:85: flow[0].change.by: unknown password reset surface 'portal'. Use one of: user, self_service, azure_portal, entra_admin_center, m365_admin_center."
                ])
    }

    @Test(
        "an app certificate is read from a PEM file next to the scenario; a missing or non-PEM file is located"
    )
    func certificates() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "exomock-cert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
        try pem.write(
            to: directory.appendingPathComponent("app.pem"), atomically: true, encoding: .utf8)
        try "not a certificate".write(
            to: directory.appendingPathComponent("junk.pem"), atomically: true, encoding: .utf8)
        func app(_ file: String, type: String = "confidential") -> String {
            """
            apps:
              - name: a
                client_id: 0a1b2c3d-1111-4222-8333-444455556666
                tenant: 8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a
                type: \(type)
                certificates: [{file: \(file)}]

            """
        }
        let s = try Self.load(app("app.pem"), base: directory.path).get()
        #expect(s.apps[0].certificates == [AppCertificate(pem: pem, file: "app.pem")])
        #expect(
            Self.problems(app("gone.pem"), base: directory.path) == [
                "t.yaml:10:27: apps[0].certificates[0].file: certificate file 'gone.pem' does not exist (looked for \(directory.path)/gone.pem). Check the path; relative paths start from the scenario file's directory."
            ])
        #expect(
            Self.problems(app("junk.pem"), base: directory.path) == [
                "t.yaml:10:27: apps[0].certificates[0].file: certificate file 'junk.pem' holds no `-----BEGIN CERTIFICATE-----` block. Export the certificate (public half) as PEM, e.g. `openssl x509 -in cert.der -inform der -out cert.pem`."
            ])
        #expect(
            Self.problems(app("app.pem", type: "public"), base: directory.path) == [
                "t.yaml:10:19: apps[0].certificates: public app 'a' has certificates. Only confidential clients authenticate with a certificate: remove `certificates`, or write `type: confidential`."
            ])
    }
}
