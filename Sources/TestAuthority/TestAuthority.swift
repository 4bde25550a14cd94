import Crypto
import Foundation
import MicrosoftClouds
import SwiftASN1
import X509

/// A private certificate authority for exomock's TLS listeners.
///
/// `loadOrCreate` keeps, in one directory, a root CA (`ca.pem`, `ca-key.pem`) and one server
/// certificate per cloud (`<cloud>.pem`, `<cloud>-key.pem`) whose subject alternative names are
/// every host name the cloud catalog lists for that cloud, plus `localhost`, `127.0.0.1`, `::1` and
/// the cloud's `serve --hosts` address. Clients trust `ca.pem` and then connect by the real
/// Microsoft host names (see `docs/certificates.md`).
///
/// Certificate validity is the one place exomock reads the real wall clock on purpose: real TLS
/// clients check `notBefore`/`notAfter` against real time, so a certificate dated by the virtual
/// clock would be rejected. No protocol decision depends on it.
public enum TestAuthority {
    /// Subject common name of the root CA.
    public static let authorityCommonName = "exomock test root CA"
    /// File name of the CA certificate.
    public static let authorityCertificateFileName = "ca.pem"
    /// File name of the CA private key.
    public static let authorityKeyFileName = "ca-key.pem"
    /// How long before `notValidBefore` of "now" certificates start, so clocks a little behind accept them.
    public static let backdating: TimeInterval = 24 * 60 * 60
    /// Lifetime of a server certificate from "now": 397 days, the most browsers and Apple platforms accept.
    public static let serverLifetime: TimeInterval = 397 * 24 * 60 * 60
    /// Lifetime of the root CA from "now": 10 years.
    public static let authorityLifetime: TimeInterval = 3650 * 24 * 60 * 60
    /// A server certificate that expires within this much time of "now" is replaced.
    public static let renewalWindow: TimeInterval = 30 * 24 * 60 * 60
    /// Seconds `loadOrCreate` waits for another process holding `<directory>/.lock` before it fails
    /// with ``TestAuthorityError/lockTimeout(path:seconds:)`` instead of hanging. (A limit, kept here
    /// because this target does not depend on `ExomockLimits`.)
    public static let lockWaitSeconds: Double = 30

    /// File name of a cloud's server certificate (`gcc-high.pem`).
    public static func certificateFileName(for cloud: CloudName) -> String { "\(cloud.rawValue).pem" }
    /// File name of a cloud's server private key (`gcc-high-key.pem`).
    public static func keyFileName(for cloud: CloudName) -> String { "\(cloud.rawValue)-key.pem" }

    /// The subject alternative names a cloud's server certificate must carry, from the catalog:
    /// every name in `allHostNames`, then `localhost`, `127.0.0.1`, `::1` and `hostsModeAddress`.
    public static func requiredSubjectAlternativeNames(for cloud: CloudName) -> [String] {
        let row = Cloud.named(cloud)
        var seen = Set<String>()
        return (row.allHostNames + ["localhost", "127.0.0.1", "::1", row.hostsModeAddress])
            .filter { seen.insert(comparisonKey($0)).inserted }
    }

    /// Loads the CA and the requested clouds' server certificates from `directory`, creating what is
    /// missing and replacing server certificates whose names no longer match the catalog, that were
    /// not signed by this CA, whose key does not match, or that expire within 30 days of `now`.
    ///
    /// Creates `directory` if needed. Holds an exclusive lock on `<directory>/.lock` while it works
    /// and writes every file atomically (temporary file, then rename; keys mode 0600), so two
    /// processes starting at once end up with one CA and matching key pairs.
    ///
    /// - Parameter now: the time certificates are dated from and checked against. Pass the real
    ///   time (the default); tests pass other times to exercise renewal.
    /// - Throws: ``TestAuthorityError``, naming the file and what to do.
    public static func loadOrCreate(
        directory: String,
        clouds: [CloudName] = CloudName.allCases,
        now: Date = Date()
    ) throws -> CertificateSet {
        try loadOrCreate(directory: directory, clouds: clouds, now: now, lockWait: lockWaitSeconds)
    }

