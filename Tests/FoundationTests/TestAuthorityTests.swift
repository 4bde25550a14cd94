import Crypto
import Foundation
import MicrosoftClouds
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import Testing
import X509

@testable import TestAuthority

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// MARK: Helpers

/// A fresh directory under the system temporary directory, removed afterwards.
private func withCertificateDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("exomock-certs-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    // Not created here: loadOrCreate must create it. Put it one level down to prove intermediate dirs.
    return try await body((path as NSString).appendingPathComponent("certs"))
}

private struct ProgramResult {
    var status: Int32
    var output: String
    var timedOut: Bool
}

private func findProgram(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for directory in path.split(separator: ":") {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

private func openssl() throws -> String {
    try #require(findProgram("openssl"), "the openssl program is not on PATH: install the Debian package openssl")
}

/// Runs a program with stdin closed (empty), stdout and stderr into one temporary file, and a
/// timeout after which it is terminated, so a test can never hang on it.
private func run(_ program: String, _ arguments: [String], timeout: Double = 20) async throws -> ProgramResult {
    let outputPath = FileManager.default.temporaryDirectory
        .appendingPathComponent("exomock-program-\(UUID().uuidString).out").path
    #expect(FileManager.default.createFile(atPath: outputPath, contents: nil))
    defer { try? FileManager.default.removeItem(atPath: outputPath) }
    let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
    defer { try? output.close() }

    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = output
    process.standardError = output
    let timedOut = Atomic<Bool>(false)
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { finished in continuation.resume(returning: finished.terminationStatus) }
        do {
            try process.run()
        } catch {
            process.terminationHandler = nil
            continuation.resume(throwing: error)
            return
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
            if process.isRunning {
                timedOut.store(true, ordering: .relaxed)
                process.terminate()
            }
        }
    }
    let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    return ProgramResult(status: status, output: text, timedOut: timedOut.load(ordering: .relaxed))
}

/// A TLS listener on 127.0.0.1, port 0, serving one certificate chain; it only does the handshake.
private func withTLSListener<T>(
    _ server: ServerCertificate,
    _ body: (Int) async throws -> T
) async throws -> T {
    let chain = try NIOSSLCertificate.fromPEMBytes(Array(server.chainPEM.utf8))
    let key = try NIOSSLPrivateKey(bytes: Array(server.privateKeyPEM.utf8), format: .pem)
    let configuration = TLSConfiguration.makeServerConfiguration(
        certificateChain: chain.map { .certificate($0) },
        privateKey: .privateKey(key)
    )
    let context = try NIOSSLContext(configuration: configuration)
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
            }
        }
        .bind(host: "127.0.0.1", port: 0)
        .get()
    let port = try #require(channel.localAddress?.port)
    do {
        let result = try await body(port)
        try await channel.close()
        return result
    } catch {
        try? await channel.close()
        throw error
    }
}

private func sClient(
    port: Int,
    serverName: String,
    verifyHostname: String,
    caFile: String
) async throws -> ProgramResult {
    try await run(
        try openssl(),
        [
            "s_client", "-connect", "127.0.0.1:\(port)",
            "-servername", serverName,
            "-verify_hostname", verifyHostname,
            "-CAfile", caFile,
            "-verify_return_error",
        ])
}

private func fileBytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

private func allFiles(in set: CertificateSet) -> [String] {
    [set.caCertificatePath, (set.directory as NSString).appendingPathComponent("ca-key.pem")]
        + set.clouds.flatMap { [set.server(for: $0).certificatePath, set.server(for: $0).keyPath] }
}

// MARK: Tests

