import Determinism
import ExomockLimits
import Foundation
import IMAPWire
import ListenerSupport
import MailAuthentication
import MailStore
import MicrosoftClouds
import NIOCore
import ScenarioModel
import Synchronization

/// Exchange Online's IMAP4 service for one cloud.
///
/// Runtime construction, one per cloud, bound on an implicit-TLS listener (993) and a STARTTLS one (143):
/// ```swift
/// let imap = IMAPServer(store: store, authenticator: cloudAuthenticator, settings: scenario.exchange)
/// let imaps = try await MailListener.bind(host: h, port: 993, tlsMode: .implicit, cloud: cloud, tls: tls,
///                                         server: imap, journal: journal, clock: clock, ids: ids, group: group)
/// ```
/// `beginShutdown()` sends `* BYE` to every open session and closes it.
public final class IMAPServer: MailProtocolServer {
    public let service: MailService = .imap
    public let store: MailStore
    public let authenticator: any MailAuthenticating
    public let settings: ExchangeSettings
    public let sessions: IMAPSessionCounter
    /// The scenario's `faults:` for IMAP in this cloud (latency, disconnect), applied per command.
    public let faults: MailFaults
    private let open = Mutex<[ObjectIdentifier: any Channel]>([:])
    private let shuttingDown = Atomic<Bool>(false)

    /// - Parameter sessions: the per-mailbox session count to share with other IMAP servers of the same
    ///   scenario (nil: a new one with `settings.imapSessionsPerMailbox`).
    public init(
        store: MailStore, authenticator: any MailAuthenticating, settings: ExchangeSettings,
        sessions: IMAPSessionCounter? = nil, faults: MailFaults = .none
    ) {
        self.faults = faults
        self.store = store
        self.authenticator = authenticator
        self.settings = settings
        self.sessions = sessions ?? IMAPSessionCounter(limit: settings.imapSessionsPerMailbox)
    }

    public func configure(channel: any Channel, context: ConnectionContext) throws {
        let session = IMAPSession(
            store: store, authenticator: authenticator, settings: settings, tlsMode: context.tlsMode, counter: sessions)
        let handler = IMAPConnectionHandler(
            session: session, context: context, store: store, idleTimeout: settings.idleTimeout, faults: faults)
        try channel.pipeline.syncOperations.addHandler(handler)
        let id = ObjectIdentifier(channel)
        if shuttingDown.load(ordering: .relaxed) {
            channel.close(promise: nil)
            return
        }
        open.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in self?.open.withLock { _ = $0.removeValue(forKey: id) } }
    }

    /// Says `* BYE` on every open connection and closes it. Does not block.
    public func beginShutdown() {
        shuttingDown.store(true, ordering: .relaxed)
        let channels = open.withLock { Array($0.values) }
        for channel in channels {
            channel.pipeline.fireUserInboundEventTriggered(IMAPConnectionHandler.Shutdown())
        }
    }

    /// Live connections (for tests).
    public var openConnections: Int { open.withLock { $0.count } }
}

