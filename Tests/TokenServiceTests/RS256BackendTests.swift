import Determinism
import EntraTokens
import Foundation
import MicrosoftClouds
import Testing

/// The two RS256 backends must be interchangeable: RSASSA-PKCS1-v1_5 is deterministic, so the same
/// key and claims give the same token byte for byte, and either verifies with the cloud's key.
@Suite("RS256: system OpenSSL and BoringSSL sign the same bytes")
struct RS256BackendTests {
    let cloud = Cloud.named(.gccHigh)

    func claims(iat: Int) -> AccessTokenClaims {
        AccessTokenClaims(
            aud: cloud.delegatedAudience, iss: cloud.v1Issuer(tenant: Fixture.tenantID), iat: iat, nbf: iat,
            exp: iat + 3600,
            appDisplayName: "Jira", appid: Fixture.appID, name: "Admin", oid: "oid-1", scp: ["IMAP.AccessAsUser.All"],
            sub: "sub-1", tid: Fixture.tenantID, uniqueName: Fixture.admin, upn: Fixture.admin, uti: "uti-1")
    }

    @Test func bothBackendsSignIdenticallyAndVerify() throws {
        let generated = try CloudSigningKey.generate(cloud: .gccHigh, backend: .boringssl)
        let viaBoring = try CloudSigningKey.fromPEM(generated.pemRepresentation, cloud: .gccHigh, backend: .boringssl)
        let viaOpenSSL = try CloudSigningKey.fromPEM(generated.pemRepresentation, cloud: .gccHigh, backend: .openssl)
        #expect(viaBoring.backend == .boringssl)
        #expect(
            viaOpenSSL.backend == .openssl,
            "the system's libcrypto could not load the key: \(RS256Backend.systemOpenSSLVersion)")
        #expect(viaOpenSSL.kid == viaBoring.kid)

        let clock = VirtualClock(start: Fixture.start)
        let iat = Int(Fixture.start.timeIntervalSince1970)
        for offset in 0..<3 {
            let a = TokenMinter(key: viaBoring).mint(claims(iat: iat - offset))
            let b = TokenMinter(key: viaOpenSSL).mint(claims(iat: iat - offset))
            #expect(a == b)
            #expect(
                a.split(separator: ".").last?.count == 342,
                "an RSA-2048 signature is 256 bytes, 342 base64url characters")
            #expect(throws: Never.self) {
                try AccessTokenVerifier(cloud: cloud, key: viaBoring, clock: clock).verify(b).get()
            }
        }
    }

    @Test func aTokenFromAnotherKeyStillFailsWithTheOpenSSLBackend() throws {
        let mine = try CloudSigningKey.generate(cloud: .gccHigh, backend: .openssl)
        let other = try CloudSigningKey.generate(cloud: .gccHigh, backend: .openssl)
        let token = TokenMinter(key: other).mint(claims(iat: Int(Fixture.start.timeIntervalSince1970)))
        let verdict = AccessTokenVerifier(cloud: cloud, key: mine, clock: VirtualClock(start: Fixture.start)).verify(
            token)
        #expect(verdict == .failure(.signatureInvalid))
    }
}
