import EntraTokens
import ExomockTestSupport
import Foundation
import Testing

/// msal (Python) against `exomock serve` for issue 12's token-service policies, driven by
/// `clients/msal_policies.py`: a password change keeps a confidential client's refresh token and ends a
/// public client's (AADSTS50173), a reset in the Entra admin center ends both; a SPA's refresh token dies
/// 24 hours after sign-in however used (AADSTS700084); sign-in frequency on one user and on one app
/// (AADSTS70043); certificate credentials with msal's `{"private_key", "thumbprint"}` (RS256, `x5t`) and
/// `{"private_key", "public_certificate"}` (PS256, `x5t#S256`), another key (AADSTS700027) and an expired
/// assertion (AADSTS700024). Needs `python3` and `pip install msal requests`.
@Suite("msal: password changes, SPA, sign-in frequency, certificates")
struct MsalPolicyTests {
    static let tenantID = "8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a"
    static let appID = "0a1b2c3d-1111-4222-8333-444455556666"
    static let publicAppID = "0a1b2c3d-1111-4222-8333-ddddeeeeffff"
    static let spaAppID = "0a1b2c3d-1111-4222-8333-5a5a5a5a5a5a"
    static let frequencyAppID = "0a1b2c3d-1111-4222-8333-f0f0f0f0f0f0"
    static let certificateAppID = "0a1b2c3d-1111-4222-8333-ce1ce1ce1ce1"
    static let secret = "s3cret-value"
    static let user = "agent@contoso.onmicrosoft.us"
    static let frequencyUser = "shift@contoso.onmicrosoft.us"
    static let password = "P@ssw0rd-1"

    static func scenario(certificateFile: String) -> String {
        let delegated = "[IMAP.AccessAsUser.All, offline_access, openid, profile]"
        return """
            version: 1
            name: msal-policies
            seed: 12
            clock:
              start: 2026-01-01T00:00:00Z
            clouds: [gcc-high]
            tenants:
              - {id: \(tenantID), name: Contoso, cloud: gcc-high, domains: [contoso.onmicrosoft.us]}
            apps:
              - {name: Jira mail handler, client_id: \(appID), tenant: \(tenantID), secrets: [{value: \(secret)}],
                 delegated_permissions: \(delegated), admin_consent: true}
              - {name: CLI, client_id: \(publicAppID), tenant: \(tenantID), type: public,
                 delegated_permissions: \(delegated), admin_consent: true}
              - {name: Help desk SPA, client_id: \(spaAppID), tenant: \(tenantID), type: spa,
                 redirect_uris: [http://localhost:3000], delegated_permissions: \(delegated), admin_consent: true}
              - {name: Kiosk handler, client_id: \(frequencyAppID), tenant: \(tenantID), secrets: [{value: \(secret)}],
                 delegated_permissions: \(delegated), admin_consent: true, sign_in_frequency: 2h}
              - name: Certificate handler
                client_id: \(certificateAppID)
                tenant: \(tenantID)
                certificates: [{file: \(certificateFile)}]
                application_permissions: [IMAP.AccessAsApp]
                admin_consent: true
            users:
              - {upn: \(user), password: \(password)}
              - {upn: \(frequencyUser), password: \(password), sign_in_frequency: 1h}

            """
    }

    static let expectedCases: Set<String> = [
        "password.public_sign_in", "password.confidential_sign_in", "password.change.public_revoked",
        "password.change.confidential_kept", "password.reset_azure_portal.confidential_kept",
        "password.reset_entra_admin_center.confidential_revoked", "password.new_password_signs_in", "spa.sign_in",
        "spa.refresh_at_23h", "spa.refresh_at_25h", "frequency.user.sign_in", "frequency.user.refresh_at_30m",
        "frequency.user.refresh_at_61m", "frequency.app.sign_in", "frequency.app.refresh_at_90m",
        "frequency.app.refresh_at_121m", "certificate.rs256_x5t", "certificate.ps256_x5t_s256", "certificate.other_key",
        "certificate.expired_assertion",
    ]

    @Test("msal sees Microsoft's revocation, SPA, sign-in frequency and certificate answers", .timeLimit(.minutes(2)))
    func policies() throws {
        try requirePythonModules(["msal", "requests", "cryptography"], pip: "msal requests cryptography")
        let directory = try TestSupport.temporaryDirectory("exomock-msal-policies-keys")
        let minted = try AppCertificateMinter.mint(commonName: "Certificate handler", notValidBefore: Date())
        let other = try AppCertificateMinter.mint(commonName: "Someone else", notValidBefore: Date())
        let files = [
            "cert.pem": minted.certificatePEM, "key.pem": minted.privateKeyPEM, "other.pem": other.privateKeyPEM,
        ]
        for (name, text) in files {
            try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let path = { (name: String) in directory.appendingPathComponent(name).path }
        let mock = try ServedExomock(
            scenarioYAML: Self.scenario(certificateFile: path("cert.pem")), label: "msal-policies")
        let arguments = [
            pythonClients.appendingPathComponent("msal_policies.py").path,
            "--ready-file", mock.readyFile, "--cloud", "gcc-high", "--tenant", Self.tenantID,
            "--client-id", Self.appID, "--client-secret", Self.secret, "--public-client-id", Self.publicAppID,
            "--spa-client-id", Self.spaAppID, "--frequency-client-id", Self.frequencyAppID,
            "--cert-client-id", Self.certificateAppID, "--key-file", path("key.pem"), "--cert-file", path("cert.pem"),
            "--other-key-file", path("other.pem"), "--user", Self.user, "--frequency-user", Self.frequencyUser,
            "--password", Self.password, "--scope", "https://outlook.office365.us/IMAP.AccessAsUser.All",
            "--app-scope", "https://outlook.office365.us/.default", "--deadline", "45",
        ]
        let result = try runProgram("python3", arguments, package: "python3", timeout: 55)
        let context =
            "msal_policies.py exit \(result.status):\n\(result.output)\n\(result.error)\n--- serve:\n\(mock.log.suffix(2000))"
        #expect(result.status == 0, "\(context)")
        let cases = result.output.split(separator: "\n").compactMap {
            try? JSONDecoder().decode(MsalTests.Case.self, from: Data($0.utf8))
        }
        for c in cases where !c.ok { Issue.record("msal case \(c.case) failed: \(c.detail)") }
        #expect(Set(cases.map(\.case)) == Self.expectedCases, "cases reported: \(cases.map(\.case))")
        let rejected = Set(
            try mock.journalEvents().filter { $0.event == "token.rejected" }.compactMap { $0.detail["code"] })
        for code in ["50173", "700084", "70043", "700027", "700024"] {
            #expect(rejected.contains(code), "journal lacks a rejection with AADSTS\(code): \(rejected.sorted())")
        }
        #expect(mock.stop() == 0, "exomock serve did not exit 0 on SIGTERM:\n\(mock.log)")
    }
}
