import ExomockLimits
import NIOCore
import NIOSSL
import NIOTLS

/// Puts TLS on a connection, the same way for implicit TLS at accept, for a STARTTLS/STLS upgrade and for
/// the token service's HTTPS: behind the network fault handler (so its byte counts include TLS records),
/// with a handshake limit, or, under `tls_refuse`, a handler that fails the handshake.
public enum NetworkTLS {
    /// `Limits.tlsHandshakeTimeoutSeconds` as a `TimeAmount`.
    public static let handshakeTimeout = TimeAmount.nanoseconds(Int64(Limits.tlsHandshakeTimeoutSeconds * 1e9))

    /// The journal's reason for a connection closed by the TLS handshake limit.
    public static func handshakeTimeoutReason(_ timeout: TimeAmount) -> String {
        "TLS handshake not completed within \(Double(timeout.nanoseconds) / 1e9) s"
    }

    /// Adds TLS at the front of `channel`'s pipeline (just behind a `NetworkFaultHandler`, if any). Call on
    /// the channel's event loop. `onTimeout` is called when a handshake does not complete within `timeout`,
    /// just before the connection is closed.
    public static func install(
        on channel: any Channel,
        _ tls: ConnectionTLS,
        handshakeTimeout timeout: TimeAmount = NetworkTLS.handshakeTimeout,
        onTimeout: (@Sendable () -> Void)? = nil
    ) throws {
        let pipeline = channel.pipeline.syncOperations
        let position: ChannelPipeline.SynchronousOperations.Position
        if let front = try? pipeline.handler(type: NetworkFaultHandler.self) {
            position = .after(front)
        } else {
            position = .first
        }
        switch tls {
        case .refuse:
            try pipeline.addHandler(TLSRefuseHandler(), position: position)
        case .context(let context):
            let ssl = NIOSSLServerHandler(context: context)
            try pipeline.addHandler(ssl, position: position)
            try pipeline.addHandler(
                TLSHandshakeTimeoutHandler(timeout: timeout, onTimeout: onTimeout), position: .after(ssl))
        }
    }
}

/// `tls_refuse`: answers the client's first TLS bytes (its ClientHello) with a fatal `handshake_failure`
/// alert record, then closes, as a server that shares no cipher suite or protocol version with the client.
/// It stands where TLS would, so what the protocol behind it writes (an IMAP greeting) never reaches the
/// wire in plaintext.
public final class TLSRefuseHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    /// A TLS record: alert (21), TLS 1.2 record version, length 2, level fatal (2), handshake_failure (40).
    public static let alert: [UInt8] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]

    var answered = false

    public init() {}

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        answered = true
        let alert = context.channel.allocator.buffer(bytes: Self.alert)
        context.writeAndFlush(wrapOutboundOut(alert)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    public func channelReadComplete(context: ChannelHandlerContext) {}

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        promise?.fail(ChannelError.ioOnClosedChannel)
    }

    public func flush(context: ChannelHandlerContext) {}
}

/// Closes a connection whose TLS handshake has not completed within `timeout` of the handler being
/// installed (issue 15: a handshake that never completes must not hold a connection for ever); removes
/// itself once the handshake completes.
public final class TLSHandshakeTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = NIOAny

    let timeout: TimeAmount
    let onTimeout: (@Sendable () -> Void)?
    var timer: Scheduled<Void>?
    var done = false

    public init(timeout: TimeAmount, onTimeout: (@Sendable () -> Void)? = nil) {
        self.timeout = timeout
        self.onTimeout = onTimeout
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func arm(_ context: ChannelHandlerContext) {
        guard timer == nil, !done else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            self.timer = nil
            self.done = true
            self.onTimeout?()
            context.close(promise: nil)
        }
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            done = true
            timer?.cancel()
            timer = nil
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }
}
