import Crypto
import EntraTokens
import Foundation
import Testing
import _CryptoExtras

/// The client-assertion verifier as a value: an assertion signed as MSAL signs one passes; each way of
/// getting it wrong is named.
@Suite struct ClientAssertionTests {
    static let clientID = "0a1b2c3d-1111-4222-8333-444455556666"
    static let endpoint =
        "https://login.microsoftonline.us/8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a/oauth2/v2.0/token"
    static let now = Date(timeIntervalSince1970: 1_767_225_600)
    static let key = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    static let minted = try! AppCertificateMinter.mint(
        commonName: "handler", notValidBefore: now.addingTimeInterval(-86_400), key: key)

    /// An assertion as MSAL Python builds one; `edit` changes the header or the claims first.
    static func assertion(
        alg: String = "RS256", signer: _RSA.Signing.PrivateKey = key, thumbprint: String = "x5t",
        edit: (inout [String: Any], inout [String: Any]) -> Void = { _, _ in }
    ) throws -> String {
        var header: [String: Any] = ["alg": alg, "typ": "JWT"]
        switch thumbprint {
        case "x5t": header["x5t"] = Base64URL.encode(minted.certificate.sha1)
        case "x5t#S256": header["x5t#S256"] = Base64URL.encode(minted.certificate.sha256)
        default: break
        }
        let iat = Int(now.timeIntervalSince1970)
        var claims: [String: Any] = [
            "aud": endpoint, "iss": clientID, "sub": clientID, "jti": "6f1e", "iat": iat, "nbf": iat,
            "exp": iat + 600,
        ]
        edit(&header, &claims)
        let h = Base64URL.encode(
            try JSONSerialization.data(withJSONObject: header, options: .sortedKeys))
        let c = Base64URL.encode(
            try JSONSerialization.data(withJSONObject: claims, options: .sortedKeys))
        let input = Data("\(h).\(c)".utf8)
        let signature = try signer.signature(
            for: input, padding: alg == "PS256" ? .PSS : .insecurePKCS1v1_5)
        return "\(h).\(c).\(Base64URL.encode(signature.rawRepresentation))"
    }

    static func verify(
        _ assertion: String, at: Date = now,
        certificates: [RegisteredCertificate] = [minted.certificate]
    )
        -> ClientAssertionFailure?
    {
        ClientAssertionVerifier(
            clientID: clientID, certificates: certificates, audiences: [endpoint], now: at
        ).verify(assertion)
    }

    @Test("RS256 with x5t and PS256 with x5t#S256 authenticate")
    func accepted() throws {
        #expect(Self.verify(try Self.assertion()) == nil)
        #expect(Self.verify(try Self.assertion(alg: "PS256", thumbprint: "x5t#S256")) == nil)
        // The audience compares without case or a final slash; a one-element list is fine.
        #expect(
            Self.verify(try Self.assertion { _, c in c["aud"] = [Self.endpoint.uppercased() + "/"] })
                == nil)
    }

    @Test("another key, an unknown certificate, no thumbprint")
    func keys() throws {
        let other = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let signedByOther = try Self.assertion(signer: other)
        #expect(
            Self.verify(signedByOther)
                == .badSignature(
                    thumbprint: Self.minted.certificate.thumbprint,
                    notValidBefore: Self.minted.certificate.notValidBefore,
                    notValidAfter: Self.minted.certificate.notValidAfter))
        let otherCertificate = try AppCertificateMinter.mint(
            commonName: "other", notValidBefore: Self.now, key: other)
        #expect(
            Self.verify(try Self.assertion(), certificates: [otherCertificate.certificate])
                == .keyNotFound(thumbprint: Self.minted.certificate.thumbprint))
        #expect(Self.verify(try Self.assertion(thumbprint: "none")) == .noThumbprint)
        #expect(Self.verify(try Self.assertion(alg: "HS256")) == .unsupportedAlgorithm("HS256"))
        #expect(Self.minted.certificate.thumbprint.count == 40)
    }

    @Test("wrong audience, two audiences, wrong issuer, a missing claim, garbage")
    func claims() throws {
        let wrong =
            "https://login.microsoftonline.com/8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a/oauth2/v2.0/token"
        #expect(Self.verify(try Self.assertion { _, c in c["aud"] = wrong }) == .wrongAudience(wrong))
        #expect(
            Self.verify(try Self.assertion { _, c in c["aud"] = [Self.endpoint, wrong] })
                == .tooManyAudiences(2))
        #expect(
            Self.verify(try Self.assertion { _, c in c["sub"] = "someone" }) == .wrongIssuer("someone"))
        #expect(
            Self.verify(try Self.assertion { _, c in c["jti"] = nil }) == .malformed("no `jti` claim"))
        #expect(Self.verify("a.b.c") == .malformed("not a JWT"))
        #expect(Self.verify("") == .malformed("not a JWT"))
    }

    @Test("expired, not yet valid, and no nbf (counts from 1970) on the virtual clock")
    func validity() throws {
        let a = try Self.assertion()
        let exp = Self.now.addingTimeInterval(600)
        #expect(
            Self.verify(a, at: exp) == .outsideValidity(now: exp, notBefore: Self.now, expires: exp))
        let early = Self.now.addingTimeInterval(-1)
        #expect(
            Self.verify(a, at: early) == .outsideValidity(now: early, notBefore: Self.now, expires: exp))
        let noNbf = try Self.assertion { _, c in c["nbf"] = nil }
        #expect(Self.verify(noNbf, at: Self.now.addingTimeInterval(599)) == nil)
    }
}
