import Determinism
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Journal
import ListenerSupport
import MailAuthentication
import MailStore
import MicrosoftClouds
import NIOCore
import NIOSSL
import Synchronization

/// A small in-memory store for POP3 tests: Inboxes only, with the same maildrop lock as the real store.
final class InMemoryMaildrops: MaildropProviding {
    struct Inbox {
        var uidValidity: UInt32
        var nextUID: UInt32
        var messages: [MaildropMessage]
    }
    private let inboxes = Mutex<[String: Inbox]>([:])
    let locks = MaildropLocks()

    init(_ mailboxes: [String: [String]] = [:], uidValidity: UInt32 = 1_767_225_600) {
        inboxes.withLock { inboxes in
            for (address, texts) in mailboxes {
                var inbox = Inbox(uidValidity: uidValidity, nextUID: 1, messages: [])
                for text in texts {
                    inbox.messages.append(MaildropMessage(uid: inbox.nextUID, content: Array(text.utf8)))
                    inbox.nextUID += 1
                }
                inboxes[address.lowercased()] = inbox
            }
        }
    }

    func uids(_ mailbox: String) -> [UInt32] {
        inboxes.withLock { $0[mailbox.lowercased()]?.messages.map(\.uid) ?? [] }
    }

    func append(_ mailbox: String, _ text: String) {
        inboxes.withLock { inboxes in
            guard var inbox = inboxes[mailbox.lowercased()] else { return }
            inbox.messages.append(MaildropMessage(uid: inbox.nextUID, content: Array(text.utf8)))
            inbox.nextUID += 1
            inboxes[mailbox.lowercased()] = inbox
        }
    }

    func openMaildrop(_ mailbox: String, session: String) -> Result<MaildropSnapshot, MaildropOpenFailure> {
        guard let inbox = inboxes.withLock({ $0[mailbox.lowercased()] }) else { return .failure(.mailboxNotFound(mailbox)) }
        if let holder = locks.acquire(mailbox, session: session) { return .failure(.locked(holder: holder)) }
        return .success(MaildropSnapshot(uidValidity: inbox.uidValidity, messages: inbox.messages))
    }

    func expungeMaildrop(_ mailbox: String, session: String, uids: [UInt32]) -> Int {
        guard locks.holder(of: mailbox) == session else { return 0 }
        return inboxes.withLock { inboxes in
            guard var inbox = inboxes[mailbox.lowercased()] else { return 0 }
            let before = inbox.messages.count
            let gone = Set(uids)
            inbox.messages.removeAll { gone.contains($0.uid) }
            inboxes[mailbox.lowercased()] = inbox
            return before - inbox.messages.count
        }
    }

    func closeMaildrop(_ mailbox: String, session: String) {
        locks.release(mailbox, session: session)
    }
}

/// Grants one token for one mailbox; rejects every other token with a chosen reason.
struct FakeAuthenticator: MailAuthenticating {
    var goodToken = "good-token"
    var mailbox = "helpdesk@contoso.onmicrosoft.us"
    /// Tokens answered `.authenticatedNotConnected`.
    var notConnectedTokens: [String: MailAuthFailure] = ["no-access-token": .noMailboxAccess]
    /// Tokens rejected with a specific reason; any other token: `.signatureInvalid`.
    var rejections: [String: MailAuthFailure] = ["expired-token": .tokenExpired, "wrong-aud-token": .wrongAudience]
    var basicPassword = "Passw0rd!"

    func authenticate(_ credentials: XOAUTH2Credentials, service: MailService) -> MailAccessDecision {
        if credentials.token == goodToken, credentials.user.lowercased() == mailbox {
            return .granted(MailGrant(mailbox: mailbox, principal: mailbox, appOnly: false))
        }
        if let reason = notConnectedTokens[credentials.token] {
            return .authenticatedNotConnected(reason, detail: "test: \(reason.rawValue)")
        }
        let reason = rejections[credentials.token] ?? .signatureInvalid
        return .rejected(reason, detail: "test: \(reason.rawValue)")
    }

    func authenticateBasic(user: String, password: String, service: MailService) -> MailAccessDecision {
        if user.lowercased() == mailbox, password == basicPassword {
            return .granted(MailGrant(mailbox: mailbox, principal: mailbox, appOnly: false))
        }
        return .rejected(.badPassword, detail: "test: bad password")
    }
}

let testMailbox = "helpdesk@contoso.onmicrosoft.us"

/// Three small CRLF messages; the second has a line starting with "." to exercise byte-stuffing.
let sampleMessages = [
    "From: a@example.com\r\nTo: helpdesk@contoso.onmicrosoft.us\r\nSubject: [HD-1] printer\r\n\r\nThe printer is on fire.\r\nPlease help.\r\n",
    "From: b@example.com\r\nSubject: [HD-2] dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nend\r\n",
    "From: c@example.com\r\nSubject: [HD-3] third\r\n\r\nline 1\r\nline 2\r\nline 3\r\n",
]

func xoauth2(_ token: String, user: String = testMailbox) -> String {
    XOAUTH2Credentials(user: user, token: token).initialResponse
}

/// A throwaway self-signed P-256 certificate for `localhost` and 127.0.0.1, made with the openssl CLI.
struct ThrowawayCertificate: Sendable {
    let directory: URL
    var certificatePath: String { directory.appendingPathComponent("cert.pem").path }
    var keyPath: String { directory.appendingPathComponent("key.pem").path }

    static func make() throws -> ThrowawayCertificate {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("exomock-pop3-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let result = try run(
            "openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", dir.appendingPathComponent("key.pem").path, "-out", dir.appendingPathComponent("cert.pem").path,
                "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ],
            package: "openssl",
            timeout: 60
        )
        guard result.status == 0 else { throw TestFailure("openssl req failed: \(result.output)") }
        return ThrowawayCertificate(directory: dir)
    }

    func serverContext() throws -> NIOSSLContext {
        try TLSContexts.server(
            certificateChainPEM: String(contentsOfFile: certificatePath, encoding: .utf8),
            privateKeyPEM: String(contentsOfFile: keyPath, encoding: .utf8)
        )
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct ProcessResult: Sendable {
    var status: Int32
    var output: String
    var error: String
    var timedOut: Bool
}

/// Finds `program` on PATH, or throws naming the package that provides it.
func locate(_ program: String, package: String) throws -> String {
    if program.hasPrefix("/") {
        guard FileManager.default.isExecutableFile(atPath: program) else {
            throw TestFailure("\(program) is missing: install the '\(package)' package")
        }
        return program
    }
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in path.split(separator: ":") {
        let candidate = "\(dir)/\(program)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw TestFailure("\(program) is not installed: install the '\(package)' package (apt-get install \(package))")
}

/// Runs a program with a timeout; output is read as it comes (no pipe deadlock), and the process is
/// killed (by its own pid) when the timeout passes.
func run(
    _ program: String,
    _ arguments: [String],
    package: String,
    timeout: TimeInterval,
    input: String? = nil,
    environment: [String: String]? = nil
) throws -> ProcessResult {
    let executable = try locate(program, package: package)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let out = Pipe(), err = Pipe(), inp = Pipe()
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
    let (o, e) = box.data.withLock { ($0.0 + (restOut ?? Data()), $0.1 + (restErr ?? Data())) }
    return ProcessResult(
        status: process.terminationStatus,
        output: String(decoding: o, as: UTF8.self),
        error: String(decoding: e, as: UTF8.self),
        timedOut: timedOut
    )
}

/// Fails the test if `body` takes longer than `seconds` (so no integration test can hang).
func withTimeout<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
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
