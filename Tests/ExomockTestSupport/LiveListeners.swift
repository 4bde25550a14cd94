import Determinism
import Foundation
import Journal
import ListenerSupport
import MicrosoftClouds
import NIOPosix

/// A mail server's two real listeners on 127.0.0.1 (implicit TLS and STARTTLS, ephemeral ports) with
/// a throwaway certificate, for tests that point real clients at IMAP or POP3.
public final class LiveListeners: Sendable {
    public let group: MultiThreadedEventLoopGroup
    public let certificate: ThrowawayCertificate
    public let implicit: MailListener
    public let starttls: MailListener
    let server: any MailProtocolServer

    private init(
        group: MultiThreadedEventLoopGroup, certificate: ThrowawayCertificate, implicit: MailListener,
        starttls: MailListener,
        server: any MailProtocolServer
    ) {
        self.group = group
        self.certificate = certificate
        self.implicit = implicit
        self.starttls = starttls
        self.server = server
    }

    /// Binds both listeners for `server` as the GCC High cloud.
    public static func bind(server: any MailProtocolServer, journal: Journal, clock: VirtualClock) async throws
        -> LiveListeners
    {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let certificate = try ThrowawayCertificate.make()
        let tls = try certificate.serverContext()
        let ids = ConnectionIDs()
        let cloud = Cloud.named(.gccHigh)
        let implicit = try await MailListener.bind(
            host: "127.0.0.1", port: 0, tlsMode: .implicit, cloud: cloud, tls: tls, server: server, journal: journal,
            clock: clock, ids: ids, group: group)
        let starttls = try await MailListener.bind(
            host: "127.0.0.1", port: 0, tlsMode: .starttls, cloud: cloud, tls: tls, server: server, journal: journal,
            clock: clock, ids: ids, group: group)
        return LiveListeners(
            group: group, certificate: certificate, implicit: implicit, starttls: starttls, server: server)
    }

    /// Says goodbye on open connections, closes both listeners and the event loops, removes the certificate.
    public func stop() async {
        server.beginShutdown()
        await implicit.close()
        await starttls.close()
        try? await group.shutdownGracefully()
        certificate.remove()
    }
}

/// Runs a blocking external client on its own thread, off the Swift concurrency pool (which has as
/// many threads as cores: a test waiting on a client must not starve the server it talks to).
public func runClient(
    _ program: String, _ arguments: [String], package: String, timeout: TimeInterval = 60, input: String? = nil,
    environment: [String: String]? = nil, currentDirectory: String? = nil
) async throws -> ProgramResult {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(
                with: Result {
                    try runProgram(
                        program, arguments, package: package, timeout: timeout, input: input,
                        environment: environment ?? [:],
                        currentDirectory: currentDirectory)
                })
        }
    }
}
