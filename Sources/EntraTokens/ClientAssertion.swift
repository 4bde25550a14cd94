import Crypto
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// A certificate registered on an app, ready to check signatures: its public key and the thumbprints
/// a client names it by (`x5t` is base64url SHA-1 of the DER, `x5t#S256` base64url SHA-256).
public struct RegisteredCertificate: Sendable {
    public let sha1: Data
    public let sha256: Data
    public let publicKey: _RSA.Signing.PublicKey
    public let notValidBefore: Date
    public let notValidAfter: Date

    /// The certificate in a PEM text (the first `CERTIFICATE` block); nil when it is none or its key is not RSA.
    public init?(pem: String) {
        guard let begin = pem.range(of: "-----BEGIN CERTIFICATE-----"),
            let end = pem.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<pem.endIndex),
            let document = try? PEMDocument(pemString: String(pem[begin.lowerBound..<end.upperBound])),
            let certificate = try? Certificate(derEncoded: document.derBytes),
            let key = _RSA.Signing.PublicKey(certificate.publicKey)
        else { return nil }
        let der = Data(document.derBytes)
        self.sha1 = Data(Insecure.SHA1.hash(data: der))
        self.sha256 = Data(SHA256.hash(data: der))
        self.publicKey = key
        self.notValidBefore = certificate.notValidBefore
        self.notValidAfter = certificate.notValidAfter
    }

    /// Upper-case hex SHA-1, as Microsoft prints a thumbprint.
    public var thumbprint: String { sha1.map { String(format: "%02X", $0) }.joined() }
}

/// Why a client assertion (`client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`)
/// was refused. The token service maps each to Microsoft's AADSTS answer.
public enum ClientAssertionFailure: Sendable, Equatable {
    /// Not three base64url parts of JSON, or a required claim (`aud`, `iss`, `sub`, `exp`, `jti`) missing.
    case malformed(String)
    /// `alg` is not RS256 or PS256.
    case unsupportedAlgorithm(String)
    /// The header names no certificate (`x5t` or `x5t#S256`).
    case noThumbprint
    /// No certificate registered on the app has the header's thumbprint (hex, upper case).
    case keyNotFound(thumbprint: String)
    /// The thumbprint names a registered certificate, but its key did not make the signature.
    case badSignature(thumbprint: String, notValidBefore: Date, notValidAfter: Date)
    /// `aud` is not this token endpoint.
    case wrongAudience(String)
    /// `aud` is a list of more than one value.
    case tooManyAudiences(Int)
    /// `iss` or `sub` is not the client id.
    case wrongIssuer(String)
    /// Now is before `nbf` or at or after `exp` (`nbf` absent counts as 1970).
    case outsideValidity(now: Date, notBefore: Date, expires: Date)
}

/// Checks a client assertion as Entra does for certificate credentials
/// (learn.microsoft.com/entra/identity-platform/certificate-credentials): an RS256 or PS256 JWT whose
/// header names a registered certificate by thumbprint, signed by that certificate's key, with `aud` the
/// token endpoint, `iss` = `sub` = the client id, and `exp`/`nbf` around now (the virtual clock).
public struct ClientAssertionVerifier: Sendable {
    public var clientID: String
    public var certificates: [RegisteredCertificate]
    /// Token endpoint URLs the assertion may name as `aud`, compared without case and without a final `/`.
    public var audiences: [String]
    public var now: Date

    public init(
        clientID: String, certificates: [RegisteredCertificate], audiences: [String], now: Date
    ) {
        self.clientID = clientID
        self.certificates = certificates
        self.audiences = audiences
        self.now = now
    }

    public static let assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

    /// nil when the assertion authenticates the client; otherwise the first reason it does not, in the
    /// order Entra reports them (the key first, then the signature, then the claims).
    public func verify(_ assertion: String) -> ClientAssertionFailure? {
        let parts = assertion.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Base64URL.decode(parts[0]),
            let payloadData = Base64URL.decode(parts[1]),
            let signature = Base64URL.decode(parts[2]),
            let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any],
            let claims = (try? JSONSerialization.jsonObject(with: payloadData)) as? [String: Any]
        else { return .malformed("not a JWT") }
        let alg = header["alg"] as? String ?? ""
        guard alg == "RS256" || alg == "PS256" else { return .unsupportedAlgorithm(alg) }
        let certificate: RegisteredCertificate?
        let named: String
        if let s256 = (header["x5t#S256"] as? String).flatMap({ Base64URL.decode($0) }) {
            certificate = certificates.first { $0.sha256 == s256 }
            named = s256.map { String(format: "%02X", $0) }.joined()
        } else if let sha1 = (header["x5t"] as? String).flatMap({ Base64URL.decode($0) }) {
            certificate = certificates.first { $0.sha1 == sha1 }
            named = sha1.map { String(format: "%02X", $0) }.joined()
        } else {
            return .noThumbprint
        }
        guard let certificate else { return .keyNotFound(thumbprint: named) }
        let signed = Data("\(parts[0]).\(parts[1])".utf8)
        let padding: _RSA.Signing.Padding = alg == "PS256" ? .PSS : .insecurePKCS1v1_5
        guard
            certificate.publicKey.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature), for: signed, padding: padding)
        else {
            return .badSignature(
                thumbprint: certificate.thumbprint, notValidBefore: certificate.notValidBefore,
                notValidAfter: certificate.notValidAfter)
        }
        return checkClaims(claims)
    }

    func checkClaims(_ claims: [String: Any]) -> ClientAssertionFailure? {
        for name in ["aud", "iss", "sub", "exp", "jti"] where claims[name] == nil {
            return .malformed("no `\(name)` claim")
        }
        let audience: String
        if let list = claims["aud"] as? [String] {
            guard list.count == 1 else { return .tooManyAudiences(list.count) }
            audience = list[0]
        } else if let single = claims["aud"] as? String {
            audience = single
        } else {
            return .malformed("`aud` is not a string")
        }
        func key(_ url: String) -> String {
            var text = url.lowercased()
            while text.hasSuffix("/") { text.removeLast() }
            return text
        }
        guard audiences.map(key).contains(key(audience)) else { return .wrongAudience(audience) }
        for name in ["iss", "sub"] {
            let value = claims[name] as? String ?? ""
            if value.lowercased() != clientID.lowercased() { return .wrongIssuer(value) }
        }
        guard let exp = (claims["exp"] as? NSNumber)?.doubleValue else {
            return .malformed("`exp` is not a number")
        }
        let nbf = (claims["nbf"] as? NSNumber)?.doubleValue ?? 0
        let expires = Date(timeIntervalSince1970: exp)
        let notBefore = Date(timeIntervalSince1970: nbf)
        if now < notBefore || now >= expires {
            return .outsideValidity(now: now, notBefore: notBefore, expires: expires)
        }
        return nil
    }
}
