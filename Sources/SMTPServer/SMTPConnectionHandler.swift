import ExomockLimits
import Foundation
import Journal
import ListenerSupport
import MailAuthentication
import NIOCore
import SMTPWire

/// Drives one `SMTPSession`: frames bytes, performs the session's effects, writes replies.
///
/// Frames are pulled one at a time, so `DATA` (`beginData`) and `STARTTLS` (`reset`) change how the very
/// next byte is read. Back-pressure: while the channel is not writable, or a latency fault holds a
/// command, no frame is answered and no further `read` is issued; the framer holds at most one read's
/// worth of input plus one line (or one message up to its limit).
final class SMTPConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Shutdown {}

    private let server: SMTPServer
    private let connection: ConnectionContext
    private var session: SMTPSession
    private var framer: SMTPFramer
    private var started = false
    private var finished = false
    private var lastActivity: Date
    private var idleTask: RepeatedTask?
    /// A frame pulled but held back by a latency fault.
    private var heldFrame: SMTPFrame?
    private var delaying = false
    /// A `read` was asked for while frames were waiting; issued once they are answered.
    private var readHeld = false

    init(server: SMTPServer, connection: ConnectionContext, session: SMTPSession) {
        self.server = server
        self.connection = connection
        self.session = session
        self.framer = SMTPFramer(maximumMessageSize: server.maximumMessageSize)
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
        guard server.open.register(context.channel) else {
            finished = true
            context.close(promise: nil)
            return
        }
        write(session.greeting(at: connection.clock.now()), context: context)
        context.flush()
        let timeout = server.settings.idleTimeout
        guard timeout > 0 else { return }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        idleTask = context.eventLoop.scheduleRepeatedTask(
            initialDelay: server.idleCheckInterval, delay: server.idleCheckInterval
        ) { _ in
            handler.value.checkIdle(context: loopBound.value, timeout: timeout)
        }
    }

    /// Idle time is virtual (the scenario clock), checked on a real-time timer, as for POP3.
    private func checkIdle(context: ChannelHandlerContext, timeout: Double) {
        guard !finished, connection.clock.now().timeIntervalSince(lastActivity) >= timeout else { return }
        perform(session.idleTimedOut(after: timeout), context: context)
        context.flush()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is Shutdown {
            perform(session.shuttingDown(), context: context)
            context.flush()
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard !finished else { return }
        lastActivity = connection.clock.now()
        framer.append(buffer.readableBytesView)
        process(context: context)
    }

    /// Answers frames while the channel can take more output.
    private func process(context: ChannelHandlerContext) {
        while !finished, !delaying, context.channel.isWritable {
            let frame: SMTPFrame
            if let held = heldFrame {
                heldFrame = nil
                frame = held
            } else {
                framer.expectingSASLResponse = session.isAwaitingSASL
                guard let next = framer.next() else { break }
                if case .line(let bytes) = next, !session.isAwaitingSASL,
                    let fault = server.faults.action(forCommand: Self.commandName(bytes))
                {
                    if apply(fault, frame: next, command: Self.commandName(bytes), context: context) { return }
                }
                frame = next
            }
            perform(session.received(frame), context: context)
        }
        context.flush()
        if readHeld, !finished, !delaying, heldFrame == nil {
            readHeld = false
            context.read()
        }
    }

    /// Applies a fault to a command; true when the command must wait (latency) or the connection is gone.
    private func apply(_ fault: MailFaultAction, frame: SMTPFrame, command: String, context: ChannelHandlerContext)
        -> Bool
    {
        switch fault {
        case .disconnect, .reply, .bye, .throttle:
            connection.record(.faultDisconnect, ["command": command])
            finished = true
            context.close(promise: nil)
            return true
        case .latency(let seconds):
            connection.record(.faultLatency, ["command": command, "seconds": String(seconds)])
            heldFrame = frame
            delaying = true
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            let ctx = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) {
                handler.value.delaying = false
                handler.value.process(context: ctx.value)
            }
            context.flush()
            return true
        }
    }

    /// The command's name for fault matching: its first word, upper case (`MAIL`).
    static func commandName(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix(64).prefix { $0 != 32 }, as: UTF8.self).uppercased()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { process(context: context) }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if delaying || heldFrame != nil || !context.channel.isWritable {
            readHeld = true
        } else {
            context.read()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // TLS failures, resets: one client never disturbs the others.
        connection.record(.connectionError, ["error": String(describing: error)])
        finished = true
        context.close(promise: nil)
    }

    private func finish() {
        idleTask?.cancel()
        idleTask = nil
        finished = true
    }

    private func write(_ reply: SMTPReply, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 64)
        SMTPReplyEncoder.encode(reply, into: &buffer)
        context.write(wrapOutboundOut(buffer), promise: nil)
    }

    private func perform(_ effects: [SMTPSession.Effect], context: ChannelHandlerContext) {
        for effect in effects {
            switch effect {
            case .send(let reply):
                write(reply, context: context)
            case .record(let event, let detail):
                connection.record(event, detail)
            case .startTLS:
                context.flush()
                do {
                    try connection.startTLS(on: context.channel)
                    // Plaintext pipelined after STARTTLS is never read as a command (CVE-2011-0411's lesson).
                    let discarded = framer.bufferedByteCount
                    framer.reset()
                    if discarded > 0 { connection.record(.tlsDiscarded, ["bytes": String(discarded)]) }
                } catch {
                    connection.record(.tlsFailed, ["error": String(describing: error)])
                    finished = true
                    context.close(promise: nil)
                }
            case .authenticateXOAUTH2(let credentials):
                let decision = server.authenticator.authenticate(credentials, service: .smtp)
                perform(session.authenticated(decision), context: context)
            case .authenticateBasic(let user, let password):
                let decision = server.authenticator.authenticateBasic(user: user, password: password, service: .smtp)
                perform(session.authenticated(decision), context: context)
            case .beginData:
                framer.beginData()
            case .deliver(let submission):
                let diag = SMTPTexts.diagnosticHost(serverName: session.configuration.serverName)
                let outcome = server.delivery.deliver(submission, connection: connection, diagnosticHost: diag)
                perform(session.delivered(outcome, submission: submission), context: context)
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
extension SMTPConnectionHandler: Sendable {}
