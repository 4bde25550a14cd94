import NIOCore
import NIOEmbedded
import Testing

@testable import MailClient

/// The client's framing: IMAP literals followed to the line's real end, bytes split anywhere.
struct ResponseFrameDecoderTests {
    func frames(_ chunks: [String], literals: Bool) throws -> [ResponseFrame] {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(ResponseFrameDecoder(literals: literals)))
        for chunk in chunks { try channel.writeInbound(ByteBuffer(string: chunk)) }
        var out: [ResponseFrame] = []
        while let frame = try channel.readInbound(as: ResponseFrame.self) { out.append(frame) }
        _ = try channel.finish()
        return out
    }

    @Test func literalsAreFollowedAcrossChunks() throws {
        let wire = "* 1 FETCH (UID 7 BODY[] {12}\r\nHello\r\nWorld)\r\nA3 OK FETCH completed.\r\n"
        // Every split point gives the same two frames.
        for cut in 1..<wire.utf8.count {
            let bytes = Array(wire.utf8)
            let parts = [
                String(decoding: bytes[..<cut], as: UTF8.self), String(decoding: bytes[cut...], as: UTF8.self),
            ]
            let decoded = try frames(parts, literals: true)
            #expect(
                decoded.map(\.text) == ["* 1 FETCH (UID 7 BODY[] {12})", "A3 OK FETCH completed."], "cut at \(cut)")
            #expect(decoded.first?.literalBytes == 12)
            #expect(decoded.first.map { String(buffer: $0.literals[0]) } == "Hello\r\nWorld")
        }
    }

    @Test func nonSynchronizingAndBareLines() throws {
        let decoded = try frames(["* LIST () \"/\" {3+}\r\nabc\r\n+ idling\nA1 OK done\r\n"], literals: true)
        #expect(decoded.map(\.text) == ["* LIST () \"/\" {3+}", "+ idling", "A1 OK done"])
        #expect(decoded.map(\.literalBytes) == [3, 0, 0])
    }

    @Test func pop3FramesPlainLines() throws {
        let decoded = try frames(["+OK 2 messages {5}\r\n", "Subject: x\r\n.\r\n"], literals: false)
        #expect(decoded.map(\.text) == ["+OK 2 messages {5}", "Subject: x", "."])
    }

    /// What a server sends just before it closes (`* BYE`, then the tagged `OK`) is still read after the
    /// close: the handlers are gone by then, the frames are not.
    @Test func framesThatArrivedBeforeTheCloseAreStillRead() throws {
        let loop = EmbeddedEventLoop()
        let inbox = FrameInbox(eventLoop: loop)
        let channel = EmbeddedChannel(loop: loop)
        try channel.pipeline.syncOperations.addHandlers([
            ByteToMessageHandler(ResponseFrameDecoder(literals: true)), inbox,
        ])
        try channel.connect(to: .init(ipAddress: "127.0.0.1", port: 993)).wait()
        try channel.writeInbound(ByteBuffer(string: "* BYE signing off.\r\nA3 OK LOGOUT completed.\r\n"))
        try channel.close().wait()
        loop.run()
        #expect(try inbox.next(timeout: 1).wait().text == "* BYE signing off.")
        #expect(try inbox.next(timeout: 1).wait().text == "A3 OK LOGOUT completed.")
        #expect(throws: MailClientError.closed) { try inbox.next(timeout: 1).wait() }
    }

    @Test func xoauth2ResponseIsTheRFC7628String() {
        let encoded = ClientSession.xoauth2(user: "a@b.example", token: "t0k")
        #expect(encoded == "dXNlcj1hQGIuZXhhbXBsZQFhdXRoPUJlYXJlciB0MGsBAQ==")
    }
}
