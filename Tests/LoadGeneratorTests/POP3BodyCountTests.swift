import NIOCore
import NIOEmbedded
import Testing

@testable import MailClient

/// The POP3 body a `RETR` announces is counted by the decoder (one `.` frame with its bytes), not
/// framed line by line: what keeps `exomock load`'s POP3 client cheap.
@Suite struct POP3BodyCountTests {
    func frames(_ chunks: [String], expecting: Bool) throws -> [ResponseFrame] {
        let mode = BodyMode()
        mode.expecting = expecting
        let channel = EmbeddedChannel(
            handler: ByteToMessageHandler(ResponseFrameDecoder(literals: false, bodyMode: mode)))
        for chunk in chunks { try channel.writeInbound(ByteBuffer(string: chunk)) }
        var out: [ResponseFrame] = []
        while let frame = try channel.readInbound(as: ResponseFrame.self) { out.append(frame) }
        return out
    }

    @Test func aBodyArrivesAsOneDotFrameWithItsUnstuffedBytes() throws {
        // "..x" is dot-stuffed ".x" (2 bytes + CRLF); a bare LF line still counts a CRLF; split mid-line.
        let body = ["+OK 14 octets\r\nSubject: a\r\n", "\r\n..x\r", "\ny\n.\r\n+OK next\r\n"]
        let decoded = try frames(body, expecting: true)
        #expect(decoded.map(\.text) == ["+OK 14 octets", ".", "+OK next"])
        #expect(decoded[1].bodyBytes == "Subject: a\r\n\r\n.x\r\ny\r\n".utf8.count)
    }

    @Test func anErrorAnswerHasNoBody() throws {
        let decoded = try frames(["-ERR no such message\r\n+OK 1 2\r\n"], expecting: true)
        #expect(decoded.map(\.text) == ["-ERR no such message", "+OK 1 2"])
        #expect(decoded.allSatisfy { $0.bodyBytes == 0 })
    }

    @Test func withoutTheFlagLinesAreFramedAsBefore() throws {
        let decoded = try frames(["+OK\r\nline\r\n.\r\n"], expecting: false)
        #expect(decoded.map(\.text) == ["+OK", "line", "."])
    }
}