/// Drives one connection: bytes → framer → session → responses → bytes. Runs on the channel's event loop.
///
/// Idle time: the session is logged out (`* BYE Connection is closed. 13`) when a command arrives after
/// more than `idleTimeout` seconds of *virtual* time since the previous one (scenarios move the clock),
/// and, for connection hygiene, after `idleTimeout` seconds of real time without any input (a timer on
/// the event loop; RFC 3501 §5.4 asks for at least 30 minutes, the default).
///
/// Back-pressure: responses are encoded and written `Limits.imapOutputChunkBytes` at a time, and only
/// while the channel is writable; the rest waits, unencoded, in `pending` (its literals share the
/// stored messages' bytes). While output is pending or the channel is not writable, no further command
/// is processed and no further read is issued, so neither the output nor the input buffer grows with
/// the size of a FETCH or with a client that pipelines without reading.
final class IMAPConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// A read was asked for while paused; issue it when writable again.
    var readPending = false

    struct Shutdown {}
    struct FolderChanged {}

    var session: IMAPSession
    var framer = IMAPFramer()
    let connection: ConnectionContext
    let store: MailStore
    let idleTimeout: Double
    var buffer: ByteBuffer?
    var subscription: ChangeSubscription?
    var lastActivity: Date
    var idleTimer: Scheduled<Void>?
    var closed = false
    let faults: MailFaults
    /// A command held back by a latency fault; nothing else of this connection runs until it has.
    var delayedCommand: [UInt8]?

    init(
        session: IMAPSession, context: ConnectionContext, store: MailStore, idleTimeout: Double,
        faults: MailFaults = .none
    ) {
        self.faults = faults
        self.session = session
        self.connection = context
        self.store = store
        self.idleTimeout = idleTimeout
        self.lastActivity = context.clock.now()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    var started = false

    func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        perform(session.greeting(), context)
        armIdleTimer(context)
    }

    func armIdleTimer(_ context: ChannelHandlerContext) {
        idleTimer?.cancel()
        guard idleTimeout > 0, idleTimeout < 1e9 else { return }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        idleTimer = context.eventLoop.scheduleTask(in: .milliseconds(Int64(idleTimeout * 1000))) {
            let h = handler.value
            h.perform(
                h.session.terminate(reason: "idle for \(DurationText.format(seconds: h.idleTimeout)) (real time)"),
                loopBound.value)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if closed { return }
        if buffer == nil { buffer = incoming } else { buffer!.writeBuffer(&incoming) }
        armIdleTimer(context)
        processBuffer(context)
    }

    /// Output not yet encoded: responses, and what to do after them (close, STARTTLS, watch), in order.
    enum PendingOutput {
        case response(IMAPResponse)
        case after(IMAPAfter)
    }
    var pending: [PendingOutput] = []
    var pendingIndex = 0
    var hasPendingOutput: Bool { pendingIndex < pending.count }

    var paused: Bool { !closedOrWritable || delayedCommand != nil || hasPendingOutput }
    var writable = true
    var closedOrWritable: Bool { closed || writable }

    func read(context: ChannelHandlerContext) {
        if paused {
            readPending = true
            return
        }
        context.read()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        writable = context.channel.isWritable
        if writable {
            drain(context)
            processBuffer(context)
            if readPending, !paused {
                readPending = false
                context.read()
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func processBuffer(_ context: ChannelHandlerContext) {
        while !closed, writable, delayedCommand == nil, !hasPendingOutput, var b = buffer, b.readableBytes > 0 {
            framer.expectsSASLResponse = session.isAwaitingSASL
            let frame = framer.next(from: &b)
            buffer = b
            guard let frame else { break }
            let output: IMAPOutput
            switch frame {
            case .continuationNeeded:
                output = session.literalContinuation()
            case .rejected(let tag, let reason):
                output = session.framingRejected(tag: tag, reason: reason)
            case .fatal(let tag, let reason):
                output = session.framingFatal(tag: tag, reason: reason)
            case .command(let bytes):
                if !session.expectsRawLine, let fault = faults.action(forCommand: Self.commandName(bytes)) {
                    switch fault {
                    case .disconnect, .reply, .bye, .throttle:
                        connection.record(.faultDisconnect, ["command": Self.commandName(bytes)])
                        close(context)
                        return
                    case .latency(let seconds):
                        connection.record(
                            .faultLatency, ["command": Self.commandName(bytes), "seconds": String(seconds)])
                        delay(bytes, seconds: seconds, context)
                        return
                    }
                }
                output = command(bytes)
            }
            perform(output, context)
        }
        if let b = buffer, b.readableBytes == 0 { buffer = nil } else { buffer?.discardReadBytes() }
    }

    /// Handles a framed command (or raw SASL/IDLE line), logging out first when idle too long on the virtual clock.
    func command(_ bytes: [UInt8]) -> IMAPOutput {
        let now = connection.clock.now()
        if now.timeIntervalSince(lastActivity) > idleTimeout {
            return session.terminate(
                reason: "idle for more than \(DurationText.format(seconds: idleTimeout)) (virtual clock)")
        }
        lastActivity = now
        return session.received(bytes)
    }

    /// A latency fault: hold the command for `seconds` of real time, then run it and go on.
    func delay(_ bytes: [UInt8], seconds: Double, _ context: ChannelHandlerContext) {
        delayedCommand = bytes
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let ctx = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) {
            let h = handler.value
            guard let held = h.delayedCommand, !h.closed else { return }
            h.delayedCommand = nil
            h.perform(h.command(held), ctx.value)
            h.processBuffer(ctx.value)
            if h.readPending, !h.paused {
                h.readPending = false
                ctx.value.read()
            }
        }
    }

    /// The command's name for fault matching: the word after the tag (`SELECT`), or `UID FETCH` style.
    static func commandName(_ bytes: [UInt8]) -> String {
        let words = bytes.prefix(128).split(separator: 32, maxSplits: 3, omittingEmptySubsequences: true)
        guard words.count >= 2 else { return "" }
        let verb = String(decoding: words[1], as: UTF8.self).uppercased()
        if verb == "UID", words.count >= 3 {
            return "UID " + String(decoding: words[2].prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).uppercased()
        }
        return String(decoding: words[1].prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).uppercased()
    }

    func perform(_ output: IMAPOutput, _ context: ChannelHandlerContext) {
        for note in output.notes { connection.record(note.event, note.detail) }
        guard !closed else { return }
        pending.append(contentsOf: output.responses.map { .response($0) })
        if case .none = output.after {} else { pending.append(.after(output.after)) }
        drain(context)
    }

    /// Encodes and writes pending output a chunk at a time while the channel is writable; runs each
    /// `after` once the responses before it are written.
    func drain(_ context: ChannelHandlerContext) {
        while !closed, hasPendingOutput {
            if !writable { return }
            var out = context.channel.allocator.buffer(capacity: 4096)
            var afterAction: IMAPAfter?
            while pendingIndex < pending.count, out.readableBytes < Limits.imapOutputChunkBytes {
                let item = pending[pendingIndex]
                pendingIndex += 1
                switch item {
                case .response(let response): out.writeBytes(response.encoded())
                case .after(let after): afterAction = after
                }
                if afterAction != nil { break }
            }
            if !hasPendingOutput {
                pending.removeAll(keepingCapacity: false)
                pendingIndex = 0
            }
            if out.readableBytes > 0 {
                context.writeAndFlush(wrapOutboundOut(out), promise: nil)
                writable = context.channel.isWritable
            }
            if let afterAction { run(afterAction, context) }
        }
    }

    func run(_ after: IMAPAfter, _ context: ChannelHandlerContext) {
        switch after {
        case .none: break
        case .startTLS:
            // The plaintext fence: bytes pipelined after STARTTLS were read before TLS existed; drop them.
            let dropped = buffer?.readableBytes ?? 0
            buffer = nil
            framer.reset()
            if dropped > 0 { connection.record(.tlsDiscarded, ["bytes": String(dropped)]) }
            do {
                try connection.startTLS(on: context.channel)
            } catch {
                connection.record(.tlsFailed, ["error": "\(error)"])
                close(context)
            }
        case .close:
            close(context)
        case .watch(let mailbox, let folder):
            unwatch()
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            let ctx = NIOLoopBound(context, eventLoop: context.eventLoop)
            let loop = context.eventLoop
            subscription = store.subscribe(mailbox: mailbox, folder: folder) { _ in
                loop.execute {
                    let h = handler.value
                    guard !h.closed else { return }
                    h.perform(h.session.folderChanged(), ctx.value)
                }
            }
        case .unwatch:
            unwatch()
        }
    }

    func unwatch() {
        if let s = subscription { store.unsubscribe(s) }
        subscription = nil
    }

    func close(_ context: ChannelHandlerContext) {
        guard !closed else { return }
        closed = true
        buffer = nil
        pending = []
        pendingIndex = 0
        delayedCommand = nil
        idleTimer?.cancel()
        unwatch()
        session.connectionClosed()
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is Shutdown {
            perform(session.terminate(reason: "server shutting down"), context)
            close(context)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        unwatch()
        session.connectionClosed()
        closed = true
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        connection.record(.connectionError, ["error": "\(error)"])
        close(context)
    }
}

@available(*, unavailable)
extension IMAPConnectionHandler: Sendable {}
