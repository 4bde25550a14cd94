import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// The header a `disconnect` fault's answer carries, for `DisconnectFaultHandler` alone: the
/// handler closes the connection when it sees it, so it never reaches the wire.
let disconnectFaultMarker = HTTPField.Name("x-exomock-disconnect")!

/// The header a `truncated_body` fault's answer carries, for `DisconnectFaultHandler` alone: the handler
/// removes it, sends the head (with the full `Content-Length`) and the first half of the body, then closes.
let truncateFaultMarker = HTTPField.Name("x-exomock-truncate")!

/// Makes the connection-level token faults real ones: a route handler cannot reach its channel, so it
/// answers with a marked response, and this handler, added to each token-service connection's pipeline
/// (`HTTP1Channel.Configuration.additionalChannelHandlers`), acts on the mark:
/// - `disconnect`: closes the connection instead of writing the answer. The client sees the connection
///   drop with no byte of an answer, as when a load balancer resets it.
/// - `truncated_body`: writes the head as it is (its `Content-Length` announces the whole body) and the
///   first half of the body, then closes. The client sees the connection close before the body is complete
///   (curl: `(18) transfer closed with N bytes remaining to read`).
public final class DisconnectFaultHandler: ChannelOutboundHandler, RemovableChannelHandler {
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    private enum Mode {
        case passing
        case dropping
        /// Body bytes still to write before the cut.
        case truncating(left: Int)
    }

    private var mode = Mode.passing

    public init() {}

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        switch (mode, part) {
        case (.passing, .head(let response)) where response.headerFields[disconnectFaultMarker] != nil:
            mode = .dropping
            context.close(mode: .all, promise: nil)
            promise?.fail(ChannelError.ioOnClosedChannel)
        case (.passing, .head(var response)) where response.headerFields[truncateFaultMarker] != nil:
            response.headerFields[truncateFaultMarker] = nil
            let length = response.headerFields[.contentLength].flatMap { Int($0) } ?? 0
            mode = .truncating(left: length / 2)
            context.write(wrapOutboundOut(.head(response)), promise: promise)
        case (.passing, _):
            context.write(data, promise: promise)
        case (.dropping, _):
            promise?.fail(ChannelError.ioOnClosedChannel)
        case (.truncating(let left), .body(var buffer)):
            let slice = buffer.readSlice(length: min(left, buffer.readableBytes)) ?? ByteBuffer()
            mode = .truncating(left: left - slice.readableBytes)
            context.write(wrapOutboundOut(.body(slice)), promise: promise)
        case (.truncating, .end), (.truncating, .head):
            // The half body is written; close once it is on the wire, without the end of the message.
            mode = .dropping
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.body(ByteBuffer()))).whenComplete { _ in
                bound.value.close(mode: .all, promise: promise)
            }
        }
    }
}
