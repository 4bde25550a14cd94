import Foundation
import MailAuthentication
import NIOCore

/// One mail connection (IMAP, POP3 or SMTP): bytes → the driver's frames → the driver's actions → bytes.
/// Runs on the channel's event loop; the protocol lives in `Driver`.
///
/// One command at a time: a frame is pulled only when the previous answer is written and the channel is
/// writable, and no further `read` is issued meanwhile, so the input held is one read's worth plus one
/// partial frame, however much a client pipelines.
///
/// Output as the peer reads: answers are produced `policy.outputChunkBytes` at a time, written and flushed
/// per chunk, and only while the channel is writable (flushing matters: TLS holds unflushed writes outside
/// the channel's writability accounting). A client that pipelines a thousand `RETR`s of a large message
/// and reads nothing holds the server to about one chunk plus the channel's high-water mark.
///
/// Faults are decided per command, before the driver sees it (`MailFaults`, one counting rule): `latency`
/// holds the command for real time, `disconnect` closes (after `bytes` of the answer, when given), `reply`
/// and `bye` answer with the protocol's line instead, `throttle` makes the next login connect no mailbox.
public final class MailConnectionHandler<Driver: MailSessionDriver>: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private enum Pending {
        case output(MailOutput)
        case startTLS
        case close
    }

    private var driver: Driver
    private let connection: ConnectionContext
    private let policy: MailConnectionPolicy
    private let registry: OpenChannels
    private var started = false
    /// Closing or closed: no more input is handled and no more output produced.
    private var closing = false
    private var finished = false
    private var lastActivity: Date
    private var idleTask: RepeatedTask?
    /// A latency fault holds `heldFrame` until this fires.
    private var latencyTask: Scheduled<Void>?
    private var heldFrame: Driver.Frame?
    private var queue: [Pending] = []
    private var queueStart = 0
    /// A `read` was asked for while paused; issued once the connection can take input again.
    private var readHeld = false
    /// A `disconnect` fault with `bytes`: output bytes left before the connection is cut.
    private var cutRemaining: Int?
    private var unflushed = 0

    /// - Parameter registry: the protocol server's open connections (shutdown reaches them through it).
    public init(driver: Driver, connection: ConnectionContext, policy: MailConnectionPolicy, registry: OpenChannels) {
        self.driver = driver
        self.connection = connection
        self.policy = policy
        self.registry = registry
        self.lastActivity = connection.clock.now()
    }

    /// Output items waiting to be written (tests).
    public var pendingOutputCount: Int { queue.count - queueStart }

    private var paused: Bool {
        closing || latencyTask != nil || queueStart < queue.count
    }

    // MARK: Lifecycle

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        guard registry.register(context.channel) else {
            closing = true
            context.close(promise: nil)
            return
        }
        let now = connection.clock.now()
        lastActivity = now
        enqueue(driver.started(link: MailConnectionLink(channel: context.channel), at: now))
        drain(context)
        guard policy.idleTimeout > 0 || policy.preAuthenticationIdleTimeout > 0 else { return }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        idleTask = context.eventLoop.scheduleRepeatedTask(
            initialDelay: policy.idleCheckInterval, delay: policy.idleCheckInterval
        ) { _ in
            handler.value.checkIdle(bound.value)
        }
    }

    /// True (and the session timed out) when the idle limit in force has passed on the virtual clock.
    @discardableResult
    private func checkIdle(_ context: ChannelHandlerContext) -> Bool {
        guard !closing else { return false }
        let limit = policy.idleLimit(authenticated: driver.isAuthenticated)
        guard limit.seconds > 0, connection.clock.now().timeIntervalSince(lastActivity) >= limit.seconds else {
            return false
        }
        heldFrame = nil
        latencyTask?.cancel()
        latencyTask = nil
        enqueue(driver.idleTimedOut(after: limit.seconds, preAuthentication: limit.preAuthentication))
        enqueue([.close])
        drain(context)
        return true
    }

    public func channelInactive(context: ChannelHandlerContext) {
        finish(context)
        context.fireChannelInactive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        finish(context)
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // TLS failures, resets: one client never disturbs the others.
        connection.record(.connectionError, ["error": String(describing: error)])
        closeNow(context)
    }

    private func finish(_ context: ChannelHandlerContext) {
        guard !finished else { return }
        finished = true
        closing = true
        idleTask?.cancel()
        idleTask = nil
        latencyTask?.cancel()
        latencyTask = nil
        heldFrame = nil
        queue.removeAll()
        queueStart = 0
        for case .record(let event, let detail) in driver.connectionClosed() { connection.record(event, detail) }
        registry.unregister(context.channel)
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is MailConnectionShutdown {
            guard !closing else { return }
            // Goodbye now, ahead of any output a client is not reading.
            heldFrame = nil
            latencyTask?.cancel()
            latencyTask = nil
            queue.removeAll()
            queueStart = 0
            cutRemaining = nil
            enqueue(driver.shuttingDown())
            drain(context, ignoringWritability: true)
            // Not after the writes complete: a client that reads nothing must not hold shutdown up.
            finish(context)
            context.close(promise: nil)
        } else if let posted = event as? MailConnectionPosted {
            guard !closing, let actions = driver.posted(posted.event) else { return }
            enqueue(actions)
            drain(context)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    // MARK: Input

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        // A command after the idle limit passed (virtual clock) gets the autologout, not an answer.
        if checkIdle(context) { return }
        lastActivity = connection.clock.now()
        driver.buffer(unwrapInboundIn(data))
        process(context)
    }

    public func read(context: ChannelHandlerContext) {
        if paused || !context.channel.isWritable {
            readHeld = true
        } else {
            context.read()
        }
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            drain(context)
            process(context)
        }
        context.fireChannelWritabilityChanged()
    }

    /// Handles frames while nothing is being written and the channel is writable.
    private func process(_ context: ChannelHandlerContext) {
        while !paused, context.channel.isWritable {
            let frame: Driver.Frame
            if let held = heldFrame {
                heldFrame = nil
                frame = held
            } else {
                guard let next = driver.nextFrame() else { break }
                // An empty board fires nothing and counts nothing: the subject (a command name, an XOAUTH2
                // `user=`) is not worked out then.
                if policy.faults.mayFire, let subject = driver.faultSubject(of: next),
                    let fault = policy.faults.action(
                        forCommand: subject.command, user: subject.user, clientID: subject.clientID)
                {
                    guard apply(fault, to: next, command: subject.command, context) else {
                        drain(context)
                        continue
                    }
                }
                frame = next
            }
            enqueue(driver.handle(frame))
            if cutRemaining != nil { enqueue([.close]) }
            drain(context)
        }
        flushIfNeeded(context)
        if readHeld, !paused, context.channel.isWritable {
            readHeld = false
            context.read()
        }
    }

    /// Applies a fault to a command; true when the command is to be handled now.
    private func apply(
        _ fault: MailFaultAction, to frame: Driver.Frame, command: String, _ context: ChannelHandlerContext
    )
        -> Bool
    {
        switch fault {
        case .latency(let seconds):
            connection.record(.faultLatency, ["command": command, "seconds": String(seconds)])
            heldFrame = frame
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let nanoseconds = Int64(min(max(seconds, 0), 86_400) * 1e9)
            latencyTask = context.eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) {
                handler.value.latencyTask = nil
                handler.value.process(bound.value)
            }
            return false
        case .disconnect(let afterBytes):
            var detail = ["command": command]
            if let afterBytes { detail["bytes"] = String(afterBytes) }
            connection.record(.faultDisconnect, detail)
            guard let afterBytes, afterBytes > 0 else {
                closeNow(context)
                return false
            }
            cutRemaining = afterBytes
            return true
        case .reply(let line):
            enqueue(driver.faultReply(line, to: frame))
            return false
        case .bye:
            connection.record(.faultDisconnect, ["command": command, "bye": "true"])
            enqueue(driver.faultBye())
            enqueue([.close])
            return false
        case .throttle:
            driver.throttleNextLogin()
            return true
        }
    }

    // MARK: Output

    private func enqueue(_ actions: [MailConnectionAction]) {
        for action in actions {
            switch action {
            case .record(let event, let detail): connection.record(event, detail)
            case .send(let output): if !closing { queue.append(.output(output)) }
            case .startTLS: if !closing { queue.append(.startTLS) }
            case .close: if !closing { queue.append(.close) }
            }
        }
    }

    /// Writes queued output a chunk at a time while the channel is writable (or, at shutdown, once
    /// regardless), running `startTLS` and `close` when the output before them is written.
    private func drain(_ context: ChannelHandlerContext, ignoringWritability: Bool = false) {
        while !closing, queueStart < queue.count {
            switch queue[queueStart] {
            case .startTLS:
                queueStart += 1
                flushIfNeeded(context)
                let dropped = driver.discardBufferedInput()
                if dropped > 0 { connection.record(.tlsDiscarded, ["bytes": String(dropped)]) }
                do {
                    try connection.startTLS(on: context.channel)
                } catch {
                    connection.record(.tlsFailed, ["error": String(describing: error)])
                    closeNow(context)
                }
            case .close:
                closeAfterWrites(context)
            case .output:
                guard ignoringWritability || context.channel.isWritable else {
                    flushIfNeeded(context)
                    return
                }
                var chunk = nextChunk(context)
                if let cut = cutRemaining, chunk.readableBytes >= cut {
                    chunk.moveWriterIndex(to: chunk.readerIndex + cut)
                    context.write(wrapOutboundOut(chunk), promise: nil)
                    unflushed += cut
                    closeAfterWrites(context)
                    return
                }
                if let cut = cutRemaining { cutRemaining = cut - chunk.readableBytes }
                unflushed += chunk.readableBytes
                context.write(wrapOutboundOut(chunk), promise: nil)
                if unflushed >= policy.outputChunkBytes { flushIfNeeded(context) }
            }
        }
        if queueStart >= queue.count {
            queue.removeAll(keepingCapacity: true)
            queueStart = 0
        }
        flushIfNeeded(context)
    }

    /// Up to about one chunk from the outputs at the head of the queue.
    private func nextChunk(_ context: ChannelHandlerContext) -> ByteBuffer {
        let limit = policy.outputChunkBytes
        // Room for a whole chunk up front when a producer fills it (a message): growing the buffer from
        // empty copied each such chunk about twice more.
        var producing = false
        if case .output(.produced) = queue[queueStart] { producing = true }
        var chunk = context.channel.allocator.buffer(capacity: producing ? limit : 0)
        while queueStart < queue.count, chunk.readableBytes < limit, case .output(let output) = queue[queueStart] {
            var done = true
            switch output {
            case .bytes(var bytes):
                var slice = bytes.readSlice(length: min(bytes.readableBytes, limit - chunk.readableBytes))!
                chunk.writeBuffer(&slice)
                done = bytes.readableBytes == 0
                if !done { queue[queueStart] = .output(.bytes(bytes)) }
            case .produced(var producer):
                done = producer.produce(into: &chunk, limit: limit)
                if !done { queue[queueStart] = .output(.produced(producer)) }
            }
            if done { queueStart += 1 }
        }
        return chunk
    }

    private func flushIfNeeded(_ context: ChannelHandlerContext) {
        guard unflushed > 0 else { return }
        unflushed = 0
        context.flush()
    }

    /// Closes once everything written so far has gone out.
    private func closeAfterWrites(_ context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        unflushed = 0
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(capacity: 0)))
            .whenComplete { _ in channel.close(promise: nil) }
        finish(context)
    }

    /// Closes at once, dropping output not yet written.
    private func closeNow(_ context: ChannelHandlerContext) {
        guard !finished else { return }
        if unflushed > 0 { context.flush() }
        unflushed = 0
        finish(context)
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension MailConnectionHandler: Sendable {}
