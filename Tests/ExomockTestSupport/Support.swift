import Foundation
import ListenerSupport
import NIOSSL
import Synchronization

/// Helpers shared by every exomock test target: the repository root, the built `exomock` binary,
/// external programs run with a timeout, a throwaway TLS certificate, and a time limit for async tests.
public enum TestSupport {
    /// The repository root, found from this file's path.
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `.build/debug/exomock`, built by `swift build --build-tests` (as `./test.sh` does).
    public static var exomockBinary: String {
        repositoryRoot.appendingPathComponent(".build/debug/exomock").path
    }

    /// A fresh temporary directory.
    public static func temporaryDirectory(_ label: String = "exomock-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// One certificates directory per test process and label, so the CA and keys are made once per process.
    public static func processCertificatesDirectory(_ label: String) -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// Waits until a file exists and is non-empty, polling; false on timeout.
    public static func waitForFile(_ path: String, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                (attributes[.size] as? Int ?? 0) > 0
            {
                return true
            }
            usleep(50_000)
        }
        return false
    }
}

/// A test precondition that failed, with a sentence saying what to do.
public struct TestFailure: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// What an external program did.
public struct ProgramResult: Sendable {
    public var status: Int32
    public var output: String
    public var error: String
    public var timedOut: Bool
}

/// The path of `program` (a path, or a name on PATH), or a failure naming the Debian package to install.
public func locateProgram(_ program: String, package: String) throws -> String {
    if program.hasPrefix("/") {
        guard FileManager.default.isExecutableFile(atPath: program) else {
            throw TestFailure("\(program) is missing: build it, or install the '\(package)' package")
        }
        return program
    }
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in path.split(separator: ":") {
        let candidate = "\(dir)/\(program)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw TestFailure("\(program) is not installed: run ./test.sh, or apt-get install \(package)")
}

/// Runs a program with a timeout. Output is read as it comes (no pipe deadlock); a program still
/// running at the timeout gets SIGTERM, then SIGKILL, and `timedOut` is true.
public func runProgram(
    _ program: String,
    _ arguments: [String],
    package: String,
    timeout: TimeInterval,
    input: String? = nil,
    environment: [String: String] = [:],
    currentDirectory: String? = nil
) throws -> ProgramResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try locateProgram(program, package: package))
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
    let out = Pipe()
    let err = Pipe()
    let inp = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = inp
    final class Collected: Sendable { let data = Mutex<(Data, Data)>((Data(), Data())) }
    let box = Collected()
    out.fileHandleForReading.readabilityHandler = { handle in
        let data = handle.availableData
        box.data.withLock { $0.0.append(data) }
    }
    err.fileHandleForReading.readabilityHandler = { handle in
        let data = handle.availableData
        box.data.withLock { $0.1.append(data) }
    }
    let finished = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in finished.signal() }
    try process.run()
    if let input { inp.fileHandleForWriting.write(Data(input.utf8)) }
    try? inp.fileHandleForWriting.close()
    var timedOut = false
    if finished.wait(timeout: .now() + timeout) == .timedOut {
        timedOut = true
        process.terminate()
        if finished.wait(timeout: .now() + 5) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            _ = finished.wait(timeout: .now() + 5)
        }
    }
    out.fileHandleForReading.readabilityHandler = nil
    err.fileHandleForReading.readabilityHandler = nil
    let restOut = (try? out.fileHandleForReading.readToEnd()) ?? nil
    let restErr = (try? err.fileHandleForReading.readToEnd()) ?? nil
    // Closed here, not left to deinit: the read ends outlived their runs (about two descriptors a launch,
    // 570 pipes by the end of the suite), and Foundation's Process.run() crashes listing /proc/self/fd once a
    // process has more than about 1,300 open (swift-corelibs-foundation PR #5472).
    for handle in [out.fileHandleForReading, err.fileHandleForReading, inp.fileHandleForReading] {
        try? handle.close()
    }
    let (o, e) = box.data.withLock { ($0.0 + (restOut ?? Data()), $0.1 + (restErr ?? Data())) }
    return ProgramResult(
        status: process.terminationStatus,
        output: String(decoding: o, as: UTF8.self),
        error: String(decoding: e, as: UTF8.self),
        timedOut: timedOut
    )
}

/// Fails the test if `body` takes longer than `seconds`, so no integration test can hang.
public func withTimeLimit<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws
    -> T
{
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            throw TestFailure("timed out after \(seconds) s")
        }
        let result = try await group.next()!
        group.cancelAll()
        return result
    }
}

/// A throwaway self-signed P-256 certificate for `localhost` and 127.0.0.1, made with the openssl CLI,
/// for protocol tests that need TLS without the test CA.
public struct ThrowawayCertificate: Sendable {
    public let directory: URL
    public var certificatePath: String { directory.appendingPathComponent("cert.pem").path }
    public var keyPath: String { directory.appendingPathComponent("key.pem").path }

    public static func make() throws -> ThrowawayCertificate {
        let dir = try TestSupport.temporaryDirectory("exomock-cert")
        let result = try runProgram(
            "openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", dir.appendingPathComponent("key.pem").path, "-out",
                dir.appendingPathComponent("cert.pem").path,
                "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ],
            package: "openssl",
            timeout: 60
        )
        guard result.status == 0 else { throw TestFailure("openssl req failed: \(result.error)") }
        return ThrowawayCertificate(directory: dir)
    }

    public func serverContext() throws -> NIOSSLContext {
        try TLSContexts.server(
            certificateChainPEM: String(contentsOfFile: certificatePath, encoding: .utf8),
            privateKeyPEM: String(contentsOfFile: keyPath, encoding: .utf8)
        )
    }

    public func remove() { try? FileManager.default.removeItem(at: directory) }
}
