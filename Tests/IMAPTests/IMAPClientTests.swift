import Determinism
import ExomockTestSupport
import Foundation
import IMAPServer
import Journal
import ListenerSupport
import MailAuthentication
import MailStore
import MicrosoftClouds
import NIOCore
import NIOPosix
import ScenarioModel
import Synchronization
import Testing

/// Real IMAP listeners (implicit TLS and STARTTLS) on 127.0.0.1, port 0, for real clients.
final class LiveIMAP: Sendable {
    let listeners: LiveListeners
    let store: MailStore
    let journal: Journal
    let server: IMAPServer
    var implicit: MailListener { listeners.implicit }
    var starttls: MailListener { listeners.starttls }
    var certificate: ThrowawayCertificate { listeners.certificate }

    private init(listeners: LiveListeners, store: MailStore, journal: Journal, server: IMAPServer) {
        self.listeners = listeners
        self.store = store
        self.journal = journal
        self.server = server
    }

    static func start(generated: Int = 0, settings: ExchangeSettings = ExchangeSettings()) async throws -> LiveIMAP {
        let clock = VirtualClock(start: VirtualClock.defaultStart)
        let journal = Journal(clock: clock)
        let store = try makeIMAPStore(clock: clock, generated: generated)
        let server = IMAPServer(store: store, authenticator: TestAuthenticator(), settings: settings)
        let listeners = try await LiveListeners.bind(server: server, journal: journal, clock: clock)
        return LiveIMAP(listeners: listeners, store: store, journal: journal, server: server)
    }

    func stop() async { await listeners.stop() }

    func reasons() -> [String] {
        journal.events().filter { $0.event.hasPrefix("auth.") }.map { "\($0.event):\($0.detail["reason"] ?? "")" }
    }
}

func writeTemp(_ name: String, _ text: String) throws -> (dir: URL, path: String) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("exomock-imap-client-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent(name).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return (dir, path)
}

@Suite(.serialized) struct IMAPRealClientTests {
    // MARK: curl

    func curl(_ live: LiveIMAP, token: String, starttls: Bool) async throws -> ProgramResult {
        let url =
            starttls
            ? "imap://127.0.0.1:\(live.starttls.port)/INBOX;MAILINDEX=1"
            : "imaps://127.0.0.1:\(live.implicit.port)/INBOX;MAILINDEX=1"
        var args = [
            "-sS", "-v", "--max-time", "30", "--cacert", live.certificate.certificatePath, "--login-options",
            "AUTH=XOAUTH2",
            "-u", imapMailbox, "--oauth2-bearer", token, url,
        ]
        if starttls { args.insert("--ssl-reqd", at: 0) }
        return try await runClient("curl", args, package: "curl")
    }

    @Test(arguments: [false, true])
    func curlFetchesWithXOAUTH2(starttls: Bool) async throws {
        try await withTimeLimit(90) {
            let live = try await LiveIMAP.start()
            defer { Task { await live.stop() } }
            let r = try await self.curl(live, token: "good-token", starttls: starttls)
            #expect(r.status == 0, "curl failed: \(r.error)")
            #expect(r.output.contains("The printer is on fire."))
            #expect(
                r.error.contains(starttls ? "< A004 OK AUTHENTICATE completed." : "< A002 OK AUTHENTICATE completed."))
            if starttls { #expect(r.error.contains("OK Begin TLS negotiation now.")) }
            #expect(live.reasons().contains("auth.succeeded:"))
        }
    }

    @Test(arguments: [false, true])
    func curlExpiredTokenEndsWithExchangesLine(starttls: Bool) async throws {
        try await withTimeLimit(90) {
            let live = try await LiveIMAP.start()
            defer { Task { await live.stop() } }
            let r = try await self.curl(live, token: "expired-token", starttls: starttls)
            #expect(r.status == 67, "curl should report 'Login denied' (67): \(r.status) \(r.error)")
            #expect(r.error.contains(starttls ? "< A004 NO AUTHENTICATE failed." : "< A002 NO AUTHENTICATE failed."))
            #expect(live.reasons() == ["auth.failed:token_expired"])
        }
    }

