import Hummingbird
import HummingbirdCore
import ListenerSupport
import Logging
import NIOCore

/// The token service's HTTPS child channel: Hummingbird's HTTP/1 channel behind TLS, as `.tls(.http1(...))`
/// builds it, with the network faults of the mail listeners in front. For each connection it decides the
/// network fault (at accept, on the live board), puts a `NetworkFaultHandler` first when the fault acts
/// below TLS, and chooses the TLS context (the cloud's certificate, a faulty one, or a refused handshake),
/// with the TLS handshake limit.
struct NetworkFaultChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let faults: NetworkFaults
    let tls: ServerTLS
    let handshakeTimeout: TimeAmount
    /// Called when a connection is closed by the handshake limit (the runtime journals it).
    let onHandshakeTimeout: @Sendable () -> Void

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let fault = faults.forNewConnection(named: "connection")
            if case .wire(let effect) = fault {
                try channel.pipeline.syncOperations.addHandler(NetworkFaultHandler(effect: effect), position: .first)
            }
            try NetworkTLS.install(
                on: channel, try ConnectionTLS(fault: fault, tls: tls), handshakeTimeout: handshakeTimeout,
                onTimeout: onHandshakeTimeout)
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension NetworkFaultChildChannel: HTTPChannelHandler where Base: HTTPChannelHandler {
    var responder: HTTPChannelHandler.Responder { base.responder }
}

extension HTTPServerBuilder {
    /// HTTP/1 with `configuration`, over TLS from `tls`, with the network faults on `faults` (see
    /// `NetworkFaultChildChannel`).
    static func http1WithNetworkFaults(
        _ configuration: HTTP1Channel.Configuration, tls: ServerTLS, faults: NetworkFaults,
        handshakeTimeout: TimeAmount = NetworkTLS.handshakeTimeout, onHandshakeTimeout: @escaping @Sendable () -> Void
    ) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            NetworkFaultChildChannel(
                base: HTTP1Channel(responder: responder, configuration: configuration), faults: faults, tls: tls,
                handshakeTimeout: handshakeTimeout, onHandshakeTimeout: onHandshakeTimeout)
        }
    }
}
