// The bare TLS handshake baseline for bench/handshake.sh (issue 13: "server CPU per IMAP XOAUTH2 login at
// most 1.5x a bare SwiftNIO TLS 1.3 handshake with the same certificate").
//
// A TCP listener that does exactly what exomock's implicit-TLS mail listeners do up to the first protocol
// byte and nothing after it: the same event loop group (`MultiThreadedEventLoopGroup.singleton`), the same
// bootstrap options, the same TLS context (`TLSContexts.server`, built from the same PEM files) put on the
// connection the same way (`NetworkTLS.install`, with the handshake time limit), then it drops whatever the
// client sends and closes when the client closes (NIOSSL answers the client's close_notify).
//
//   exomock-tls-baseline --chain CHAIN.pem --key KEY.pem [--host 127.0.0.1] [--port 0]
//
// CHAIN.pem: the leaf, then the CA (as exomock's listeners send it). Prints `port N` once listening.
// Built only with EXOMOCK_BENCH set (Package.swift).
import Foundation
import ListenerSupport
import NIOCore
import NIOPosix
import NIOSSL

/// Drops application data; closes on any error (an unclean shutdown, a reset), as a mail listener would.
final class Discard: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

func usage(_ message: String) -> Never {
    FileHandle.standardError.write(
        Data(
            """
            exomock-tls-baseline: \(message)
            usage: exomock-tls-baseline --chain CHAIN.pem --key KEY.pem [--host 127.0.0.1] [--port 0]

            """.utf8))
    exit(2)
}

var options: [String: String] = ["--host": "127.0.0.1", "--port": "0"]
var arguments = CommandLine.arguments.dropFirst()
while let name = arguments.popFirst() {
    guard ["--chain", "--key", "--host", "--port"].contains(name) else { usage("unknown option \(name)") }
    guard let value = arguments.popFirst() else { usage("\(name) needs a value") }
    options[name] = value
}
guard let chainPath = options["--chain"], let keyPath = options["--key"] else {
    usage("--chain and --key are required")
}
guard let port = Int(options["--port"] ?? ""), (0...65535).contains(port) else { usage("--port must be 0-65535") }

let chain: String
let key: String
do {
    chain = try String(contentsOfFile: chainPath, encoding: .utf8)
    key = try String(contentsOfFile: keyPath, encoding: .utf8)
} catch {
    usage("cannot read the certificate files: \(error)")
}
let tls = try TLSContexts.server(certificateChainPEM: chain, privateKeyPEM: key)

let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
    .serverChannelOption(.backlog, value: 1024)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try NetworkTLS.install(on: channel, .context(tls))
            try channel.pipeline.syncOperations.addHandler(Discard())
        }
    }
    .bind(host: options["--host"] ?? "127.0.0.1", port: port)
    .get()
FileHandle.standardOutput.write(Data("port \(listener.localAddress?.port ?? port)\n".utf8))
try await listener.closeFuture.get()