    // MARK: Python imaplib

    func imaplib(_ live: LiveIMAP, token: String, starttls: Bool = false) async throws -> ProgramResult {
        let (dir, path) = try writeTemp("fetch.py", pythonImaplibScript)
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = starttls ? live.starttls.port : live.implicit.port
        return try await runClient(
            "python3",
            [
                path, "127.0.0.1", String(port), live.certificate.certificatePath, imapMailbox, token,
                starttls ? "starttls" : "implicit",
            ], package: "python3")
    }

    @Test(arguments: [false, true])
    func imaplibFetchesWithXOAUTH2(starttls: Bool) async throws {
        try await withTimeLimit(90) {
            let live = try await LiveIMAP.start()
            defer { Task { await live.stop() } }
            let r = try await self.imaplib(live, token: "good-token", starttls: starttls)
            #expect(r.status == 0, "imaplib failed: \(r.output) \(r.error)")
            #expect(r.output.contains("FETCHED \(sampleIMAPMessages[0].utf8.count)"))
            #expect(r.error.contains("OK AUTHENTICATE completed."))
            #expect(r.error.contains("OK [READ-ONLY] EXAMINE completed."))
        }
    }

    @Test(arguments: [
        ("expired-token", "NO AUTHENTICATE failed.", "auth.failed:token_expired", Int32(1)),
        ("wrong-cloud-token", "NO AUTHENTICATE failed.", "auth.failed:signature_invalid", Int32(1)),
        ("wrong-aud-token", "NO AUTHENTICATE failed.", "auth.failed:wrong_audience", Int32(1)),
        ("no-scope-token", "NO AUTHENTICATE failed.", "auth.failed:missing_permission", Int32(1)),
        (
            "no-access-token", "BAD User is authenticated but not connected.", "auth.not_connected:no_mailbox_access",
            Int32(3)
        ),
    ])
    func imaplibFailuresEndWithExchangesLine(token: String, line: String, journal: String, status: Int32) async throws {
        try await withTimeLimit(90) {
            let live = try await LiveIMAP.start()
            defer { Task { await live.stop() } }
            let r = try await self.imaplib(live, token: token)
            #expect(r.status == status, "\(r.output) \(r.error)")
            #expect(r.error.contains(line), "wire trace lacks '\(line)': \(r.error)")
            #expect(live.reasons() == [journal])
        }
    }

    // MARK: imapclient

    func imapclient(_ live: LiveIMAP, token: String) async throws -> ProgramResult {
        let (dir, path) = try writeTemp("fetch.py", pythonImapclientScript)
        defer { try? FileManager.default.removeItem(at: dir) }
        let check = try await runClient("python3", ["-c", "import imapclient"], package: "python3")
        guard check.status == 0 else {
            throw TestFailure("Python module imapclient is missing: install it with 'pip install imapclient'")
        }
        return try await runClient(
            "python3",
            [path, "127.0.0.1", String(live.implicit.port), live.certificate.certificatePath, imapMailbox, token],
            package: "python3")
    }

