import NIOCore

/// What a network fault does to one connection, below TLS (`Fault.Kind` reset, stall, close_after,
/// bandwidth, network_latency, slow_close). The TLS faults (`tls_refuse`, `certificate`) are chosen where
/// TLS is installed (`NetworkTLS`), not here.
public enum NetworkEffect: Sendable, Equatable {
    /// A TCP reset (SO_LINGER 0, then close): without `afterBytes`, as the client's first bytes arrive or
    /// before the server's first byte, whichever comes first (as Toxiproxy's `reset_peer`: a reset at accept
    /// would race the client's own connect, and curl would report "Couldn't connect" instead of a reset);
    /// with it, once the server wrote `afterBytes` bytes.
    case reset(afterBytes: Int?)
    /// Never write again and ignore what the client sends: at once, or after `afterBytes` bytes were written.
    /// The connection stays open until the client closes it (or the server's own timeouts or shutdown do).
    case stall(afterBytes: Int?)
    /// A clean close (FIN) once the server wrote `bytes` bytes; the rest of the answer is never sent.
    case closeAfter(bytes: Int)
    /// The server's writes paced to `bytesPerSecond`.
    case bandwidth(bytesPerSecond: Int)
    /// Every read and every write delayed by `seconds` of real time.
    case latency(seconds: Double)
    /// When the server closes, the FIN is sent `seconds` later.
    case slowClose(seconds: Double)
}

