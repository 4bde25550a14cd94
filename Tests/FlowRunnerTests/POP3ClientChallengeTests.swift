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
        /// Whether the XOAUTH2 response is refused (an error challenge) or accepted (`+OK`).
        let refuses: Bool

        init(refuses: Bool) { self.refuses = refuses }

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
                case 2 where !refuses: reply("+OK User successfully authenticated.", context: context)
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

    /// Runs `AUTH XOAUTH2` against a scripted server; the outcome and the lines the server received.
    func authenticate(refused: Bool) async throws -> (CommandOutcome, [String]) {
        let script = ScriptedPOP3(refuses: refused)
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
        let outcome = try await client.authenticateXOAUTH2(user: "a@b.example", token: "t", display: "<xoauth2>")
        await client.connection.close()
        return (outcome, script.received)
    }

    @Test("an error challenge is answered with an empty line, and the -ERR that follows is the outcome")
    func errorChallengeGetsEmptyResponse() async throws {
        let (outcome, received) = try await authenticate(refused: true)
        #expect(outcome.status == "-ERR")
        #expect(outcome.ending == .completed)
        #expect(received.count == 3)
        #expect(received.last == "")
    }

    @Test("+OK after the response is the outcome, not a challenge")
    func acceptedResponseIsNotAChallenge() async throws {
        let (outcome, received) = try await authenticate(refused: false)
        #expect(outcome.status == "+OK")
        #expect(received.count == 2)
    }
}