@Suite("Test certificate authority")
struct TestAuthorityTests {
    @Test("creates the CA and one certificate per cloud, then reuses the same bytes")
    func createsAndReuses() async throws {
        try await withCertificateDirectory { directory in
            let first = try TestAuthority.loadOrCreate(directory: directory)
            #expect(first.clouds == CloudName.allCases)
            let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { !$0.hasPrefix(".") }
                .sorted()
            let expected =
                (["ca.pem", "ca-key.pem"]
                + CloudName.allCases.flatMap { ["\($0.rawValue).pem", "\($0.rawValue)-key.pem"] }).sorted()
            #expect(names == expected)
            #expect(first.caCertificatePath == (directory as NSString).appendingPathComponent("ca.pem"))
            #expect(try String(contentsOfFile: first.caCertificatePath, encoding: .utf8) == first.caCertificatePEM)

            var before: [String: Data] = [:]
            for path in allFiles(in: first) { before[path] = try fileBytes(path) }

            for cloud in CloudName.allCases {
                let server = first.server(for: cloud)
                #expect(server.cloud == cloud)
                #expect(server.certificatePath.hasSuffix("/\(cloud.rawValue).pem"))
                #expect(server.keyPath.hasSuffix("/\(cloud.rawValue)-key.pem"))
                #expect(try String(contentsOfFile: server.certificatePath, encoding: .utf8) == server.certificatePEM)
                #expect(try String(contentsOfFile: server.keyPath, encoding: .utf8) == server.privateKeyPEM)
                #expect(server.chainPEM == server.certificatePEM + first.caCertificatePEM)
                let keyMode = try #require(
                    FileManager.default.attributesOfItem(atPath: server.keyPath)[.posixPermissions] as? Int)
                #expect(keyMode == 0o600, "\(server.keyPath) has mode \(String(keyMode, radix: 8))")
                let leaf = try Certificate(pemEncoded: server.certificatePEM)
                #expect(leaf.subject.description == "CN=\(Cloud.named(cloud).outlookHosts[0])")
            }
            let caKeyMode = try #require(
                FileManager.default.attributesOfItem(
                    atPath: (directory as NSString).appendingPathComponent("ca-key.pem"))[.posixPermissions] as? Int
            )
            #expect(caKeyMode == 0o600)

