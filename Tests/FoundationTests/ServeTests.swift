import ExomockLimits
import ExomockTestSupport
import Foundation
import Testing

/// `exomock serve` as CI suites use it: a real process, a ready file, real TLS clients, signals.
@Suite(.serialized)
struct ServeTests {
    /// The ready file as a client reads it (shared with the other serve tests).
    typealias Ready = ServedReady

    /// Starts `exomock serve` with the given arguments and waits for its ready file.
    static func startServe(_ arguments: [String], readyFile: String, timeout: Double = 120) throws -> (
        Process, Ready, Pipe
    ) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestSupport.exomockBinary)
        process.arguments = ["serve"] + arguments + ["--ready-file", readyFile]
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        guard TestSupport.waitForFile(readyFile, timeout: timeout) else {
            process.terminate()
            process.waitUntilExit()
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            Issue.record("no ready file after \(timeout) s; exit \(process.terminationStatus); stderr: \(stderr)")
            throw CancellationError()
        }
        let ready = try JSONDecoder().decode(Ready.self, from: Data(contentsOf: URL(fileURLWithPath: readyFile)))
        return (process, ready, errors)
    }

    /// Sends SIGTERM and returns the exit status and how long the process took to exit.
    static func stop(_ process: Process) -> (Int32, Double) {
        let start = Date()
        process.terminate()
        while process.isRunning, Date().timeIntervalSince(start) < 10 { usleep(10_000) }
        let elapsed = Date().timeIntervalSince(start)
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return (process.terminationStatus, elapsed)
    }

    /// `openssl s_client` against a listener, verifying the chain and the host name.
    static func sClient(host: String, port: Int, name: String, caFile: String, starttls: String? = nil) throws
        -> ProgramResult
    {
        var arguments = [
            "s_client", "-connect", "\(host):\(port)", "-servername", name, "-verify_hostname", name,
            "-CAfile", caFile, "-verify_return_error", "-brief",
        ]
        if let starttls { arguments += ["-starttls", starttls] }
        return try runProgram("openssl", arguments, package: "openssl", timeout: 20, input: "")
    }

    static func fixture(_ name: String) throws -> String {
        try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)).path
    }

    @Test(
        "serve with two clouds: ready file, verified TLS on every listener, distinct ports and certificates, SIGTERM exits 0 within 2 s"
    )
    func serveTwoClouds() throws {
        let dir = try TestSupport.temporaryDirectory()
        let readyFile = dir.appendingPathComponent("ready.json").path
        let (process, ready, _) = try Self.startServe(
            ["--scenario", try Self.fixture("two-clouds.yaml"), "--certs", dir.appendingPathComponent("certs").path],
            readyFile: readyFile
        )
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        #expect(ready.version == 1)
        #expect(ready.caFile.hasPrefix("/"))
        #expect(ready.adminURL.hasPrefix("http://127.0.0.1:"))
        #expect(Set(ready.clouds.map(\.name)) == ["worldwide", "gcc-high"])
        var ports: [Int] = []
        var servedCertificates: [String: Set<String>] = [:]
        for cloud in ready.clouds {
            #expect(cloud.listeners.count == 5, "IMAP and POP3 twice each, and SMTP submission")
            let authority = try #require(URLComponents(string: cloud.authorityURL))
            let authorityPort = try #require(authority.port)
            ports.append(authorityPort)
            let https = try Self.sClient(
                host: try #require(authority.host), port: authorityPort, name: cloud.authorityHost,
                caFile: ready.caFile)
            #expect(
                https.error.contains("Verification: OK") || https.output.contains("Verification: OK"),
                "token service of \(cloud.name): \(https.error)")
            for listener in cloud.listeners {
                ports.append(listener.port)
                let starttls = listener.tls == "starttls" ? listener.service : nil
                let result = try Self.sClient(
                    host: listener.host, port: listener.port, name: cloud.outlookHost, caFile: ready.caFile,
                    starttls: starttls)
                let all = result.output + result.error
                #expect(all.contains("Verification: OK"), "\(cloud.name) \(listener.service) \(listener.tls): \(all)")
                if let peer = all.split(separator: "\n").first(where: { $0.hasPrefix("Peer certificate:") }) {
                    servedCertificates[cloud.name, default: []].insert(String(peer))
                }
                // The wrong cloud's name must not verify.
                let otherName = cloud.name == "worldwide" ? "outlook.office365.us" : "outlook.office365.com"
                let wrong = try Self.sClient(
                    host: listener.host, port: listener.port, name: otherName, caFile: ready.caFile, starttls: starttls
                )
                #expect(
                    !(wrong.output + wrong.error).contains("Verification: OK"),
                    "\(cloud.name) served a certificate valid for \(otherName)")
            }
        }
        #expect(Set(ports).count == ports.count, "ports shared between listeners: \(ports)")
        let worldwide = servedCertificates["worldwide"] ?? []
        let gccHigh = servedCertificates["gcc-high"] ?? []
        #expect(worldwide.count == 1 && gccHigh.count == 1, "each cloud serves one certificate on all its listeners")
        #expect(worldwide.isDisjoint(with: gccHigh), "two clouds served the same certificate")

        let (status, elapsed) = Self.stop(process)
        #expect(status == 0)
        #expect(elapsed <= Limits.shutdownSeconds, "shutdown took \(elapsed) s")
    }

    @Test("a bad scenario: the same located errors as check, exit 1, no ready file")
    func badScenario() throws {
        let dir = try TestSupport.temporaryDirectory()
        let file = dir.appendingPathComponent("bad.yaml")
        try "name: bad\nclouds: [gcc-hihg]\n".write(to: file, atomically: true, encoding: .utf8)
        let readyFile = dir.appendingPathComponent("ready.json").path
        let result = try runProgram(
            TestSupport.exomockBinary,
            [
                "serve", "--scenario", file.path, "--ready-file", readyFile, "--certs",
                dir.appendingPathComponent("certs").path,
            ],
            package: "exomock (swift build)", timeout: 30
        )
        #expect(result.status == 1)
        #expect(result.error.contains("\(file.path):2:"), "stderr: \(result.error)")
        #expect(!FileManager.default.fileExists(atPath: readyFile))
        let check = try runProgram(
            TestSupport.exomockBinary, ["check", file.path], package: "exomock (swift build)", timeout: 30)
        #expect(check.status == 1)
        let firstServeLine = result.error.split(separator: "\n").first.map(String.init) ?? ""
        #expect(
            check.error.contains(firstServeLine),
            "check and serve report differently:\n\(check.error)\n---\n\(result.error)")
    }

    @Test("a port in use: serve says which and exits 1")
    func portInUse() throws {
        let dir = try TestSupport.temporaryDirectory()
        // Hold a port with a listening socket of our own.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        #expect(bound == 0)
        #expect(listen(fd, 1) == 0)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))

        let result = try runProgram(
            TestSupport.exomockBinary,
            ["serve", "--admin-port", String(port), "--certs", dir.appendingPathComponent("certs").path],
            package: "exomock (swift build)", timeout: 60
        )
        #expect(result.status == 1)
        #expect(result.error.contains("port \(port) on 127.0.0.1 is already in use"), "stderr: \(result.error)")
        #expect(result.error.contains("admin API"))
    }

    @Test("serve --hosts binds each cloud to 127.0.1.N on the standard ports and prints /etc/hosts lines")
    func hostsMode() throws {
        guard getuid() == 0 else {
            print("ServeTests.hostsMode: skipped, not running as root (ports 443/993/143/995/110 need root)")
            return
        }
        let dir = try TestSupport.temporaryDirectory()
        let readyFile = dir.appendingPathComponent("ready.json").path
        let (process, ready, _) = try Self.startServe(
            ["--hosts", "--certs", dir.appendingPathComponent("certs").path], readyFile: readyFile)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let cloud = try #require(ready.clouds.first)
        #expect(cloud.name == "gcc-high")
        #expect(cloud.authorityURL == "https://login.microsoftonline.us")
        #expect(cloud.hostsLines?.first?.hasPrefix("127.0.1.3 login.microsoftonline.us") == true)
        #expect(Set(cloud.listeners.map(\.port)) == [993, 143, 995, 110, 587])
        #expect(cloud.listeners.allSatisfy { $0.host == "127.0.1.3" })
        let imap = try Self.sClient(host: "127.0.1.3", port: 993, name: "outlook.office365.us", caFile: ready.caFile)
        #expect((imap.output + imap.error).contains("Verification: OK"))
        let https = try Self.sClient(
            host: "127.0.1.3", port: 443, name: "login.microsoftonline.us", caFile: ready.caFile)
        #expect((https.output + https.error).contains("Verification: OK"))
        let (status, _) = Self.stop(process)
        #expect(status == 0)
    }

    @Test("exomock --help and every subcommand's --help explain themselves with an example")
    func help() throws {
        for arguments in [
            ["--help"], ["serve", "--help"], ["check", "--help"], ["certs", "--help"], ["clouds", "--help"],
        ] {
            let result = try runProgram(
                TestSupport.exomockBinary, arguments, package: "exomock (swift build)", timeout: 30)
            #expect(result.status == 0, "\(arguments)")
            #expect(result.output.contains("Example"), "\(arguments) has no example:\n\(result.output)")
        }
    }
}