/// Carries out one `NetworkEffect` on a connection. It sits at the very front of the pipeline (nearest
/// the socket, below `NIOSSLServerHandler`), so byte counts are bytes on the wire, TLS records included.
///
/// Bandwidth and latency hold the server's output here and release it on a timer. So that a producer
/// (IMAP's FETCH writer, POP3's RETR, Hummingbird) cannot fill this hold without bound, the channel's
/// write-buffer water marks are set to 1 byte, and once more than `holdHighWater` bytes wait, the first
/// two held bytes are passed to the channel unflushed: the channel turns not writable, the producers stop
/// (they all write only while `channel.isWritable`), and reads are held too. Writability events that would
/// wake them are kept back until the hold drains below `holdLowWater`.
public final class NetworkFaultHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    /// Held output past which the producer is paused (bandwidth, latency).
    static let holdHighWater = 64 * 1024
    /// Held output under which a paused producer is woken again.
    static let holdLowWater = 16 * 1024
    /// How often paced output is released (bandwidth).
    static let pacingInterval = TimeAmount.milliseconds(50)

    enum Phase {
        /// Bytes flow (subject to the effect).
        case open
        /// `stall`: nothing more is written, what the client sends is dropped.
        case stalled
        /// The byte budget is spent; the connection is being reset or closed.
        case cut
    }

    struct HeldWrite {
        var data: ByteBuffer
        var promise: EventLoopPromise<Void>?
        /// When it may go out; nil until the producer flushed it.
        var due: NIODeadline?
    }

    enum HeldRead {
        case data(ByteBuffer, due: NIODeadline)
        case complete(due: NIODeadline)

        var due: NIODeadline {
            switch self {
            case .data(_, let due), .complete(let due): return due
            }
        }
    }

    let effect: NetworkEffect
    var phase = Phase.open
    /// Bytes passed towards the socket so far.
    var written = 0
    var started = false

    // Held output and input (bandwidth, latency).
    var held = CircularBuffer<HeldWrite>()
    var heldBytes = 0
    /// Bytes already passed to the channel, unflushed, to make it not writable; sent with the next release.
    var earlyBytes = 0
    var gated = false
    var lastRelease: NIODeadline?
    var outputTimer: Scheduled<Void>?
    var heldReads = CircularBuffer<HeldRead>()
    var inputTimer: Scheduled<Void>?
    var readRequested = false
    var pendingClose: (mode: CloseMode, promise: EventLoopPromise<Void>?)?
    var closeTimer: Scheduled<Void>?

    public init(effect: NetworkEffect) {
        self.effect = effect
    }

    var holdsOutput: Bool {
        switch effect {
        case .bandwidth, .latency: return true
        default: return false
        }
    }

    /// The byte budget of a cut (reset, stall, close_after), if any.
    var cutAfter: Int? {
        switch effect {
        case .reset(let bytes), .stall(let bytes): return bytes ?? 0
        case .closeAfter(let bytes): return bytes
        default: return nil
        }
    }

    // MARK: Lifecycle

    public func handlerAdded(context: ChannelHandlerContext) {
        setWaterMarks(context)
        if context.channel.isActive { start(context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        // Before the protocol behind sees the connection (and writes its greeting while writable).
        setWaterMarks(context)
        context.fireChannelActive()
        start(context)
    }

    func setWaterMarks(_ context: ChannelHandlerContext) {
        guard holdsOutput else { return }
        // Any byte passed on makes the channel not writable until it is written: see the type's comment.
        try? context.channel.syncOptions?.setOption(ChannelOptions.writeBufferWaterMark, value: .init(low: 1, high: 1))
    }

    func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        if case .reset = effect { return }
        if cutAfter == 0 && phase == .open { cut(context) }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        tearDown()
        context.fireChannelInactive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        tearDown()
    }

    func tearDown() {
        outputTimer?.cancel()
        inputTimer?.cancel()
        closeTimer?.cancel()
        outputTimer = nil
        inputTimer = nil
        closeTimer = nil
        while let write = held.popFirst() { write.promise?.fail(ChannelError.ioOnClosedChannel) }
        heldBytes = 0
        heldReads.removeAll()
        pendingClose?.promise?.succeed()
        pendingClose = nil
    }

    // MARK: Inbound

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard phase == .open else { return }
        if case .reset = effect, cutAfter == 0 {
            cut(context)
            return
        }
        if case .latency(let seconds) = effect {
            heldReads.append(.data(unwrapInboundIn(data), due: context.eventLoop.now + Self.amount(seconds)))
            scheduleInput(context)
            return
        }
        context.fireChannelRead(data)
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        guard phase == .open else { return }
        if case .latency(let seconds) = effect {
            heldReads.append(.complete(due: context.eventLoop.now + Self.amount(seconds)))
            scheduleInput(context)
            return
        }
        context.fireChannelReadComplete()
    }

    public func read(context: ChannelHandlerContext) {
        if gated || !heldReads.isEmpty {
            readRequested = true
            return
        }
        context.read()
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        // While output is held past the high water mark, the producer stays paused (see the type's comment).
        if gated && context.channel.isWritable { return }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Outbound

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch phase {
        case .stalled:
            promise?.succeed()
            return
        case .cut:
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        case .open:
            break
        }
        var buffer = unwrapOutboundIn(data)
        if holdsOutput {
            hold(buffer, promise: promise, context: context)
            return
        }
        if let limit = cutAfter, written + buffer.readableBytes >= limit {
            let prefix = buffer.readSlice(length: limit - written)!
            written = limit
            if case .stall = effect { promise?.succeed() } else { promise?.fail(ChannelError.ioOnClosedChannel) }
            context.writeAndFlush(wrapOutboundOut(prefix)).assumeIsolated().whenComplete { _ in
                self.cut(context)
            }
            if case .stall = effect { phase = .stalled } else { phase = .cut }
            return
        }
        written += buffer.readableBytes
        context.write(data, promise: promise)
    }

    public func flush(context: ChannelHandlerContext) {
        guard phase == .open else { return }
        if holdsOutput {
            markFlushed(context)
            return
        }
        context.flush()
    }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode != .input, phase == .open else {
            context.close(mode: mode, promise: promise)
            return
        }
        if let pending = pendingClose {
            // Already closing: complete this promise with the first close.
            if let promise {
                if let first = pending.promise {
                    first.futureResult.cascade(to: promise)
                } else {
                    pendingClose = (pending.mode, promise)
                }
            }
            return
        }
        switch effect {
        case .slowClose(let seconds):
            pendingClose = (mode, promise)
            closeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: Self.amount(seconds)) {
                self.closeTimer = nil
                self.finishClose(context)
            }
        default:
            if holdsOutput && heldBytes + earlyBytes > 0 {
                // What the server wrote before closing goes out first, at its pace.
                pendingClose = (mode, promise)
            } else {
                context.close(mode: mode, promise: promise)
            }
        }
    }

    func finishClose(_ context: ChannelHandlerContext) {
        guard let pending = pendingClose else { return }
        pendingClose = nil
        context.close(mode: pending.mode, promise: pending.promise)
    }

    /// The byte budget is spent (or was 0): reset, stall or close.
    func cut(_ context: ChannelHandlerContext) {
        switch effect {
        case .reset:
            phase = .cut
            // SO_LINGER with a zero timeout: close() sends RST instead of FIN.
            let provider = context.channel as? any SocketOptionProvider
            if let provider {
                provider.setSoLinger(NIOLinger(l_onoff: 1, l_linger: 0)).assumeIsolated().whenComplete { _ in
                    context.close(promise: nil)
                }
            } else {
                context.close(promise: nil)
            }
        case .closeAfter:
            phase = .cut
            context.close(promise: nil)
        case .stall:
            phase = .stalled
        default:
            break
        }
    }

    static func amount(_ seconds: Double) -> TimeAmount {
        .nanoseconds(Int64((max(0, seconds) * 1e9).rounded()))
    }
}
