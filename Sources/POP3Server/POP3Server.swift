import ExomockLimits
import Foundation
import ListenerSupport
import MailAuthentication
import MailStore
import MicrosoftClouds
import NIOCore
import POP3Wire
import ScenarioModel
import Synchronization

/// Exchange Online's POP3 service for one cloud: implicit TLS (995) and STLS (110) listeners call
/// `configure` for each connection (`MailListener.bind`).
///
/// Construction at runtime: one server per cloud, sharing the cloud's `MailStore` and authenticator
/// with IMAP: `POP3Server(store: mailStore, authenticator: cloudAuthenticator, settings: scenario.exchange)`,
/// then `MailListener.bind(... tlsMode: .implicit, server: pop3 ...)` and, for STLS, a second bind with
/// `.starttls` and the same server.
///
/// Threading: each connection runs on its channel's event loop; the token check (one RS256 verify,
/// ~85 µs) and the in-memory store calls run there too, synchronously, which keeps the STLS fence
/// trivially correct (no pipelined byte can be read between the `+OK` and the TLS handler).
///
/// Idle timeout: measured in **virtual** time (`ConnectionContext.clock`), checked on a real-time
/// timer every `idleCheckInterval`. Virtual, because every protocol decision in exomock follows the
/// scenario clock: a test (or `POST /clock/advance`) that moves the clock past `settings.idleTimeout`
/// sees idle sessions closed within one check interval, and a CI run that never moves the clock never
/// loses a session to a slow machine.
public final class POP3Server: MailProtocolServer {
    public var service: MailService { .pop3 }

    let store: any MaildropProviding
    let authenticator: any MailAuthenticating
    let settings: ExchangeSettings
    let idleCheckInterval: TimeAmount
    /// The scenario's `faults:` for POP3 in this cloud (latency, disconnect), applied per command.
    let faults: MailFaults
    private let open = Mutex<OpenConnections>(OpenConnections())

    struct OpenConnections {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var shuttingDown = false
    }

    /// - Parameters:
    ///   - store: the cloud's mail store (POP3's maildrop is each mailbox's Inbox).
    ///   - authenticator: the same token checks IMAP uses.
    ///   - settings: greeting server name, basic auth, idle timeout, sessions per maildrop, the one-line
    ///     `AUTH XOAUTH2` answer.
    ///   - idleCheckInterval: how often (real time) idle sessions are looked for.
    public init(
        store: any MaildropProviding,
        authenticator: any MailAuthenticating,
        settings: ExchangeSettings,
        idleCheckInterval: TimeAmount = .seconds(1),
        faults: MailFaults = .none
    ) {
        self.faults = faults
        self.store = store
        self.authenticator = authenticator
        self.settings = settings
        self.idleCheckInterval = idleCheckInterval
    }

    /// How many sessions may hold one maildrop (`exchange.pop3_maildrop`, `pop3_sessions_per_mailbox`).
    var sharing: MaildropSharing {
        switch settings.pop3Maildrop {
        case .exclusive: .exclusive
        case .shared: .shared(limit: settings.pop3SessionsPerMailbox)
        }
    }

    public func configure(channel: any Channel, context: ConnectionContext) throws {
        let configuration = POP3Session.Configuration(
            serverName: settings.serverName,
            basicAuth: settings.basicAuth,
            offersSTLS: context.tlsMode == .starttls,
            xoauth2InitialResponse: settings.pop3XOAUTH2InitialResponse
        )
        let handler = POP3ConnectionHandler(
            server: self,
            connection: context,
            session: POP3Session(configuration: configuration, tlsActive: context.tlsMode == .implicit)
        )
        try channel.pipeline.syncOperations.addHandler(handler)
    }

    /// Closes every open POP3 session (no UPDATE: pending deletions are discarded, locks released) and
    /// refuses connections that arrive afterwards.
    public func beginShutdown() {
        let channels = open.withLock { open in
            open.shuttingDown = true
            return Array(open.channels.values)
        }
        for channel in channels { channel.close(promise: nil) }
    }

    /// Open sessions right now.
    public var openSessionCount: Int { open.withLock { $0.channels.count } }

