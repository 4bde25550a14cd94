import MailClient
import NIOCore
import NIOPosix
import Testing

/// `POP3Client` against a server that answers a refused XOAUTH2 response with an error challenge
/// (`+ ` and base64 JSON, RFC 7628 §3.2.2), as Dovecot does; Exchange answers `-ERR` at once.
@Suite struct POP3ClientChallengeTests {
    /// A plain-text POP3 server that scripts one refused `AUTH XOAUTH2` the Dovecot way and records
    /// what the client sent.
    final class ScriptedPOP3: ChannelInboundHandler, @unchecked Sendable {
        // @unchecked: `received` is written only on the channel's event loop and read after the
        // client has finished (the test awaits the client's outcome, which follows the last write).
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        var received: [String] = []
        private var pending = ""

        func channelActive(context: ChannelHandlerContext) {
            reply("+OK Dovecot ready.", context: context)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            pending += String(buffer: unwrapInboundIn(data))
            while let end = pending.range(of: "\r\n") {
                let line = String(pending[..<end.lowerBound])
                pending.removeSubrange(..<end.upperBound)
                received.append(line)
                switch received.count {
                case 1: reply("+ ", context: context)
                // {"status":"invalid_token","schemes":"bearer"}
                case 2: reply("+ eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NoZW1lcyI6ImJlYXJlciJ9", context: context)
                default: reply("-ERR [AUTH] Authentication failed.", context: context)
                }
            }
        }

        private func reply(_ line: String, context: ChannelHandlerContext) {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: line + "\r\n")), promise: nil)
        }
    }

    @Test("an error challenge is answered with an empty line, and the -ERR that follows is the outcome")
    func errorChallengeGetsEmptyResponse() async throws {
        let script = ScriptedPOP3()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(script) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        let endpoint = MailEndpoint(
            host: "127.0.0.1", port: server.localAddress!.port!, security: .none, serverName: "localhost", tls: nil)
        let (client, greeting) = try await POP3Client.connect(to: endpoint, timeout: 5)
        #expect(greeting.status == "+OK")
        let outcome = try await client.authenticateXOAUTH2(user: "a@b.example", token: "bad", display: "<xoauth2>")
        await client.connection.close()
        #expect(outcome.status == "-ERR")
        #expect(outcome.ending == .completed)
        #expect(script.received.count == 3)
        #expect(script.received.last == "")
    }
}
