import Crypto
import Foundation
import MicrosoftClouds
import _CryptoExtras

/// Why a signing key could not be loaded or stored.
public struct SigningKeyError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "signing key \(path): \(reason)" }
}

/// One RS256 signing key per cloud: it signs every token the cloud's token service mints and is
/// published in that cloud's JWKS. A token signed by one cloud's key never verifies with another's.
public final class CloudSigningKey: Sendable {
    public let cloud: CloudName
    /// RFC 7638 JWK thumbprint (SHA-256, base64url): stable for as long as the key is.
    public let kid: String
    /// base64url modulus, as the JWKS publishes it.
    public let modulus: String
    /// base64url public exponent (`AQAB`).
    public let exponent: String
    let privateKey: _RSA.Signing.PrivateKey
    let publicKey: _RSA.Signing.PublicKey
    /// The library that signs (the same bytes either way).
    public let backend: RS256Backend
    /// The key in the system's libcrypto when `backend` is `.openssl`.
    let systemKey: SystemRSAKey?

    init(cloud: CloudName, privateKey: _RSA.Signing.PrivateKey, backend: RS256Backend = .processDefault) throws {
        self.cloud = cloud
        self.privateKey = privateKey
        self.publicKey = privateKey.publicKey
        if backend == .openssl, let systemKey = SystemRSAKey(pem: privateKey.pemRepresentation) {
            self.systemKey = systemKey
            self.backend = .openssl
        } else {
            // libcrypto could not read swift-crypto's PEM: sign with BoringSSL rather than fail.
            self.systemKey = nil
            self.backend = .boringssl
        }
        let primitives = try publicKey.getKeyPrimitives()
        self.modulus = Base64URL.encode(Self.stripLeadingZeros(primitives.modulus))
        self.exponent = Base64URL.encode(Self.stripLeadingZeros(primitives.publicExponent))
        // RFC 7638 §3.2: required members only, lexicographic order, no whitespace.
        let thumbprintInput = "{\"e\":\"\(exponent)\",\"kty\":\"RSA\",\"n\":\"\(modulus)\"}"
        self.kid = Base64URL.encode(Data(SHA256.hash(data: Data(thumbprintInput.utf8))))
    }

    static func stripLeadingZeros(_ data: Data) -> Data {
        let bytes = Array(data)
        guard let first = bytes.firstIndex(where: { $0 != 0 }) else { return Data([0]) }
        return Data(bytes[first...])
    }

    /// A fresh 2048-bit key held only in memory (tests).
    public static func generate(cloud: CloudName, backend: RS256Backend = .processDefault) throws -> CloudSigningKey {
        try CloudSigningKey(cloud: cloud, privateKey: _RSA.Signing.PrivateKey(keySize: .bits2048), backend: backend)
    }

    /// A key from PEM text (PKCS#1 or PKCS#8).
    public static func fromPEM(_ pem: String, cloud: CloudName, backend: RS256Backend = .processDefault) throws
        -> CloudSigningKey
    {
        try CloudSigningKey(cloud: cloud, privateKey: _RSA.Signing.PrivateKey(pemRepresentation: pem), backend: backend)
    }

    /// The key's private PEM.
    public var pemRepresentation: String { privateKey.pemRepresentation }

    /// The file a cloud's key lives in under `directory`.
    public static func path(directory: String, cloud: CloudName) -> String {
        (directory as NSString).appendingPathComponent("\(cloud.rawValue)-signing-key.pem")
    }

    /// Reads `<directory>/<cloud>-signing-key.pem`, or creates it (mode 0600, written to a temporary
    /// file and renamed into place so a crash never leaves half a key). Reusing the file keeps the
    /// JWKS and `kid` the same across runs.
    public static func loadOrCreate(directory: String, cloud: CloudName) throws -> CloudSigningKey {
        let fm = FileManager.default
        let path = path(directory: directory, cloud: cloud)
        if fm.fileExists(atPath: path) {
            guard let pem = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw SigningKeyError(
                    path: path, reason: "cannot be read; check its permissions or delete it to make a new key")
            }
            do {
                return try fromPEM(pem, cloud: cloud)
            } catch {
                throw SigningKeyError(
                    path: path, reason: "is not an RSA private key in PEM form (\(error)); delete it to make a new key")
            }
        }
        do {
            try fm.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw SigningKeyError(path: path, reason: "its directory cannot be created (\(error))")
        }
        let key = try generate(cloud: cloud)
        let temporary = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        guard
            fm.createFile(
                atPath: temporary, contents: Data(key.pemRepresentation.utf8), attributes: [.posixPermissions: 0o600])
        else {
            throw SigningKeyError(path: path, reason: "cannot be written; check that \(directory) is writable")
        }
        if rename(temporary, path) != 0 {
            let code = errno
            try? fm.removeItem(atPath: temporary)
            throw SigningKeyError(path: path, reason: "cannot be moved into place (errno \(code))")
        }
        return key
    }

    /// RS256 (RSASSA-PKCS1-v1_5 with SHA-256) signature over `data`.
    func sign(_ data: Data) throws -> Data {
        if let systemKey {
            if let signature = systemKey.sign(data) { return signature }
            throw SigningKeyError(
                path: "(\(cloud.rawValue) signing key)", reason: "the system's libcrypto refused to sign")
        }
        return try privateKey.signature(for: SHA256.hash(data: data), padding: .insecurePKCS1v1_5).rawRepresentation
    }

    /// Checks an RS256 signature with this key's public half.
    func isValidSignature(_ signature: Data, for data: some DataProtocol) -> Bool {
        publicKey.isValidSignature(
            _RSA.Signing.RSASignature(rawRepresentation: signature),
            for: SHA256.hash(data: data),
            padding: .insecurePKCS1v1_5
        )
    }

    /// The JWK of this key, in Microsoft's field order.
    public func jwk() -> CanonicalJSON {
        var f = OrderedFields()
        f.add("kty", "RSA")
        f.add("use", "sig")
        f.add("kid", kid)
        f.add("x5t", kid)
        f.add("n", modulus)
        f.add("e", exponent)
        f.add("issuer", "https://\(Cloud.named(cloud).authorityHost)/{tenantid}/v2.0")
        return f.json
    }

    /// The cloud's JWKS document: `{"keys":[...]}`, byte-stable.
    public func jwks() -> String {
        CanonicalJSON.object([("keys", .array([jwk()]))]).serialized
    }
}