    /// Registers a live channel; false when shutting down.
    func register(_ channel: any Channel) -> Bool {
        open.withLock { open in
            guard !open.shuttingDown else { return false }
            open.channels[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    func unregister(_ channel: any Channel) {
        _ = open.withLock { $0.channels.removeValue(forKey: ObjectIdentifier(channel)) }
    }
}

/// Drives one `POP3Session`: frames bytes, performs the session's effects, writes responses.
///
/// Back-pressure: a client that pipelines commands (say 1,000 × `RETR 1` of a 35 MB message) without
/// reading the answers must not make the server buffer gigabytes. Frames wait in `pending` while the
/// channel is not writable, and no further `read` is issued until they are all answered, so at most one
/// read's worth of frames (plus one line in the framer) is held per connection.
final class POP3ConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let server: POP3Server
    private let connection: ConnectionContext
    private var session: POP3Session
    private var framer = POP3LineFramer(maximumLineLength: Limits.pop3MaximumLineLength)
    private var started = false
    private var finished = false
    private var lastActivity: Date
    private var idleTask: RepeatedTask?
    /// Frames read but not yet answered (waiting for the channel to become writable again).
    private var pending: [POP3Frame] = []
    private var pendingStart = 0
    /// A `read` was asked for while frames were pending; issued once they are answered.
    private var readHeld = false
    /// A latency fault holds the frame at `pendingStart` until its timer fires.
    private var delaying = false
    /// The frame at `pendingStart` has had its fault decided (so a delayed frame is not counted twice).
    private var faultDecided = false

    init(server: POP3Server, connection: ConnectionContext, session: POP3Session) {
        self.server = server
        self.connection = connection
        self.session = session
        self.lastActivity = connection.clock.now()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    private func start(context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        guard server.register(context.channel) else {
            finished = true
            context.close(promise: nil)
            return
        }
        lastActivity = connection.clock.now()
        write(session.greeting, context: context)
        context.flush()
        let timeout = server.settings.idleTimeout
        if timeout > 0 {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            idleTask = context.eventLoop.scheduleRepeatedTask(
                initialDelay: server.idleCheckInterval,
                delay: server.idleCheckInterval
            ) { _ in
                handler.value.checkIdle(context: loopBound.value, timeout: timeout)
            }
        }
    }

    private func checkIdle(context: ChannelHandlerContext, timeout: Double) {
        guard !finished else { return }
        let idle = connection.clock.now().timeIntervalSince(lastActivity)
        if idle >= timeout {
            perform(session.idleTimedOut(after: timeout), context: context)
            context.flush()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        guard !finished else { return }
        lastActivity = connection.clock.now()
        pending.append(contentsOf: framer.feed(buffer: &buffer))
        processPending(context: context)
    }

    /// Answers pending frames while the channel can take more output.
    private func processPending(context: ChannelHandlerContext) {
        while pendingStart < pending.count, !finished, !delaying, context.channel.isWritable {
            let frame = pending[pendingStart]
            if !faultDecided, case .line(let bytes) = frame, !session.isAwaitingSASL,
                let fault = server.faults.action(forCommand: Self.commandName(bytes))
            {
                faultDecided = true
                switch fault {
                case .disconnect:
                    // Close without a reply; `finish` drops the session (no UPDATE).
                    connection.record(.faultDisconnect, ["command": Self.commandName(bytes)])
                    context.close(promise: nil)
                    return
                case .latency(let seconds):
                    connection.record(.faultLatency, ["command": Self.commandName(bytes), "seconds": String(seconds)])
                    delaying = true
                    let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
                    let ctx = NIOLoopBound(context, eventLoop: context.eventLoop)
                    context.eventLoop.scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) {
                        handler.value.delaying = false
                        handler.value.processPending(context: ctx.value)
                    }
                    context.flush()
                    return
                }
            }
            faultDecided = false
            pendingStart += 1
            perform(session.received(frame), context: context)
        }
        if pendingStart >= pending.count || finished {
            pending.removeAll(keepingCapacity: true)
            pendingStart = 0
        }
        context.flush()
        if pending.isEmpty, readHeld, !finished {
            readHeld = false
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { processPending(context: context) }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if pending.isEmpty {
            context.read()
        } else {
            readHeld = true
        }
    }

    /// The command's name for fault matching: its first word, upper case (`RETR`).
    static func commandName(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix(64).prefix { $0 != 32 }, as: UTF8.self).uppercased()
    }

    /// Frames still waiting for an answer (tests).
    var pendingFrameCount: Int { pending.count - pendingStart }

    func channelInactive(context: ChannelHandlerContext) {
        finish(context: context)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish(context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // TLS failures, resets: one client never disturbs the others. Close; no UPDATE.
        connection.record(.connectionError, ["error": String(describing: error)])
        context.close(promise: nil)
    }

    private func finish(context: ChannelHandlerContext) {
        idleTask?.cancel()
        idleTask = nil
        if !finished {
            finished = true
            perform(session.connectionDropped(), context: context)
        }
        server.unregister(context.channel)
    }

    private func write(_ response: POP3Response, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 64)
        POP3ResponseEncoder.encode(response, into: &buffer)
        context.write(wrapOutboundOut(buffer), promise: nil)
    }

    private func perform(_ effects: [POP3Session.Effect], context: ChannelHandlerContext) {
        for effect in effects {
            switch effect {
            case .send(let response):
                write(response, context: context)
            case .record(let event, let detail):
                connection.record(event, detail)
            case .startTLS:
                context.flush()
                do {
                    try connection.startTLS(on: context.channel)
                    // Plaintext pipelined after STLS is never read as a command.
                    pending.removeAll(keepingCapacity: true)
                    pendingStart = 0
                    framer.reset()
                } catch {
                    connection.record(.tlsFailed, ["error": String(describing: error)])
                    finished = true
                    context.close(promise: nil)
                }
            case .authenticateXOAUTH2(let credentials):
                let decision = server.authenticator.authenticate(credentials, service: .pop3)
                perform(session.authenticated(decision), context: context)
            case .authenticateBasic(let user, let password):
                let decision = server.authenticator.authenticateBasic(user: user, password: password, service: .pop3)
                perform(session.authenticated(decision), context: context)
            case .openMaildrop(let mailbox):
                let result = server.store.openMaildrop(
                    mailbox, session: connection.connectionID, sharing: server.sharing)
                perform(session.maildropOpened(result), context: context)
            case .expunge(let mailbox, let uids):
                server.store.expungeMaildrop(mailbox, session: connection.connectionID, uids: uids)
            case .releaseMaildrop(let mailbox):
                server.store.closeMaildrop(mailbox, session: connection.connectionID)
            case .close:
                finished = true
                idleTask?.cancel()
                idleTask = nil
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(capacity: 0)))
                    .whenComplete { _ in channel.close(promise: nil) }
            }
        }
    }
}

@available(*, unavailable)
extension POP3ConnectionHandler: Sendable {}