    @Test func imapclientFetchesWithXOAUTH2() async throws {
        try await withTimeLimit(90) {
            let live = try await LiveIMAP.start()
            defer { Task { await live.stop() } }
            let r = try await self.imapclient(live, token: "good-token")
            #expect(r.status == 0, "imapclient failed: \(r.output) \(r.error)")
            #expect(r.output.contains("LOGIN [b'AUTHENTICATE completed.']"))
            #expect(r.output.contains("EXISTS 3"))
            #expect(
                r.output.contains(
                    "FETCHED 1 \(sampleIMAPMessages[0].utf8.count) \(sampleIMAPMessages[0].utf8.count) [HD-1] printer"))
        }
    }

    @Test(arguments: [
        ("expired-token", "AUTH-REFUSED AUTHENTICATE failed.", Int32(1)),
        ("no-access-token", "User is authenticated but not connected.", Int32(3)),
    ])
    func imapclientFailures(token: String, line: String, status: Int32) async throws {
        try await withTimeLimit(90) {
            let live = try await LiveIMAP.start()
            defer { Task { await live.stop() } }
            let r = try await self.imapclient(live, token: token)
            #expect(r.status == status, "\(r.output) \(r.error)")
            #expect(r.output.contains(line), "\(r.output)")
        }
    }

    // MARK: Jakarta Mail

    func jakarta(_ live: LiveIMAP, token: String) async throws -> ProgramResult {
        let classpath = try JakartaMail.classpath(className: "IMAPFetch", source: jakartaProgram)
        return try await runClient(
            "java",
            [
                "-cp", classpath, "IMAPFetch", "localhost", String(live.implicit.port),
                live.certificate.certificatePath, imapMailbox, token,
            ], package: "default-jre-headless", timeout: 90)
    }

    @Test func jakartaMailFetchesWithSASLIRAndPartialFetches() async throws {
        try await withTimeLimit(150) {
            let live = try await LiveIMAP.start(generated: 3)
            defer { Task { await live.stop() } }
            let first = try live.store.snapshot(mailbox: imapMailbox, folder: "Inbox").messages[0]
            let r = try await self.jakarta(live, token: "good-token")
            #expect(r.status == 0, "Jakarta failed: \(r.output) \(r.error.suffix(3000))")
            #expect(r.output.contains("FETCHED \(first.size) "))
            #expect(r.error.contains("AUTHENTICATE XOAUTH2 dXNlcj1"), "Jakarta should send the SASL initial response")
            #expect(r.error.contains("OK AUTHENTICATE completed."))
            #expect(r.error.contains("EXAMINE INBOX"))
            #expect(r.error.contains("BODY[]<0.16384>"))
            if first.size > 16384 { #expect(r.error.contains("BODY[]<16384.16384>")) }
        }
    }

    @Test(arguments: [
        ("expired-token", "NO AUTHENTICATE failed.", Int32(1)),
        ("no-access-token", "BAD User is authenticated but not connected.", Int32(3)),
    ])
    func jakartaMailFailures(token: String, line: String, status: Int32) async throws {
        try await withTimeLimit(150) {
            let live = try await LiveIMAP.start()
            defer { Task { await live.stop() } }
            let r = try await self.jakarta(live, token: token)
            #expect(r.status == status, "\(r.output) \(r.error.suffix(3000))")
            #expect(r.error.contains(line), "trace lacks '\(line)'")
        }
    }
}

@Suite struct IMAPLiveListenerTests {
    @Test func idleHearsAdminDeliveryAndShutdownSaysBye() async throws {
        try await withTimeLimit(90) {
            let live = try await LiveIMAP.start()
            defer { Task { await live.stop() } }
            let (dir, path) = try writeTemp("idle.py", pythonIdleScript)
            defer { try? FileManager.default.removeItem(at: dir) }
            let marker = dir.appendingPathComponent("marker").path
            async let result = runClient(
                "python3",
                [
                    path, "127.0.0.1", String(live.implicit.port), live.certificate.certificatePath, imapMailbox,
                    "good-token", marker,
                ], package: "python3", timeout: 60)
            // Wait until the session has selected the Inbox, then deliver as POST /mailboxes/{upn}/messages does.
            var waited = 0
            while live.store.subscriptionCount == 0, waited < 400 {
                try await Task.sleep(for: .milliseconds(50))
                waited += 1
            }
            #expect(live.store.subscriptionCount == 1)
            try live.store.append(toMailbox: imapMailbox, rawMessage: Array("Subject: arrived\n\nhello\n".utf8))
            waited = 0
            while !FileManager.default.fileExists(atPath: marker), waited < 400 {
                try await Task.sleep(for: .milliseconds(50))
                waited += 1
            }
            live.server.beginShutdown()
            let r = try await result
            #expect(r.status == 0, "\(r.output) \(r.error)")
            #expect(r.output.contains("S: + IDLE accepted, awaiting DONE command."))
            #expect(r.output.contains("S: * 4 EXISTS"))
            #expect(r.output.contains("S: * BYE Connection is closed. 13"))
        }
    }
}
