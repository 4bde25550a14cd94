import Determinism
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import IMAPServer
import Journal
import ListenerSupport
import MailAuthentication
import MailStore
import MicrosoftClouds
import NIOCore
import NIOSSL
import ScenarioModel
import Synchronization

let imapMailbox = "helpdesk@contoso.onmicrosoft.us"

/// Grants `good-token` for the help-desk mailbox; other tokens get the failure their name says.
struct TestAuthenticator: MailAuthenticating {
    static let rejections: [String: MailAuthFailure] = [
        "expired-token": .tokenExpired, "wrong-cloud-token": .signatureInvalid, "wrong-aud-token": .wrongAudience,
        "no-scope-token": .missingPermission,
    ]
    static let notConnected: [String: MailAuthFailure] = ["no-access-token": .noMailboxAccess, "imap-off-token": .protocolDisabled]

    func authenticate(_ credentials: XOAUTH2Credentials, service: MailService) -> MailAccessDecision {
        if credentials.token == "good-token", credentials.user.lowercased() == imapMailbox {
            return .granted(MailGrant(mailbox: imapMailbox, principal: "alice@contoso.onmicrosoft.us", appOnly: false))
        }
        if let reason = Self.notConnected[credentials.token] { return .authenticatedNotConnected(reason, detail: "test: \(reason.rawValue)") }
        let reason = Self.rejections[credentials.token] ?? .signatureInvalid
        return .rejected(reason, detail: "test: \(reason.rawValue)")
    }

    func authenticateBasic(user: String, password: String, service: MailService) -> MailAccessDecision {
        .rejected(.basicAuthDisabled, detail: "test: basic authentication is off")
    }
}

/// A store with the help-desk mailbox: three hand-written messages in the Inbox (one multipart).
func makeIMAPStore(clock: VirtualClock = VirtualClock(start: VirtualClock.defaultStart), generated: Int = 0) throws -> MailStore {
    let scenario = Scenario(
        name: "imap", seed: 11, clouds: [.gccHigh],
        mailboxes: [Mailbox(address: imapMailbox, kind: .shared,
            folders: generated > 0 ? [Folder(name: "Inbox", messages: [.generated(count: generated, size: 40_000, seed: 5)])] : [])])
    let store = try MailStore(scenario: scenario, clock: clock, ids: IdentifierSource(seed: 11))
    for text in sampleIMAPMessages where generated == 0 {
        try store.append(mailbox: imapMailbox, folder: "Inbox", rawMessage: Array(text.utf8))
    }
    return store
}

let sampleIMAPMessages = [
    "From: Alice Admin <alice@contoso.onmicrosoft.us>\r\nTo: helpdesk@contoso.onmicrosoft.us\r\nSubject: [HD-1] printer\r\nDate: Thu, 01 Jan 2026 00:00:00 +0000\r\nMessage-ID: <1@contoso>\r\n\r\nThe printer is on fire.\r\nPlease help.\r\n",
    "From: \"Bob, B.\" <bob@example.com>\r\nTo: helpdesk@contoso.onmicrosoft.us, carol@example.com\r\nCc: dave@example.com\r\nSubject: [HD-2] VPN\r\nDate: Fri, 02 Jan 2026 09:30:00 +0000\r\nMessage-ID: <2@example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b1\"\r\n\r\npreamble\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nVPN down\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>VPN down</p>\r\n--b1--\r\n",
    "From: eve@example.com\r\nSubject: [HD-3] third\r\n\r\nline 1\r\nline 2\r\n",
]

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A throwaway self-signed P-256 certificate for localhost/127.0.0.1, made with the openssl CLI.
struct TestCertificate: Sendable {
    let directory: URL
    var certificatePath: String { directory.appendingPathComponent("cert.pem").path }
    var keyPath: String { directory.appendingPathComponent("key.pem").path }

    static func make() throws -> TestCertificate {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("exomock-imap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let result = try runProcess("openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", dir.appendingPathComponent("key.pem").path, "-out", dir.appendingPathComponent("cert.pem").path,
            "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ], package: "openssl", timeout: 60)
        guard result.status == 0 else { throw TestFailure("openssl req failed: \(result.error)") }
        return TestCertificate(directory: dir)
    }

    func serverContext() throws -> NIOSSLContext {
        try TLSContexts.server(
            certificateChainPEM: String(contentsOfFile: certificatePath, encoding: .utf8),
            privateKeyPEM: String(contentsOfFile: keyPath, encoding: .utf8))
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

struct ProcessOutput: Sendable {
    var status: Int32
    var output: String
    var error: String
    var timedOut: Bool
}

/// The path of `program`, or a failure naming the package to install.
func findProgram(_ program: String, package: String) throws -> String {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in path.split(separator: ":") {
        let candidate = "\(dir)/\(program)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw TestFailure("\(program) is not installed: install the '\(package)' package")
}

/// Runs a program with a timeout (killed by its own pid when it passes), collecting output as it comes.
func runProcess(
    _ program: String, _ arguments: [String], package: String, timeout: TimeInterval, environment: [String: String] = [:],
    currentDirectory: String? = nil
) throws -> ProcessOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try findProgram(program, package: package))
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    final class Collected: Sendable { let data = Mutex<(Data, Data)>((Data(), Data())) }
    let box = Collected()
    out.fileHandleForReading.readabilityHandler = { h in let d = h.availableData; box.data.withLock { $0.0.append(d) } }
    err.fileHandleForReading.readabilityHandler = { h in let d = h.availableData; box.data.withLock { $0.1.append(d) } }
    let finished = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in finished.signal() }
    try process.run()
    var timedOut = false
    if finished.wait(timeout: .now() + timeout) == .timedOut {
        timedOut = true
        kill(process.processIdentifier, SIGKILL)
        _ = finished.wait(timeout: .now() + 5)
    }
    out.fileHandleForReading.readabilityHandler = nil
    err.fileHandleForReading.readabilityHandler = nil
    let restOut = (try? out.fileHandleForReading.readToEnd()) ?? nil
    let restErr = (try? err.fileHandleForReading.readToEnd()) ?? nil
    let (o, e) = box.data.withLock { ($0.0 + (restOut ?? Data()), $0.1 + (restErr ?? Data())) }
    return ProcessOutput(status: process.terminationStatus, output: String(decoding: o, as: UTF8.self), error: String(decoding: e, as: UTF8.self), timedOut: timedOut)
}

/// Fails if `body` takes longer than `seconds`.
func withTimeLimit<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
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
