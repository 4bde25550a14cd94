import ExomockLimits
import IMAPServer
import MailAuthentication
import NIOCore
import NIOEmbedded
import ScenarioModel
import Testing

/// A FETCH over a large mailbox is written a chunk at a time while the client reads, not encoded
/// whole: a client that stops reading holds the server to about `Limits.imapOutputChunkBytes`.
@Suite struct IMAPOutputChunkingTests {
    /// Makes the channel unwritable on every write, as a socket whose client does not read becomes.
    final class StallOnWrite: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var writes = 0
        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            writes += 1
            (context.channel as? EmbeddedChannel)?.isWritable = false
            context.write(data, promise: promise)
        }
    }

    @Test func aLargeFetchWaitsForTheClientChunkByChunk() throws {
        // 40 generated messages of 40,000 bytes: about 1.6 MB of FETCH output.
        let store = try makeIMAPStore(generated: 40)
        let c = try EmbeddedIMAP(
            server: IMAPServer(store: store, authenticator: TestAuthenticator(), settings: ExchangeSettings()))
        _ = try c.output()
        let xo = XOAUTH2Credentials(user: imapMailbox, token: "good-token").initialResponse
        #expect(try c.send("a AUTHENTICATE XOAUTH2 \(xo)\r\n") == "a OK AUTHENTICATE completed.\r\n")
        #expect(try c.send("b EXAMINE INBOX\r\n").hasSuffix("b OK [READ-ONLY] EXAMINE completed.\r\n"))

        let staller = StallOnWrite()
        try c.channel.pipeline.syncOperations.addHandler(
            staller, position: ChannelPipeline.SynchronousOperations.Position.first)
        // The FETCH and a NOOP pipelined behind it; the client then reads nothing.
        var received = try c.send("c FETCH 1:* BODY.PEEK[]\r\nd NOOP\r\n")
        let firstChunk = received.utf8.count
        #expect(
            firstChunk >= Limits.imapOutputChunkBytes && firstChunk < Limits.imapOutputChunkBytes + 41_000,
            "one chunk, not the whole answer: \(firstChunk) bytes")
        #expect(!received.contains("c OK"))

        // The client reads: each writability change lets one more chunk out.
        var rounds = 1
        while !received.contains("d OK"), rounds < 1000 {
            c.channel.isWritable = true
            c.channel.pipeline.fireChannelWritabilityChanged()
            let more = try c.output()
            #expect(more.utf8.count < Limits.imapOutputChunkBytes + 41_000)
            received += more
            rounds += 1
        }
        #expect(rounds > 20, "1.6 MB in 64 KiB chunks takes more than 20 writes, not \(rounds)")
        #expect(received.components(separatedBy: " FETCH (BODY[] {").count - 1 == 40)
        let fetchDone = try #require(received.range(of: "c OK FETCH completed.\r\n"))
        let noopDone = try #require(
            received.range(of: "d OK NOOP completed.\r\n"), "the pipelined NOOP is answered after the FETCH")
        #expect(fetchDone.upperBound <= noopDone.lowerBound)
    }
}
