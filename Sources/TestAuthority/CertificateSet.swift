import MicrosoftClouds

/// The test CA and one server certificate per cloud, as files on disk and as PEM text.
///
/// Returned by ``TestAuthority/loadOrCreate(directory:clouds:now:)``. All paths are absolute or as
/// given (the directory joined with the file name); all PEM text is exactly the bytes of the files.
public struct CertificateSet: Sendable {
    /// The directory that holds the files.
    public let directory: String
    /// `<directory>/ca.pem`: the file clients trust (`curl --cacert`, `SSL_CERT_FILE`, `keytool`).
    public let caCertificatePath: String
    /// The root CA certificate in PEM form.
    public let caCertificatePEM: String
    /// One server certificate per cloud that was requested.
    let servers: [CloudName: ServerCertificate]
    /// The CA with its key, to mint the faulty certificates of `certificate` faults (never written to disk).
    let authority: TestAuthority.Authority

    init(
        directory: String, caCertificatePath: String, caCertificatePEM: String, servers: [CloudName: ServerCertificate],
        authority: TestAuthority.Authority
    ) {
        self.directory = directory
        self.caCertificatePath = caCertificatePath
        self.caCertificatePEM = caCertificatePEM
        self.servers = servers
        self.authority = authority
    }

    /// The clouds this set has server certificates for, in catalog order.
    public var clouds: [CloudName] { servers.keys.sorted() }

    /// The server certificate for `cloud`.
    ///
    /// - Precondition: `cloud` was in the `clouds` passed to `loadOrCreate` (the default is every
    ///   cloud). Asking for another cloud is a programming error.
    public func server(for cloud: CloudName) -> ServerCertificate {
        guard let server = servers[cloud] else {
            preconditionFailure(
                "no certificate for cloud \(cloud.rawValue): pass it in `clouds:` to TestAuthority.loadOrCreate (loaded: \(clouds.map(\.rawValue)))"
            )
        }
        return server
    }
}

/// One cloud's TLS server certificate, signed by the test CA.
public struct ServerCertificate: Sendable, Hashable {
    /// The cloud whose host names the certificate covers.
    public let cloud: CloudName
    /// The leaf certificate alone, PEM (the content of ``certificatePath``).
    public let certificatePEM: String
    /// The leaf, then the CA certificate, PEM: what a TLS server sends.
    public let chainPEM: String
    /// The leaf's private key, PKCS#8 PEM (the content of ``keyPath``).
    public let privateKeyPEM: String
    /// `<directory>/<cloud>.pem`.
    public let certificatePath: String
    /// `<directory>/<cloud>-key.pem` (mode 0600).
    public let keyPath: String
    /// The subject alternative names in the certificate, in certificate order: DNS names as written,
    /// IP addresses in their usual text form (`127.0.0.1`, `::1`).
    public let subjectAlternativeNames: [String]
}
