import AdminAPI
import Determinism
import EntraTokenService
import EntraTokens
import ExomockLimits
import Foundation
import Hummingbird
import HummingbirdTLS
import IMAPServer
import Journal
import ListenerSupport
import Logging
import MailAuthentication
import MailStore
import MicrosoftClouds
import NIOCore
import NIOPosix
import NIOSSL
import POP3Server
import Prometheus
import SMTPServer
import ScenarioModel
import ServiceLifecycle
import TestAuthority

/// How to serve a scenario.
public struct ServeOptions: Sendable {
    /// Bind each cloud to its own loopback address (127.0.1.N) on the standard ports, so that
    /// `/etc/hosts` lines can send real host names to it. Needs root for ports below 1024.
    public var hostsMode: Bool
    /// Where the test CA, server certificates and token-signing keys live (created if missing).
    public var certificatesDirectory: String
    /// Write the ready file here once everything listens.
    public var readyFile: String?
    /// Admin API port on 127.0.0.1 (0: ephemeral).
    public var adminPort: Int
    /// React to SIGINT and SIGTERM with a graceful shutdown (the CLI does; embedders do not).
    public var handleSignals: Bool
    /// Seconds a TLS handshake may take on every TLS listener (`Limits.tlsHandshakeTimeoutSeconds`; tests
    /// shorten it).
    public var tlsHandshakeTimeoutSeconds: Double = Limits.tlsHandshakeTimeoutSeconds
    public var logger: Logger

    public init(
        hostsMode: Bool = false,
        certificatesDirectory: String,
        readyFile: String? = nil,
        adminPort: Int = 0,
        handleSignals: Bool = false,
        logger: Logger = Logger(label: "exomock")
    ) {
        self.hostsMode = hostsMode
        self.certificatesDirectory = certificatesDirectory
        self.readyFile = readyFile
        self.adminPort = adminPort
        self.handleSignals = handleSignals
        self.logger = logger
    }
}

/// A scenario that is up: its endpoints, clock, journal and mail store.
public struct RunningScenario: Sendable {
    /// The scenario as it was loaded; `changes.live.current` (and the admin API's `GET /scenario`) has the
    /// changes applied since.
    public let scenario: Scenario
    public let ready: ReadyDocument
    public let clock: VirtualClock
    public let journal: Journal
    public let store: MailStore
    /// Mail submitted over SMTP to addresses outside the scenario (`GET /outbox`).
    public let outbox: Outbox
    public let ids: IdentifierSource
    /// Live directory and Exchange changes (`POST /changes`, a flow's `change` steps).
    public let changes: ScenarioChanges
    /// Every route the admin API registered (`docs/admin-api.openapi.yaml` lists the same, a test checks).
    public let adminRoutes: [AdminRoute]
}

/// Runs scenarios: the embeddable entry point (the way GreenMail is embedded in JUnit tests).
///
/// ```swift
/// let scenario = try ScenarioLoader.load(file: "Scenarios/quickstart.yaml")
/// try await ExomockServer.run(scenario, options: ServeOptions(certificatesDirectory: dir)) { mock in
///     let imap = mock.ready.listener(cloud: .gccHigh, service: .imap, tls: .implicit)!
///     // point a client at imap.host:imap.port, trusting mock.ready.caFile
/// }
/// ```
public enum ExomockServer {
    /// Starts every listener of `scenario`, calls `body` once all listen, and shuts everything down
    /// when `body` returns or throws (or, with `handleSignals`, on SIGINT/SIGTERM).
    /// Returns `body`'s result, or nil when a signal stopped the scenario before `body` returned.
    public static func run<T: Sendable>(
        _ scenario: Scenario,
        options: ServeOptions,
        _ body: @escaping @Sendable (RunningScenario) async throws -> T
    ) async throws -> T? {
        let built = try await Assembly.make(scenario: scenario, options: options)
        var configuration = ServiceGroupConfiguration(
            services: built.services,
            gracefulShutdownSignals: options.handleSignals ? [.sigterm, .sigint] : [],
            logger: options.logger
        )
        // Graceful first (mail sessions get `* BYE`, answers in progress finish); what still runs after the
        // grace period (a body that never ends, a latency fault) is cancelled, within `Limits.shutdownSeconds`.
        configuration.maximumGracefulShutdownDuration = .milliseconds(Int64(Limits.shutdownGraceSeconds * 1000))
        let group = ServiceGroup(configuration: configuration)
        return try await withThrowingTaskGroup(of: RunOutcome<T>.self) { tasks in
            tasks.addTask {
                try await group.run()
                return .groupFinished
            }
            tasks.addTask {
                let ports = try await built.readiness.waitForAll()
                let running = try built.finish(httpPorts: ports)
                if let path = options.readyFile { try running.ready.write(to: path) }
                built.journal.record(
                    cloud: nil, service: .scenario, event: .scenarioReady, detail: ["name": scenario.name])
                do {
                    let result = try await body(running)
                    await group.triggerGracefulShutdown()
                    return .body(result)
                } catch {
                    await group.triggerGracefulShutdown()
                    throw error
                }
            }
            do {
                switch try await tasks.next() {
                case .body(let result):
                    _ = try await tasks.next()
                    return result
                case .groupFinished, nil:
                    // Stopped by a signal: the body is still waiting; stop it.
                    tasks.cancelAll()
                    while let next = try? await tasks.next() {
                        if case .body(let result) = next { return result }
                    }
                    return nil
                }
            } catch {
                tasks.cancelAll()
                await group.triggerGracefulShutdown()
                throw error
            }
        }
    }
}

/// What finished first inside `ExomockServer.run`.
enum RunOutcome<T: Sendable>: Sendable {
    case groupFinished
    case body(T)
}
