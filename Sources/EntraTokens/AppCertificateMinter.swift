import Crypto
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// Makes an app certificate (RSA, self-signed, the kind `New-SelfSignedCertificate` or `openssl req -x509`
/// makes for an app registration): the PEM certificate to register under `apps[].certificates` and the
/// private key the client signs its assertions with. Entra checks only that the assertion's key matches a
/// registered certificate, not who issued it.
public enum AppCertificateMinter {
    public struct Minted: Sendable {
        public var certificatePEM: String
        public var privateKeyPEM: String
        public var certificate: RegisteredCertificate
    }

    /// A certificate for `commonName` valid from `notValidBefore` for `lifetime` seconds, with a fresh
    /// 2048-bit key (or `key`).
    public static func mint(
        commonName: String, notValidBefore: Date, lifetime: TimeInterval = 365 * 86_400,
        key: _RSA.Signing.PrivateKey? = nil
    ) throws -> Minted {
        let privateKey = try key ?? _RSA.Signing.PrivateKey(keySize: .bits2048)
        let name = try DistinguishedName { CommonName(commonName) }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(privateKey.publicKey),
            notValidBefore: notValidBefore, notValidAfter: notValidBefore.addingTimeInterval(lifetime),
            issuer: name, subject: name, signatureAlgorithm: .sha256WithRSAEncryption,
            extensions: Certificate.Extensions {}, issuerPrivateKey: Certificate.PrivateKey(privateKey))
        let pem = try certificate.serializeAsPEM().pemString + "\n"
        guard let registered = RegisteredCertificate(pem: pem) else {
            throw CertificateError.unreadable
        }
        return Minted(
            certificatePEM: pem, privateKeyPEM: privateKey.pemRepresentation, certificate: registered)
    }

    enum CertificateError: Error { case unreadable }
}
