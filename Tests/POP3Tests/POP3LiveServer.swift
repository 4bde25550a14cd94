import Determinism
import ExomockTestSupport
import Foundation
import Journal
import ListenerSupport
import MailAuthentication
import MailStore
import MicrosoftClouds
import NIOCore
import NIOPosix
import POP3Server
import ScenarioModel

/// A POP3 server on real sockets: implicit TLS and STLS listeners on 127.0.0.1, ephemeral ports.
final class LivePOP3: Sendable {
    let listeners: LiveListeners
    let store: InMemoryMaildrops
    let server: POP3Server
    let journal: Journal
    let clock: VirtualClock
    var implicit: MailListener { listeners.implicit }
    var starttls: MailListener { listeners.starttls }
    var certificate: ThrowawayCertificate { listeners.certificate }

    private init(
        listeners: LiveListeners, store: InMemoryMaildrops, server: POP3Server, journal: Journal, clock: VirtualClock
    ) {
        self.listeners = listeners
        self.store = store
        self.server = server
        self.journal = journal
        self.clock = clock
    }

    static func start(
        messages: [String] = sampleMessages,
        settings: ExchangeSettings = ExchangeSettings(pop3XOAUTH2InitialResponse: .accept),
        faults: [Fault] = []
    ) async throws -> LivePOP3 {
        let clock = VirtualClock(start: VirtualClock.defaultStart)
        let journal = Journal(clock: clock)
        let store = InMemoryMaildrops([testMailbox: messages])
        let server = POP3Server(
            store: store, authenticator: FakeAuthenticator(), settings: settings,
            faults: MailFaults(faults: faults, service: .pop3, cloud: nil))
        let listeners = try await LiveListeners.bind(server: server, journal: journal, clock: clock)
        return LivePOP3(listeners: listeners, store: store, server: server, journal: journal, clock: clock)
    }

    func stop() async { await listeners.stop() }

    /// Waits (bounded) until no POP3 session is open: the server has seen every client go.
    func waitUntilIdle(seconds: Double = 10) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while server.openSessionCount > 0 {
            if Date() > deadline { throw TestFailure("POP3 sessions still open after \(seconds) s") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func events(_ name: JournalEvent.Name) -> [[String: String]] {
        journal.events().filter { $0.event == name }.map(\.detail)
    }
}

/// Starts a live server, runs `body` within `timeout` seconds, and always stops the server.
func withLive(
    timeout: Double,
    settings: ExchangeSettings = ExchangeSettings(pop3XOAUTH2InitialResponse: .accept),
    messages: [String] = sampleMessages,
    faults: [Fault] = [],
    _ body: @escaping @Sendable (LivePOP3) async throws -> Void
) async throws {
    let live = try await LivePOP3.start(messages: messages, settings: settings, faults: faults)
    do {
        try await withTimeLimit(timeout) { try await body(live) }
    } catch {
        await live.stop()
        throw error
    }
    await live.stop()
}
