import Determinism
import ExomockLimits
import Journal
import MicrosoftClouds
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// How a mail listener starts TLS.
public enum TLSMode: String, Sendable, Codable, CaseIterable {
    /// TLS from the first byte (IMAP 993, POP3 995).
    case implicit
    /// Plain text until the client asks (`STARTTLS` on IMAP 143, `STLS` on POP3 110).
    case starttls
}

/// What a protocol implementation needs to know about one accepted connection.
public struct ConnectionContext: Sendable {
    public let cloud: Cloud
    public let service: MailService
    public let tlsMode: TLSMode
    /// Seeded, stable id for the journal (`imap-3`).
    public let connectionID: String
    /// This connection's TLS context, for a STARTTLS/STLS upgrade (under a `certificate` fault, the faulty one).
    public let tls: NIOSSLContext
    public let journal: Journal
    public let clock: VirtualClock
    /// How the connection does TLS: `tls`, or refusing the handshake under a `tls_refuse` fault.
    public let connectionTLS: ConnectionTLS
    /// How long a TLS handshake may take (`Limits.tlsHandshakeTimeoutSeconds`).
    public let tlsHandshakeTimeout: TimeAmount

    public init(
        cloud: Cloud,
        service: MailService,
        tlsMode: TLSMode,
        connectionID: String,
        tls: NIOSSLContext,
        journal: Journal,
        clock: VirtualClock,
        connectionTLS: ConnectionTLS? = nil,
        tlsHandshakeTimeout: TimeAmount = NetworkTLS.handshakeTimeout
    ) {
        self.cloud = cloud
        self.service = service
        self.tlsMode = tlsMode
        self.connectionID = connectionID
        self.tls = tls
        self.journal = journal
        self.clock = clock
        self.connectionTLS = connectionTLS ?? .context(tls)
        self.tlsHandshakeTimeout = tlsHandshakeTimeout
    }

    /// Records a journal event for this connection.
    public func record(_ event: JournalEvent.Name, _ detail: [String: String] = [:]) {
        journal.record(
            cloud: cloud.name.rawValue,
            service: JournalEvent.Service(service),
            connection: connectionID,
            event: event,
            detail: detail
        )
    }

    /// Puts TLS at the front of the pipeline: the STARTTLS/STLS upgrade. Call it on the channel's
    /// event loop, after the protocol's "begin TLS" reply is flushed and before any further byte is read
    /// as a command (the protocol discards bytes the client pipelined after the STARTTLS command).
    public func startTLS(on channel: any Channel) throws {
        try NetworkTLS.install(on: channel, connectionTLS, handshakeTimeout: tlsHandshakeTimeout) {
            record(.connectionError, ["reason": NetworkTLS.handshakeTimeoutReason(tlsHandshakeTimeout)])
        }
    }
}

/// The seam between the listener (sockets, TLS, limits) and a mail protocol (IMAP, POP3).
///
/// The listener accepts a connection, adds the TLS handler when the mode is implicit, and then calls
/// `configure` on the channel's event loop. The protocol adds its own handlers and owns the
/// connection from then on.
public protocol MailProtocolServer: Sendable {
    var service: MailService { get }
    /// Adds the protocol's handlers. Called on `channel.eventLoop` inside the child-channel initializer.
    func configure(channel: any Channel, context: ConnectionContext) throws
    /// The scenario is stopping: say goodbye on open connections (IMAP `* BYE`) and close them.
    /// Called once, before the listeners close; must not block.
    func beginShutdown()
}

extension MailProtocolServer {
    public func beginShutdown() {}
}

/// Hands out connection ids per service, shared by every listener of a running scenario, so that ids
/// are unique and repeat from run to run for the same order of connections.
public final class ConnectionIDs: Sendable {
    private let counters = Mutex<[String: Int]>([:])
    public init() {}

    public func next(_ prefix: String) -> String {
        counters.withLock { counters in
            let n = (counters[prefix] ?? 0) + 1
            counters[prefix] = n
            return "\(prefix)-\(n)"
        }
    }
}

/// Builds a TLS server context from PEM text (leaf first, then intermediates) and a PEM private key.
public enum TLSContexts {
    public static func server(certificateChainPEM: String, privateKeyPEM: String) throws -> NIOSSLContext {
        try NIOSSLContext(
            configuration: serverConfiguration(certificateChainPEM: certificateChainPEM, privateKeyPEM: privateKeyPEM))
    }

