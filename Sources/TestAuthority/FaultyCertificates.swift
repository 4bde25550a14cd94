import Foundation
import MicrosoftClouds

/// What is wrong with a certificate a `certificate` fault presents (ScenarioModel's
/// `Fault.CertificateProblem`; this target does not depend on the model).
public enum CertificateDefect: String, Sendable, CaseIterable {
    /// Signed by the test CA, with the cloud's names, but its validity ended a day before "now".
    case expired
    /// Signed by the test CA and valid now, but only for `TestAuthority.wrongHostName`.
    case wrongHost = "wrong_host"
}

extension TestAuthority {
    /// The only name a `wrong_host` certificate is valid for: a reserved name (RFC 2606) no client connects to.
    public static let wrongHostName = "wrong-host.exomock.invalid"
    /// How long ago an `expired` certificate's validity began and ended.
    static let expiredValidity: (began: TimeInterval, ended: TimeInterval) = (2 * serverLifetime, 24 * 60 * 60)
}

extension CertificateSet {
    /// A server certificate for `cloud` with `defect`, signed by this set's CA, made in memory (never written
    /// to disk; a new key each call). Like every certificate date, "now" is the real clock: TLS clients check
    /// validity against it. `certificatePath` and `keyPath` are empty.
    public func faultyServer(_ defect: CertificateDefect, for cloud: CloudName, now: Date = Date()) throws
        -> ServerCertificate
    {
        let regular = server(for: cloud)
        let names: [String]
        let notValidBefore: Date
        let notValidAfter: Date
        switch defect {
        case .expired:
            names = regular.subjectAlternativeNames
            notValidBefore = now.addingTimeInterval(-TestAuthority.expiredValidity.began)
            notValidAfter = now.addingTimeInterval(-TestAuthority.expiredValidity.ended)
        case .wrongHost:
            names = [TestAuthority.wrongHostName]
            notValidBefore = now.addingTimeInterval(-TestAuthority.backdating)
            notValidAfter = now.addingTimeInterval(TestAuthority.serverLifetime)
        }
        let (certificatePEM, key) = try TestAuthority.makeLeaf(
            commonName: names[0], names: names, notValidBefore: notValidBefore, notValidAfter: notValidAfter,
            authority: authority)
        return ServerCertificate(
            cloud: cloud,
            certificatePEM: certificatePEM,
            chainPEM: certificatePEM + caCertificatePEM,
            privateKeyPEM: key.pemRepresentation + "\n",
            certificatePath: "",
            keyPath: "",
            subjectAlternativeNames: names
        )
    }
}
