import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// The header a `disconnect` fault's answer carries, for `DisconnectFaultHandler` alone: the
/// handler closes the connection when it sees it, so it never reaches the wire.
let disconnectFaultMarker = HTTPField.Name("x-exomock-disconnect")!

/// Makes a `disconnect` fault a real one: a route handler cannot reach its channel, so it answers
/// with a marked response, and this handler, added to each token-service connection's pipeline
/// (`HTTP1Channel.Configuration.additionalChannelHandlers`), closes the connection instead of
/// writing it. The client sees the connection drop with no byte of an answer, as when a load
/// balancer resets it.
public final class DisconnectFaultHandler: ChannelOutboundHandler, RemovableChannelHandler {
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    private var dropping = false

    public init() {}

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        if case .head(let response) = part, response.headerFields[disconnectFaultMarker] != nil {
            dropping = true
            context.close(mode: .all, promise: nil)
        }
        if dropping {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        context.write(data, promise: promise)
    }
}