            let second = try TestAuthority.loadOrCreate(directory: directory)
            #expect(second.caCertificatePEM == first.caCertificatePEM)
            for cloud in CloudName.allCases {
                #expect(second.server(for: cloud) == first.server(for: cloud))
            }
            for path in allFiles(in: second) {
                #expect(try fileBytes(path) == before[path], "\(path) was rewritten")
            }
        }
    }

    @Test("the CA is a P-256 root with CA:true, keyCertSign and cRLSign, valid ten years")
    func authorityShape() async throws {
        try await withCertificateDirectory { directory in
            let now = Date()
            let set = try TestAuthority.loadOrCreate(directory: directory, clouds: [.gccHigh], now: now)
            let ca = try Certificate(pemEncoded: set.caCertificatePEM)
            #expect(ca.subject.description == "CN=exomock test root CA")
            #expect(ca.issuer == ca.subject)
            #expect(ca.publicKey.isValidSignature(ca.signature, for: ca))
            #expect(try ca.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: nil))
            #expect(ca.extensions[oid: .X509ExtensionID.basicConstraints]?.critical == true)
            #expect(try ca.extensions.keyUsage == KeyUsage(keyCertSign: true, cRLSign: true))
            #expect(try ca.extensions.subjectKeyIdentifier != nil)
            #expect(P256.Signing.PublicKey(ca.publicKey) != nil)
            #expect(abs(ca.notValidBefore.timeIntervalSince(now) + 86_400) < 2)
            #expect(abs(ca.notValidAfter.timeIntervalSince(now) - 3650 * 86_400) < 2)

            let leaf = try Certificate(pemEncoded: set.server(for: .gccHigh).certificatePEM)
            #expect(abs(leaf.notValidBefore.timeIntervalSince(now) + 86_400) < 2)
            #expect(abs(leaf.notValidAfter.timeIntervalSince(now) - 397 * 86_400) < 2)
            #expect(try leaf.extensions.extendedKeyUsage == ExtendedKeyUsage([.serverAuth]))
            #expect(try leaf.extensions.keyUsage == KeyUsage(digitalSignature: true))
            #expect(try leaf.extensions.basicConstraints == .notCertificateAuthority)
            let aki = try #require(try leaf.extensions.authorityKeyIdentifier)
            #expect(aki.keyIdentifier == (try ca.extensions.subjectKeyIdentifier)?.keyIdentifier)
            #expect(ca.publicKey.isValidSignature(leaf.signature, for: leaf))
        }
    }

    @Test("each cloud's SANs are its catalog host names, localhost, 127.0.0.1, ::1 and its hosts-mode address")
    func subjectAlternativeNames() async throws {
        try await withCertificateDirectory { directory in
            let set = try TestAuthority.loadOrCreate(directory: directory)
            let gccHigh = set.server(for: .gccHigh).subjectAlternativeNames
            for name in [
                "login.microsoftonline.us", "login.usgovcloudapi.net", "outlook.office365.us", "smtp.office365.us",
                "localhost", "127.0.0.1", "::1", "127.0.1.3",
            ] {
                #expect(gccHigh.contains(name), "gcc-high lacks \(name): \(gccHigh)")
            }
            #expect(!gccHigh.contains("outlook.office365.com"))
            for cloud in CloudName.allCases {
                let row = Cloud.named(cloud)
                let server = set.server(for: cloud)
                let expected = Set(row.allHostNames + ["localhost", "127.0.0.1", "::1", row.hostsModeAddress])
                #expect(Set(server.subjectAlternativeNames) == expected, "\(cloud.rawValue)")
                #expect(server.subjectAlternativeNames.count == expected.count)
                // What is on disk says the same (read back through X509, not from our own list).
                let leaf = try Certificate(
                    pemEncoded: try String(contentsOfFile: server.certificatePath, encoding: .utf8))
                let onDisk = try TestAuthority.subjectAlternativeNames(of: leaf, path: server.certificatePath)
                #expect(Set(onDisk) == expected)
            }
            #expect(set.server(for: .dod).subjectAlternativeNames.contains("webmail.apps.mil"))
            #expect(set.server(for: .china).subjectAlternativeNames.contains("partner.outlook.cn"))
            #expect(set.server(for: .worldwide).subjectAlternativeNames.contains("sts.windows.net"))
        }
    }

    @Test("no two clouds share a key, a certificate or a serial number")
    func distinctPerCloud() async throws {
        try await withCertificateDirectory { directory in
            let set = try TestAuthority.loadOrCreate(directory: directory)
            let servers = CloudName.allCases.map { set.server(for: $0) }
            #expect(Set(servers.map(\.privateKeyPEM)).count == servers.count)
            #expect(Set(servers.map(\.certificatePEM)).count == servers.count)
            let certificates = try servers.map { try Certificate(pemEncoded: $0.certificatePEM) }
            let ca = try Certificate(pemEncoded: set.caCertificatePEM)
            #expect(Set(certificates.map(\.publicKey)).count == servers.count)
            #expect(Set((certificates + [ca]).map(\.serialNumber)).count == servers.count + 1)
        }
    }

    @Test("openssl verify accepts each cloud's certificate against ca.pem and lists its SANs")
    func opensslVerify() async throws {
        let openssl = try openssl()
        try await withCertificateDirectory { directory in
            let set = try TestAuthority.loadOrCreate(directory: directory)
            for cloud in CloudName.allCases {
                let server = set.server(for: cloud)
                let verify = try await run(
                    openssl,
                    [
                        "verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", set.caCertificatePath,
                        server.certificatePath,
                    ])
                #expect(
                    verify.status == 0 && verify.output.contains("\(server.certificatePath): OK"),
                    "\(cloud.rawValue): \(verify.output)")

                let text = try await run(
                    openssl, ["x509", "-noout", "-ext", "subjectAltName", "-in", server.certificatePath])
                #expect(text.status == 0, "\(text.output)")
                let row = Cloud.named(cloud)
                for host in row.allHostNames + ["localhost"] {
                    #expect(text.output.contains("DNS:\(host)"), "\(cloud.rawValue) lacks DNS:\(host): \(text.output)")
                }
                for address in ["127.0.0.1", "0:0:0:0:0:0:0:1", row.hostsModeAddress] {
                    #expect(
                        text.output.contains("IP Address:\(address)"),
                        "\(cloud.rawValue) lacks IP \(address): \(text.output)")
                }
            }
            // The CA itself passes strict checks as a self-signed root.
            let root = try await run(
                openssl, ["verify", "-x509_strict", "-CAfile", set.caCertificatePath, set.caCertificatePath])
            #expect(root.status == 0, "\(root.output)")
        }
    }

    @Test("openssl s_client trusts each cloud's listener by its Outlook host name", arguments: CloudName.allCases)
    func sClientAcceptsEachCloud(cloud: CloudName) async throws {
        _ = try openssl()
        try await withCertificateDirectory { directory in
            let set = try TestAuthority.loadOrCreate(directory: directory, clouds: [cloud])
            let host = Cloud.named(cloud).outlookHosts[0]
            try await withTLSListener(set.server(for: cloud)) { port in
                let result = try await sClient(
                    port: port, serverName: host, verifyHostname: host, caFile: set.caCertificatePath)
                #expect(!result.timedOut, "s_client timed out: \(result.output)")
                #expect(result.status == 0, "\(result.output)")
                #expect(result.output.contains("Verify return code: 0 (ok)"), "\(result.output)")
            }
        }
    }

    @Test("openssl s_client: gcc-high certificate verifies for outlook.office365.us, not outlook.office365.com")
    func sClientHostNameCheck() async throws {
        _ = try openssl()
        try await withCertificateDirectory { directory in
            let set = try TestAuthority.loadOrCreate(directory: directory, clouds: [.gccHigh])
            try await withTLSListener(set.server(for: .gccHigh)) { port in
                let good = try await sClient(
                    port: port, serverName: "outlook.office365.us", verifyHostname: "outlook.office365.us",
                    caFile: set.caCertificatePath
                )
                #expect(!good.timedOut)
                #expect(good.status == 0, "\(good.output)")
                #expect(good.output.contains("Verify return code: 0 (ok)"), "\(good.output)")

                let wrong = try await sClient(
                    port: port, serverName: "outlook.office365.com", verifyHostname: "outlook.office365.com",
                    caFile: set.caCertificatePath
                )
                #expect(!wrong.timedOut)
                #expect(
                    wrong.status != 0,
                    "a certificate for gcc-high must not verify as outlook.office365.com: \(wrong.output)")
                #expect(!wrong.output.contains("Verify return code: 0 (ok)"))
                #expect(wrong.output.contains("hostname mismatch"), "\(wrong.output)")

                // And the authority host and the hosts-mode address are covered too.
                let authority = try await sClient(
                    port: port, serverName: "login.microsoftonline.us", verifyHostname: "login.microsoftonline.us",
                    caFile: set.caCertificatePath
                )
                #expect(authority.output.contains("Verify return code: 0 (ok)"), "\(authority.output)")
                let address = try await run(
                    try openssl(),
                    [
                        "s_client", "-connect", "127.0.0.1:\(port)", "-verify_ip", "127.0.1.3",
                        "-CAfile", set.caCertificatePath, "-verify_return_error",
                    ])
                #expect(address.output.contains("Verify return code: 0 (ok)"), "\(address.output)")
            }
        }
    }

    @Test("openssl s_client rejects the listener without the exomock CA")
    func sClientNeedsTheCA() async throws {
        _ = try openssl()
        try await withCertificateDirectory { directory in
            let set = try TestAuthority.loadOrCreate(directory: directory, clouds: [.gccHigh])
            // An empty trust store: a CA file holding only another, unrelated CA.
            let other = try TestAuthority.loadOrCreate(directory: directory + "-other", clouds: [])
            defer { try? FileManager.default.removeItem(atPath: directory + "-other") }
            try await withTLSListener(set.server(for: .gccHigh)) { port in
                let result = try await sClient(
                    port: port, serverName: "outlook.office365.us", verifyHostname: "outlook.office365.us",
                    caFile: other.caCertificatePath
                )
                #expect(!result.timedOut)
                #expect(result.status != 0, "\(result.output)")
                #expect(!result.output.contains("Verify return code: 0 (ok)"))
            }
        }
    }

    @Test("a corrupt ca.pem is an error that names the file and says to delete the directory")
    func corruptAuthority() async throws {
        try await withCertificateDirectory { directory in
            let set = try TestAuthority.loadOrCreate(directory: directory, clouds: [.worldwide])
            try Data("-----BEGIN CERTIFICATE-----\nnot base64 at all\n".utf8).write(
                to: URL(fileURLWithPath: set.caCertificatePath))
            let error = try #require(throws: TestAuthorityError.self) {
                try TestAuthority.loadOrCreate(directory: directory, clouds: [.worldwide])
            }
            guard case .corruptFile(let path, _) = error else {
                Issue.record("expected corruptFile, got \(error)")
                return
            }
            #expect(path == set.caCertificatePath)
            #expect(error.description.contains(set.caCertificatePath))
            #expect(error.description.contains("Delete the certificate directory \(directory)"))
            // The corrupt file was left alone for the user to inspect.
            #expect(try String(contentsOfFile: set.caCertificatePath, encoding: .utf8).contains("not base64"))
        }
    }

    @Test("a corrupt key, a CA key of the wrong CA, or an unreadable file are located errors")
    func otherBadFiles() async throws {
        try await withCertificateDirectory { directory in
            let set = try TestAuthority.loadOrCreate(directory: directory, clouds: [.dod])
            let server = set.server(for: .dod)
            try Data("garbage".utf8).write(to: URL(fileURLWithPath: server.keyPath))
            #expect(
                throws: TestAuthorityError.corruptFile(
                    path: server.keyPath, reason: "it is not a PEM P-256 private key (\(Self.keyError("garbage")))"
                )
            ) {
                try TestAuthority.loadOrCreate(directory: directory, clouds: [.dod])
            }

            // A CA key that belongs to another CA.
            let caKeyPath = (directory as NSString).appendingPathComponent("ca-key.pem")
            try P256.Signing.PrivateKey().pemRepresentation.write(toFile: caKeyPath, atomically: true, encoding: .utf8)
            let mismatch = try #require(throws: TestAuthorityError.self) {
                try TestAuthority.loadOrCreate(directory: directory, clouds: [])
            }
            #expect(
                mismatch
                    == .corruptFile(path: caKeyPath, reason: "this key does not belong to \(set.caCertificatePath)"))

            // A directory where ca.pem should be: unreadable.
            let otherDirectory = directory + "-unreadable"
            defer { try? FileManager.default.removeItem(atPath: otherDirectory) }
            try FileManager.default.createDirectory(
                atPath: (otherDirectory as NSString).appendingPathComponent("ca.pem"), withIntermediateDirectories: true
            )
            try Data("x".utf8).write(
                to: URL(fileURLWithPath: (otherDirectory as NSString).appendingPathComponent("ca-key.pem")))
            let unreadable = try #require(throws: TestAuthorityError.self) {
                try TestAuthority.loadOrCreate(directory: otherDirectory, clouds: [])
            }
            guard case .unreadableFile(let path, _) = unreadable else {
                Issue.record("expected unreadableFile, got \(unreadable)")
                return
            }
            #expect(path.hasSuffix("-unreadable/ca.pem"))
            #expect(unreadable.description.contains("delete the certificate directory"))
        }
    }

    static func keyError(_ pem: String) -> String {
        do {
            _ = try P256.Signing.PrivateKey(pemRepresentation: pem)
            return "none"
        } catch {
            return "\(error)"
        }
    }

    @Test("a certificate expiring within 30 days is replaced; the CA is kept")
    func renewsExpiringCertificates() async throws {
        try await withCertificateDirectory { directory in
            let realNow = Date()
            // Created 380 days ago: notAfter is 17 days from now.
            let old = try TestAuthority.loadOrCreate(
                directory: directory, clouds: [.gcc], now: realNow.addingTimeInterval(-380 * 86_400))
            // Still more than 30 days left 360 days ago: reused.
            let same = try TestAuthority.loadOrCreate(
                directory: directory, clouds: [.gcc], now: realNow.addingTimeInterval(-360 * 86_400))
            #expect(same.server(for: .gcc) == old.server(for: .gcc))

            let renewed = try TestAuthority.loadOrCreate(directory: directory, clouds: [.gcc], now: realNow)
            #expect(renewed.caCertificatePEM == old.caCertificatePEM)
            #expect(renewed.server(for: .gcc).certificatePEM != old.server(for: .gcc).certificatePEM)
            #expect(renewed.server(for: .gcc).privateKeyPEM != old.server(for: .gcc).privateKeyPEM)
            let leaf = try Certificate(pemEncoded: renewed.server(for: .gcc).certificatePEM)
            #expect(leaf.notValidAfter > realNow.addingTimeInterval(390 * 86_400))
            #expect(
                try String(contentsOfFile: renewed.server(for: .gcc).certificatePath, encoding: .utf8)
                    == renewed.server(for: .gcc).certificatePEM)
        }
    }

    @Test("a certificate whose SANs differ from the catalog, or whose key does not match, is replaced")
    func replacesStaleCertificates() async throws {
        try await withCertificateDirectory { directory in
            let set = try TestAuthority.loadOrCreate(directory: directory, clouds: [.worldwide, .gccHigh])
            let worldwide = set.server(for: .worldwide)
            let gccHigh = set.server(for: .gccHigh)
            // gcc-high's files now hold worldwide's certificate: wrong names.
            try worldwide.certificatePEM.write(toFile: gccHigh.certificatePath, atomically: true, encoding: .utf8)
            try worldwide.privateKeyPEM.write(toFile: gccHigh.keyPath, atomically: true, encoding: .utf8)
            let fixed = try TestAuthority.loadOrCreate(directory: directory, clouds: [.worldwide, .gccHigh])
            #expect(fixed.server(for: .worldwide) == worldwide)
            #expect(fixed.server(for: .gccHigh).subjectAlternativeNames.contains("outlook.office365.us"))
            #expect(fixed.server(for: .gccHigh).certificatePEM != worldwide.certificatePEM)

            // The key file replaced by another key: the pair is rebuilt.
            try P256.Signing.PrivateKey().pemRepresentation.write(
                toFile: gccHigh.keyPath, atomically: true, encoding: .utf8)
            let rebuilt = try TestAuthority.loadOrCreate(directory: directory, clouds: [.gccHigh])
            let leaf = try Certificate(pemEncoded: rebuilt.server(for: .gccHigh).certificatePEM)
            let key = try P256.Signing.PrivateKey(pemRepresentation: rebuilt.server(for: .gccHigh).privateKeyPEM)
            #expect(Certificate.PublicKey(key.publicKey) == leaf.publicKey)
        }
    }

    @Test("a new CA (its key deleted) re-signs every server certificate")
    func newAuthorityResigns() async throws {
        try await withCertificateDirectory { directory in
            let old = try TestAuthority.loadOrCreate(directory: directory, clouds: [.china])
            try FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent("ca-key.pem"))
            let new = try TestAuthority.loadOrCreate(directory: directory, clouds: [.china])
            #expect(new.caCertificatePEM != old.caCertificatePEM)
            let ca = try Certificate(pemEncoded: new.caCertificatePEM)
            let leaf = try Certificate(pemEncoded: new.server(for: .china).certificatePEM)
            #expect(ca.publicKey.isValidSignature(leaf.signature, for: leaf))
        }
    }

    @Test("only the requested clouds get files")
    func requestedCloudsOnly() async throws {
        try await withCertificateDirectory { directory in
            let set = try TestAuthority.loadOrCreate(directory: directory, clouds: [.dod, .dod, .china])
            #expect(set.clouds == [.dod, .china])
            let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { !$0.hasPrefix(".") }
                .sorted()
            #expect(names == ["ca-key.pem", "ca.pem", "china-key.pem", "china.pem", "dod-key.pem", "dod.pem"])
        }
    }

    @Test("processes starting at once end up with one CA and matching key pairs")
    func concurrentCallers() async throws {
        try await withCertificateDirectory { directory in
            let results = try await withThrowingTaskGroup(of: CertificateSet.self) { group in
                for _ in 0..<4 {
                    group.addTask { try TestAuthority.loadOrCreate(directory: directory) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(results.map(\.caCertificatePEM)).count == 1)
            let final = try TestAuthority.loadOrCreate(directory: directory)
            #expect(final.caCertificatePEM == results[0].caCertificatePEM)
            for cloud in CloudName.allCases {
                let server = final.server(for: cloud)
                #expect(Set(results.map { $0.server(for: cloud) }) == [server])
                let leaf = try Certificate(pemEncoded: server.certificatePEM)
                let key = try P256.Signing.PrivateKey(pemRepresentation: server.privateKeyPEM)
                #expect(Certificate.PublicKey(key.publicKey) == leaf.publicKey)
            }
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory).filter {
                $0.hasSuffix(".tmp")
            }
            #expect(leftovers.isEmpty)
        }
    }

    @Test("a lock held by another process past the wait is an error, not a hang")
    func lockTimeout() async throws {
        try await withCertificateDirectory { directory in
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let lockPath = (directory as NSString).appendingPathComponent(".lock")
            let fd = open(lockPath, O_RDWR | O_CREAT, 0o600)
            try #require(fd >= 0)
            defer { close(fd) }
            try #require(flock(fd, LOCK_EX) == 0)
            #expect(throws: TestAuthorityError.lockTimeout(path: lockPath, seconds: 0.2)) {
                try TestAuthority.loadOrCreate(directory: directory, clouds: [], now: Date(), lockWait: 0.2)
            }
            #expect(
                TestAuthorityError.lockTimeout(path: lockPath, seconds: 0.2).description.contains("delete \(lockPath)"))
            flock(fd, LOCK_UN)
            _ = try TestAuthority.loadOrCreate(directory: directory, clouds: [], now: Date(), lockWait: 0.2)
        }
    }

    @Test("a file where the directory should be is a clear error")
    func directoryIsAFile() async throws {
        try await withCertificateDirectory { directory in
            try FileManager.default.createDirectory(
                atPath: (directory as NSString).deletingLastPathComponent, withIntermediateDirectories: true
            )
            try Data("x".utf8).write(to: URL(fileURLWithPath: directory))
            #expect(
                throws: TestAuthorityError.cannotWrite(
                    path: directory, reason: "a file (not a directory) has that name")
            ) {
                try TestAuthority.loadOrCreate(directory: directory)
            }
        }
    }
}

