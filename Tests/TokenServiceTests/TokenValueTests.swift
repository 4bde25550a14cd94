import Crypto
import Determinism
import EntraTokens
import Foundation
import MicrosoftClouds
import Testing
import _CryptoExtras

@Suite("Access tokens: minting and verifying")
struct TokenValueTests {
    let cloud = Cloud.named(.gccHigh)

    func claims(aud: String? = nil, iss: String? = nil, iat: Int = 1_767_225_600, lifetime: Int = 3600)
        -> AccessTokenClaims
    {
        AccessTokenClaims(
            aud: aud ?? cloud.delegatedAudience, iss: iss ?? cloud.v1Issuer(tenant: Fixture.tenantID), iat: iat,
            nbf: iat, exp: iat + lifetime,
            acr: "1", amr: ["pwd"], appDisplayName: "Jira", appid: Fixture.appID, name: "Admin", oid: "oid-1",
            scp: ["IMAP.AccessAsUser.All", "POP.AccessAsUser.All"], sub: "sub-1", tid: Fixture.tenantID,
            uniqueName: Fixture.admin,
            upn: Fixture.admin, uti: "uti-1")
    }

    func verifier(clock: VirtualClock, key: CloudSigningKey = Fixture.gccHighKey) -> AccessTokenVerifier {
        AccessTokenVerifier(cloud: cloud, key: key, clock: clock)
    }

    @Test func roundTrip() throws {
        let token = TokenMinter(key: Fixture.gccHighKey).mint(claims())
        let result = verifier(clock: VirtualClock(start: Fixture.start)).verify(token)
        #expect(try result.get() == claims())
    }

