import ExomockLimits
import NIOCore
import NIOEmbedded
import NIOPosix
import Testing

@testable import LoadGenerator
@testable import MailClient

/// The load generator's cheap paths through the client's decoder give the same frames and counts as
/// the full path the flow runner uses: literals counted instead of kept, a POP3 body counted in one
/// pass per read, the message count of a FETCH answer.
@Suite struct CountingDecoderTests {
    static func frames(_ chunks: [[UInt8]], decoder: ResponseFrameDecoder) throws -> [ResponseFrame] {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(decoder))
        for chunk in chunks { try channel.writeInbound(ByteBuffer(bytes: chunk)) }
        var out: [ResponseFrame] = []
        while let frame = try channel.readInbound(as: ResponseFrame.self) { out.append(frame) }
        return out
    }

    /// Every way of cutting `wire` in three.
    static func cuts(_ wire: String, step: Int = 1) -> [[[UInt8]]] {
        let bytes = Array(wire.utf8)
        var all: [[[UInt8]]] = [[bytes]]
        for a in stride(from: 1, to: bytes.count, by: step) {
            for b in stride(from: a, to: bytes.count, by: step * 7) {
                all.append([Array(bytes[..<a]), Array(bytes[a..<b]), Array(bytes[b...])])
            }
        }
        return all
    }

    @Test func countedLiteralsGiveTheSameFramesAsKeptOnes() throws {
        let wire =
            "* 1 FETCH (BODY[] {12}\r\nHello\r\nWorld)\r\n* 2 FETCH (UID 9 BODY[] {0}\r\n)\r\n"
            + "* 3 FETCH (BODY[HEADER] {3+}\r\nab\n BODY[TEXT] {4}\r\n{5}\r)\r\nA3 OK FETCH completed.\r\n"
        for chunks in Self.cuts(wire) {
            let kept = try Self.frames(chunks, decoder: ResponseFrameDecoder(literals: true))
            let counted = try Self.frames(chunks, decoder: ResponseFrameDecoder(literals: true, keepLiterals: false))
            #expect(kept.map(\.text) == counted.map(\.text))
            #expect(kept.map(\.literalBytes) == counted.map(\.literalBytes))
            #expect(counted.map(\.literalBytes) == [12, 0, 7, 0])
            #expect(counted.allSatisfy { $0.literals.isEmpty })
            #expect(kept[2].literals.map { String(buffer: $0) } == ["ab\n", "{5}\r"])
        }
    }

    @Test func aLiteralOverTheLimitIsRefusedWhenCountedToo() throws {
        let line = Array("* 1 FETCH (BODY[] {\(Limits.clientMaximumLiteralSize + 1)}\r\n".utf8)
        #expect(throws: MailClientError.tooLarge("a literal of \(Limits.clientMaximumLiteralSize + 1) bytes")) {
            _ = try Self.frames([line], decoder: ResponseFrameDecoder(literals: true, keepLiterals: false))
        }
    }

    /// The body count of one pass per read equals a line-by-line count, however the bytes are cut.
    @Test func aBodyCountedInOnePassMatchesLineByLine() throws {
        var body = "Subject: x\r\n\r\n"
        for n in 0..<40 {
            body += (n % 5 == 0 ? ".." : "") + String(repeating: "x", count: n) + (n % 7 == 0 ? "\n" : "\r\n")
        }
        let wire = "+OK message follows\r\n" + body + ".\r\n+OK 1 message deleted\r\n"
        // The full path: every line framed, then counted as POP3Client counts a listing's lines.
        let lines = try Self.frames([Array(wire.utf8)], decoder: ResponseFrameDecoder(literals: false)).map(\.text)
        #expect(lines.count == 40 + 2 + 3)
        let expected = lines[1..<(lines.count - 2)].reduce(0) {
            $0 + ($1.hasPrefix(".") ? $1.dropFirst() : Substring($1)).utf8.count + 2
        }
        for chunks in Self.cuts(wire, step: 3) {
            let mode = BodyMode()
            mode.expecting = true
            let decoded = try Self.frames(chunks, decoder: ResponseFrameDecoder(literals: false, bodyMode: mode))
            #expect(decoded.map(\.text) == ["+OK message follows", ".", "+OK 1 message deleted"])
            #expect(decoded[1].bodyBytes == expected)
        }
    }

    @Test func aBodyLineOverTheLimitIsRefused() throws {
        let mode = BodyMode()
        mode.expecting = true
        let long = [UInt8](repeating: UInt8(ascii: "x"), count: Limits.clientMaximumLineLength + 1)
        #expect(throws: MailClientError.tooLarge("a response line")) {
            _ = try Self.frames(
                [Array("+OK\r\n".utf8), long], decoder: ResponseFrameDecoder(literals: false, bodyMode: mode))
        }
    }

    @Test(
        arguments: [
            ("* 1 FETCH (BODY[] {12}", 12), ("A1 APPEND {3+}", 3), ("{0}", 0), ("x {123456789012}", 123_456_789_012),
            ("x {1234567890123}", nil), ("x {}", nil), ("x {+}", nil), ("x {1+2}", nil), ("x 12}", nil),
            ("x {a{7}", 7), ("x {7} ", nil), ("}", nil), ("x {٣}", nil),
        ] as [(String, Int?)])
    func literalSizes(line: String, size: Int?) {
        #expect(ResponseFrameDecoder.literalSize(atEndOf: line) == size)
    }

    @Test func fetchAnswersAreCountedAsMessages() {
        #expect(IMAPText.isFetch("* 12 FETCH (BODY[] {10240})"))
        #expect(IMAPText.isFetch("* 1 FETCH (UID 5)"))
        #expect(!IMAPText.isFetch("* 12 EXISTS"))
        #expect(!IMAPText.isFetch("A3 OK FETCH (done)"))
        #expect(!IMAPText.isFetch("* 1 FETCH(BODY[] {3})"))
        #expect(IMAPText.isFetch("* FETCH ("))
        #expect(!IMAPText.isFetch("* FETCH"))
    }

    /// `onOneEventLoop` runs the operation on its loop and hands that loop to `connect`.
    @Test func anOperationRunsOnItsConnectionsLoop() async {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let (onLoop, preferred) = await MailConnection.onOneEventLoop(of: group) {
            try? await Task.sleep(for: .milliseconds(1))
            let loop = MailConnection.preferredLoop
            return (loop?.inEventLoop ?? false, loop != nil)
        }
        #expect(onLoop && preferred)
        #expect(MailConnection.preferredLoop == nil)
        try? await group.shutdownGracefully()
    }
}