    static func loadOrCreate(
        directory: String,
        clouds: [CloudName],
        now: Date,
        lockWait: Double
    ) throws(TestAuthorityError) -> CertificateSet {
        try Files.createDirectory(directory)
        return try Files.withLock(in: directory, wait: lockWait) { () throws(TestAuthorityError) -> CertificateSet in
            let authority = try loadOrCreateAuthority(in: directory, now: now)
            var servers: [CloudName: ServerCertificate] = [:]
            for cloud in Set(clouds).sorted() {
                servers[cloud] = try loadOrCreateServer(for: cloud, authority: authority, in: directory, now: now)
            }
            return CertificateSet(
                directory: directory,
                caCertificatePath: authority.certificatePath,
                caCertificatePEM: authority.certificatePEM,
                servers: servers,
                authority: authority
            )
        }
    }

    // MARK: The CA

    struct Authority: Sendable {
        var certificate: Certificate
        var key: P256.Signing.PrivateKey
        var certificatePEM: String
        var certificatePath: String
        var keyIdentifier: ArraySlice<UInt8>
    }

    static func loadOrCreateAuthority(in directory: String, now: Date) throws(TestAuthorityError) -> Authority {
        let certificatePath = Files.join(directory, authorityCertificateFileName)
        let keyPath = Files.join(directory, authorityKeyFileName)
        if Files.exists(certificatePath) && Files.exists(keyPath) {
            let certificatePEM = try Files.readText(certificatePath)
            let certificate = try parseCertificate(certificatePEM, path: certificatePath)
            let key = try parseKey(try Files.readText(keyPath), path: keyPath)
            guard Certificate.PublicKey(key.publicKey) == certificate.publicKey else {
                throw .corruptFile(path: keyPath, reason: "this key does not belong to \(certificatePath)")
            }
            guard case .isCertificateAuthority = try? certificate.extensions.basicConstraints else {
                throw .corruptFile(
                    path: certificatePath, reason: "it is not a CA certificate (basicConstraints CA:true missing)")
            }
            guard certificate.notValidAfter > now.addingTimeInterval(renewalWindow) else {
                throw .authorityExpiring(path: certificatePath, notValidAfter: certificate.notValidAfter)
            }
            let identifier =
                (try? certificate.extensions.subjectKeyIdentifier)?.keyIdentifier
                ?? SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier
            return Authority(
                certificate: certificate,
                key: key,
                certificatePEM: certificatePEM,
                certificatePath: certificatePath,
                keyIdentifier: identifier
            )
        }

        // One of the pair is missing: a CA cannot be half kept, so make a new one.
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let identifier = SubjectKeyIdentifier(hash: publicKey)
        let certificate: Certificate
        let certificatePEM: String
        do {
            let name = try DistinguishedName { CommonName(authorityCommonName) }
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                identifier
            }
            certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: publicKey,
                notValidBefore: now.addingTimeInterval(-backdating),
                notValidAfter: now.addingTimeInterval(authorityLifetime),
                issuer: name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions,
                issuerPrivateKey: Certificate.PrivateKey(key)
            )
            certificatePEM = try certificate.serializeAsPEM().pemString + "\n"
        } catch {
            throw .cannotWrite(path: certificatePath, reason: "could not build the CA certificate: \(error)")
        }
        try Files.writeAtomically(key.pemRepresentation + "\n", to: keyPath, mode: 0o600)
        try Files.writeAtomically(certificatePEM, to: certificatePath, mode: 0o644)
        return Authority(
            certificate: certificate,
            key: key,
            certificatePEM: certificatePEM,
            certificatePath: certificatePath,
            keyIdentifier: identifier.keyIdentifier
        )
    }

    // MARK: Server certificates

    static func loadOrCreateServer(
        for cloud: CloudName,
        authority: Authority,
        in directory: String,
        now: Date
    ) throws(TestAuthorityError) -> ServerCertificate {
        let certificatePath = Files.join(directory, certificateFileName(for: cloud))
        let keyPath = Files.join(directory, keyFileName(for: cloud))
        let required = requiredSubjectAlternativeNames(for: cloud)

        if Files.exists(certificatePath) && Files.exists(keyPath) {
            let certificatePEM = try Files.readText(certificatePath)
            let certificate = try parseCertificate(certificatePEM, path: certificatePath)
            let keyPEM = try Files.readText(keyPath)
            let key = try parseKey(keyPEM, path: keyPath)
            let names = try subjectAlternativeNames(of: certificate, path: certificatePath)
            let current =
                Certificate.PublicKey(key.publicKey) == certificate.publicKey
                && certificate.issuer == authority.certificate.subject
                && authority.certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
                && Set(names.map(comparisonKey)) == Set(required.map(comparisonKey))
                && certificate.notValidAfter > now.addingTimeInterval(renewalWindow)
            if current {
                return ServerCertificate(
                    cloud: cloud,
                    certificatePEM: certificatePEM,
                    chainPEM: certificatePEM + authority.certificatePEM,
                    privateKeyPEM: keyPEM,
                    certificatePath: certificatePath,
                    keyPath: keyPath,
                    subjectAlternativeNames: names
                )
            }
        }

        let certificatePEM: String
        let key: P256.Signing.PrivateKey
        do {
            (certificatePEM, key) = try makeLeaf(
                commonName: Cloud.named(cloud).outlookHosts[0], names: required,
                notValidBefore: now.addingTimeInterval(-backdating),
                notValidAfter: now.addingTimeInterval(serverLifetime),
                authority: authority)
        } catch {
            throw .cannotWrite(
                path: certificatePath, reason: "could not build the certificate for \(cloud.rawValue): \(error)")
        }
        let keyPEM = key.pemRepresentation + "\n"
        try Files.writeAtomically(keyPEM, to: keyPath, mode: 0o600)
        try Files.writeAtomically(certificatePEM, to: certificatePath, mode: 0o644)
        return ServerCertificate(
            cloud: cloud,
            certificatePEM: certificatePEM,
            chainPEM: certificatePEM + authority.certificatePEM,
            privateKeyPEM: keyPEM,
            certificatePath: certificatePath,
            keyPath: keyPath,
            subjectAlternativeNames: required
        )
    }

    /// A server leaf signed by `authority`: a new P-256 key, `commonName`, `names` as subject alternative
    /// names, serverAuth; its PEM (with a final newline) and key.
    static func makeLeaf(
        commonName: String, names: [String], notValidBefore: Date, notValidAfter: Date, authority: Authority
    ) throws -> (certificatePEM: String, key: P256.Signing.PrivateKey) {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage([.serverAuth])
            SubjectKeyIdentifier(hash: publicKey)
            AuthorityKeyIdentifier(keyIdentifier: authority.keyIdentifier)
            SubjectAlternativeNames(names.map(generalName))
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: publicKey,
            notValidBefore: notValidBefore,
            notValidAfter: notValidAfter,
            issuer: authority.certificate.subject,
            subject: try DistinguishedName { CommonName(commonName) },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions,
            issuerPrivateKey: Certificate.PrivateKey(authority.key)
        )
        return (try certificate.serializeAsPEM().pemString + "\n", key)
    }

    // MARK: Helpers

    static func parseCertificate(_ pem: String, path: String) throws(TestAuthorityError) -> Certificate {
        do {
            return try Certificate(pemEncoded: pem)
        } catch {
            throw .corruptFile(path: path, reason: "it is not a PEM X.509 certificate (\(error))")
        }
    }

    static func parseKey(_ pem: String, path: String) throws(TestAuthorityError) -> P256.Signing.PrivateKey {
        do {
            return try P256.Signing.PrivateKey(pemRepresentation: pem)
        } catch {
            throw .corruptFile(path: path, reason: "it is not a PEM P-256 private key (\(error))")
        }
    }

    static func subjectAlternativeNames(of certificate: Certificate, path: String) throws(TestAuthorityError)
        -> [String]
    {
        let extensionValue: SubjectAlternativeNames?
        do {
            extensionValue = try certificate.extensions.subjectAlternativeNames
        } catch {
            throw .corruptFile(path: path, reason: "its subjectAltName extension cannot be decoded (\(error))")
        }
        return (extensionValue ?? SubjectAlternativeNames()).map { name in
            switch name {
            case .dnsName(let text): return text
            case .ipAddress(let octets): return IPAddressText.text(octets.bytes) ?? "\(name)"
            default: return "\(name)"
            }
        }
    }

    static func generalName(_ text: String) -> GeneralName {
        if let bytes = IPAddressText.bytes(text) {
            return .ipAddress(ASN1OctetString(contentBytes: bytes[...]))
        }
        return .dnsName(text)
    }

    /// Names compare case-insensitively; addresses by value (`::1` equals `0:0:0:0:0:0:0:1`).
    static func comparisonKey(_ text: String) -> String {
        IPAddressText.canonical(text) ?? text.lowercased()
    }
}