    @Test func headerAndClaimOrderAreMicrosofts() throws {
        let key = Fixture.gccHighKey
        let token = TokenMinter(key: key).mint(claims())
        let parts = token.split(separator: ".")
        let header = String(decoding: try #require(Base64URL.decode(parts[0])), as: UTF8.self)
        #expect(header == "{\"typ\":\"JWT\",\"alg\":\"RS256\",\"x5t\":\"\(key.kid)\",\"kid\":\"\(key.kid)\"}")
        let payload = String(decoding: try #require(Base64URL.decode(parts[1])), as: UTF8.self)
        #expect(
            payload.hasPrefix(
                "{\"aud\":\"https://outlook.office365.us\",\"iss\":\"https://sts.windows.net/\(Fixture.tenantID)/\",\"iat\":1767225600,\"nbf\":1767225600,\"exp\":1767229200,\"acr\":\"1\",\"amr\":[\"pwd\"],\"app_displayname\":\"Jira\""
            ))
        #expect(payload.contains("\"scp\":\"IMAP.AccessAsUser.All POP.AccessAsUser.All\""))
        #expect(payload.hasSuffix("\"upn\":\"admin@contoso.onmicrosoft.us\",\"uti\":\"uti-1\",\"ver\":\"1.0\"}"))
        // Same claims, same key: same bytes (PKCS#1 v1.5 is deterministic).
        #expect(TokenMinter(key: key).mint(claims()) == token)
    }

    @Test func signatureChecksWithTheJWKSPublicKey() throws {
        // Independent of the verifier: rebuild the public key from the published n and e.
        let key = Fixture.gccHighKey
        let jwks = try #require(JSONSerialization.jsonObject(with: Data(key.jwks().utf8)) as? [String: Any])
        let jwk = try #require((jwks["keys"] as? [[String: Any]])?.first)
        #expect(jwk["kid"] as? String == key.kid)
        #expect(jwk["e"] as? String == "AQAB")
        #expect(jwk["issuer"] as? String == "https://login.microsoftonline.us/{tenantid}/v2.0")
        let nText = try #require(jwk["n"] as? String)
        let n = try #require(Base64URL.decode(nText))
        let publicKey = try _RSA.Signing.PublicKey(n: n, e: Data([1, 0, 1]))
        let token = TokenMinter(key: key).mint(claims())
        let parts = token.split(separator: ".")
        let signature = _RSA.Signing.RSASignature(rawRepresentation: try #require(Base64URL.decode(parts[2])))
        let input = Data("\(parts[0]).\(parts[1])".utf8)
        #expect(publicKey.isValidSignature(signature, for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5))
        #expect(key.jwks().hasPrefix("{\"keys\":[{\"kty\":\"RSA\",\"use\":\"sig\",\"kid\":\""))
    }

    @Test func anotherCloudsKeyFails() {
        let token = TokenMinter(key: Fixture.worldwideKey).mint(claims())
        #expect(verifier(clock: VirtualClock(start: Fixture.start)).verify(token) == .failure(.signatureInvalid))
    }

    @Test func tamperedPayloadFails() {
        let token = TokenMinter(key: Fixture.gccHighKey).mint(claims())
        let parts = token.split(separator: ".")
        let other = TokenMinter(key: Fixture.gccHighKey).mint(
            claims(aud: "https://outlook.office365.us", iss: nil, iat: 1_767_225_601))
        let forged = "\(parts[0]).\(other.split(separator: ".")[1]).\(parts[2])"
        #expect(verifier(clock: VirtualClock(start: Fixture.start)).verify(forged) == .failure(.signatureInvalid))
    }

    @Test func expiresOnTheVirtualClock() {
        let clock = VirtualClock(start: Fixture.start)
        let token = TokenMinter(key: Fixture.gccHighKey).mint(claims())
        #expect((try? verifier(clock: clock).verify(token).get()) != nil)
        clock.advance(by: 3599)
        #expect((try? verifier(clock: clock).verify(token).get()) != nil)
        clock.advance(by: 1)
        #expect(verifier(clock: clock).verify(token) == .failure(.expired))
    }

    @Test func notYetValid() {
        let token = TokenMinter(key: Fixture.gccHighKey).mint(claims(iat: 1_767_225_600 + 60))
        #expect(verifier(clock: VirtualClock(start: Fixture.start)).verify(token) == .failure(.notYetValid))
    }

    @Test func wrongAudience() {
        let token = TokenMinter(key: Fixture.gccHighKey).mint(claims(aud: "https://graph.microsoft.us"))
        #expect(verifier(clock: VirtualClock(start: Fixture.start)).verify(token) == .failure(.wrongAudience))
        let worldwideAudience = TokenMinter(key: Fixture.gccHighKey).mint(claims(aud: "https://outlook.office.com"))
        #expect(
            verifier(clock: VirtualClock(start: Fixture.start)).verify(worldwideAudience) == .failure(.wrongAudience))
    }

    @Test func wrongIssuer() {
        let token = TokenMinter(key: Fixture.gccHighKey).mint(
            claims(iss: "https://sts.chinacloudapi.cn/\(Fixture.tenantID)/"))
        #expect(verifier(clock: VirtualClock(start: Fixture.start)).verify(token) == .failure(.wrongIssuer))
        let v2 = TokenMinter(key: Fixture.gccHighKey).mint(claims(iss: cloud.v2Issuer(tenant: Fixture.tenantID)))
        #expect((try? verifier(clock: VirtualClock(start: Fixture.start)).verify(v2).get()) != nil)
    }

    @Test(arguments: ["", "abc", "a.b", "a.b.c", "e30.e30.", String(repeating: "A", count: 20_000)])
    func malformed(_ token: String) {
        #expect(verifier(clock: VirtualClock(start: Fixture.start)).verify(token) == .failure(.malformed))
    }

    @Test func keyFileIsReusedAndPrivate() throws {
        let dir = NSTemporaryDirectory() + "exomock-keys-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try CloudSigningKey.loadOrCreate(directory: dir, cloud: .dod)
        let second = try CloudSigningKey.loadOrCreate(directory: dir, cloud: .dod)
        #expect(first.kid == second.kid)
        #expect(first.jwks() == second.jwks())
        let path = CloudSigningKey.path(directory: dir, cloud: .dod)
        #expect(path.hasSuffix("/dod-signing-key.pem"))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let other = try CloudSigningKey.loadOrCreate(directory: dir, cloud: .china)
        #expect(other.kid != first.kid)
    }

    @Test func corruptKeyFileIsALocatedError() throws {
        let dir = NSTemporaryDirectory() + "exomock-keys-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "not a key".write(
            toFile: CloudSigningKey.path(directory: dir, cloud: .gcc), atomically: true, encoding: .utf8)
        #expect(throws: SigningKeyError.self) { try CloudSigningKey.loadOrCreate(directory: dir, cloud: .gcc) }
    }

    @Test func kidIsTheRFC7638Thumbprint() throws {
        let key = Fixture.gccHighKey
        let input = "{\"e\":\"\(key.exponent)\",\"kty\":\"RSA\",\"n\":\"\(key.modulus)\"}"
        #expect(key.kid == Base64URL.encode(Data(SHA256.hash(data: Data(input.utf8)))))
        #expect(key.exponent == "AQAB")
    }
}