@Suite("Test certificate authority: expiry and documentation")
struct TestAuthorityDocumentationTests {
    @Test("a CA that expires within 30 days is an error that says to delete the directory")
    func expiringAuthority() async throws {
        try await withCertificateDirectory { directory in
            let realNow = Date()
            // Created 3640 days ago: the ten-year CA has 10 days left.
            let old = try TestAuthority.loadOrCreate(
                directory: directory, clouds: [], now: realNow.addingTimeInterval(-3640 * 86_400))
            let error = try #require(throws: TestAuthorityError.self) {
                try TestAuthority.loadOrCreate(directory: directory, clouds: [.gcc], now: realNow)
            }
            guard case .authorityExpiring(let path, _) = error else {
                Issue.record("expected authorityExpiring, got \(error)")
                return
            }
            #expect(path == old.caCertificatePath)
            #expect(error.description.contains("Delete the certificate directory \(directory)"))
        }
    }

    @Test("docs/certificates.md lists every cloud's SANs as the catalog requires")
    func documentedNames() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let document = try String(contentsOf: root.appendingPathComponent("docs/certificates.md"), encoding: .utf8)
        for cloud in CloudName.allCases {
            let row = try #require(
                document.split(separator: "\n").first { $0.hasPrefix("| `\(cloud.rawValue)` |") },
                "docs/certificates.md has no SAN row for \(cloud.rawValue)"
            )
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let documented = Set(
                cells.dropFirst().joined(separator: ",").split(separator: ",").map {
                    $0.trimmingCharacters(in: CharacterSet(charactersIn: " `"))
                })
            #expect(
                documented == Set(TestAuthority.requiredSubjectAlternativeNames(for: cloud)),
                "\(cloud.rawValue): \(row)")
        }
    }
}
