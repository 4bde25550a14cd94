import Determinism
import ExomockTestSupport
import Foundation
import Journal
import ListenerSupport
import MailStore
import MicrosoftClouds
import NIOCore
import NIOPosix
import POP3Server
import ScenarioModel

/// A POP3 server on real sockets: implicit TLS and STLS listeners on 127.0.0.1, ephemeral ports.
final class LivePOP3: Sendable {
    let group: MultiThreadedEventLoopGroup
    let store: InMemoryMaildrops
    let server: POP3Server
    let journal: Journal
    let clock: VirtualClock
    let certificate: ThrowawayCertificate
    let implicit: MailListener
    let starttls: MailListener

    private init(
        group: MultiThreadedEventLoopGroup, store: InMemoryMaildrops, server: POP3Server, journal: Journal, clock: VirtualClock,
        certificate: ThrowawayCertificate, implicit: MailListener, starttls: MailListener
    ) {
        self.group = group
        self.store = store
        self.server = server
        self.journal = journal
        self.clock = clock
        self.certificate = certificate
        self.implicit = implicit
        self.starttls = starttls
    }

    static func start(
        messages: [String] = sampleMessages,
        settings: ExchangeSettings = ExchangeSettings()
    ) async throws -> LivePOP3 {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let certificate = try ThrowawayCertificate.make()
        let tls = try certificate.serverContext()
        let clock = VirtualClock(start: VirtualClock.defaultStart)
        let journal = Journal(clock: clock)
        let store = InMemoryMaildrops([testMailbox: messages])
        let server = POP3Server(store: store, authenticator: FakeAuthenticator(), settings: settings)
        let ids = ConnectionIDs()
        let cloud = Cloud.named(.gccHigh)
        let implicit = try await MailListener.bind(
            host: "127.0.0.1", port: 0, tlsMode: .implicit, cloud: cloud, tls: tls, server: server,
            journal: journal, clock: clock, ids: ids, group: group
        )
        let starttls = try await MailListener.bind(
            host: "127.0.0.1", port: 0, tlsMode: .starttls, cloud: cloud, tls: tls, server: server,
            journal: journal, clock: clock, ids: ids, group: group
        )
        return LivePOP3(
            group: group, store: store, server: server, journal: journal, clock: clock, certificate: certificate,
            implicit: implicit, starttls: starttls
        )
    }

    func stop() async {
        server.beginShutdown()
        await implicit.close()
        await starttls.close()
        try? await group.shutdownGracefully()
        certificate.remove()
    }

    /// Waits (bounded) until no POP3 session is open: the server has seen every client go.
    func waitUntilIdle(seconds: Double = 10) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while server.openSessionCount > 0 {
            if Date() > deadline { throw TestFailure("POP3 sessions still open after \(seconds) s") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func events(_ name: String) -> [[String: String]] {
        journal.events().filter { $0.event == name }.map(\.detail)
    }
}

/// Runs a blocking external client off the cooperative pool.
func runClient(
    _ program: String, _ arguments: [String], package: String, timeout: TimeInterval = 60, input: String? = nil,
    environment: [String: String]? = nil
) async throws -> ProgramResult {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result {
                try runProgram(program, arguments, package: package, timeout: timeout, input: input, environment: environment ?? [:])
            })
        }
    }
}

/// Starts a live server, runs `body` within `timeout` seconds, and always stops the server.
func withLive(
    timeout: Double,
    settings: ExchangeSettings = ExchangeSettings(),
    _ body: @escaping @Sendable (LivePOP3) async throws -> Void
) async throws {
    let live = try await LivePOP3.start(settings: settings)
    do {
        try await withTimeLimit(timeout) { try await body(live) }
    } catch {
        await live.stop()
        throw error
    }
    await live.stop()
}