    /// The TLS configuration behind `server(...)`, for servers that take a configuration (Hummingbird).
    public static func serverConfiguration(certificateChainPEM: String, privateKeyPEM: String) throws
        -> TLSConfiguration
    {
        let chain = try NIOSSLCertificate.fromPEMBytes(Array(certificateChainPEM.utf8))
        let key = try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        configuration.minimumTLSVersion = .tlsv12
        // A closing connection waits this long for the peer's close_notify (NIOSSL's 5 s would outlast the
        // shutdown budget); every context made here has it, the faulty certificates' ones included.
        configuration.shutdownTimeout = .nanoseconds(Int64(Limits.tlsCloseNotifyTimeoutSeconds * 1e9))
        return configuration
    }
}

/// A bound TCP listener for one mail protocol in one cloud, in one TLS mode.
public final class MailListener: Sendable {
    public let host: String
    public let port: Int
    public let service: MailService
    public let tlsMode: TLSMode
    public let cloud: Cloud
    private let channel: any Channel
    private let open: Open

    /// Counts live connections so the listener can refuse past `Limits.maximumConnectionsPerListener`.
    final class Open: Sendable {
        let count = Atomic<Int>(0)
    }

    private init(
        host: String, port: Int, service: MailService, tlsMode: TLSMode, cloud: Cloud, channel: any Channel, open: Open
    ) {
        self.host = host
        self.port = port
        self.service = service
        self.tlsMode = tlsMode
        self.cloud = cloud
        self.channel = channel
        self.open = open
    }

    /// Live connections right now.
    public var openConnections: Int { open.count.load(ordering: .relaxed) }

    /// Binds `host:port` (port 0: an ephemeral port) and starts accepting.
    public static func bind(
        host: String,
        port: Int,
        tlsMode: TLSMode,
        cloud: Cloud,
        tls: NIOSSLContext,
        server: any MailProtocolServer,
        journal: Journal,
        clock: VirtualClock,
        ids: ConnectionIDs,
        group: any EventLoopGroup,
        maximumConnections: Int = Limits.maximumConnectionsPerListener,
        faults: NetworkFaults = .none,
        certificates: ServerTLS? = nil,
        tlsHandshakeTimeout: TimeAmount = NetworkTLS.handshakeTimeout
    ) async throws -> MailListener {
        let serverTLS = certificates ?? ServerTLS(standard: tls)
        let open = Open()
        let service = server.service
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let connectionID = ids.next(service.rawValue)
                    let refused = ConnectionContext(
                        cloud: cloud, service: service, tlsMode: tlsMode, connectionID: connectionID, tls: tls,
                        journal: journal, clock: clock)
                    let now = open.count.wrappingAdd(1, ordering: .relaxed).newValue
                    channel.closeFuture.whenComplete { _ in open.count.wrappingSubtract(1, ordering: .relaxed) }
                    if now > maximumConnections {
                        refused.record(.connectionRefused, ["reason": "listener limit \(maximumConnections) reached"])
                        channel.close(promise: nil)
                        return
                    }
                    // Network faults are decided per connection, here, at accept.
                    let fault = faults.forNewConnection(named: connectionID)
                    let connectionTLS = try ConnectionTLS(fault: fault, tls: serverTLS)
                    var tlsContext = tls
                    if case .context(let chosen) = connectionTLS { tlsContext = chosen }
                    let context = ConnectionContext(
                        cloud: cloud, service: service, tlsMode: tlsMode, connectionID: connectionID, tls: tlsContext,
                        journal: journal, clock: clock, connectionTLS: connectionTLS,
                        tlsHandshakeTimeout: tlsHandshakeTimeout)
                    context.record(.connectionOpened, ["tls": tlsMode.rawValue])
                    channel.closeFuture.whenComplete { _ in context.record(.connectionClosed) }
                    if case .wire(let effect) = fault {
                        try channel.pipeline.syncOperations.addHandler(NetworkFaultHandler(effect: effect))
                    }
                    if tlsMode == .implicit {
                        try context.startTLS(on: channel)
                    }
                    try server.configure(channel: channel, context: context)
                }
            }
            .bind(host: host, port: port)
            .get()
        let bound = channel.localAddress?.port ?? port
        return MailListener(
            host: host, port: bound, service: service, tlsMode: tlsMode, cloud: cloud, channel: channel, open: open)
    }

    /// Stops accepting. Open connections are closed by their protocol (IMAP sends `BYE`) or by the
    /// event loop group's shutdown.
    public func close() async {
        try? await channel.close()
    }
}

extension JournalEvent.Service {
    /// The journal's name for a mail protocol's events.
    public init(_ service: MailService) {
        switch service {
        case .imap: self = .imap
        case .pop3: self = .pop3
        case .smtp: self = .smtp
        }
    }
}
