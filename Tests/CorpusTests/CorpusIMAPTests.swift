import ExomockLimits
import IMAPWire
import NIOCore
import Testing

/// Tests/Corpus/imap through the IMAP framer and parser, as the connection handler drives them: every
/// case is framed (whole, and again three bytes at a time: the same frames), each command parsed. No
/// trap; every refusal is `<tag> BAD` or `* BYE` with one short printable line on the command's own tag;
/// no frame over the limits; every malformed case refused unless accepted.txt says why not.
@Suite struct CorpusIMAPTests {
    /// The tag a command line starts with (tag characters, then a space), or nil.
    static func leadingTag(_ bytes: [UInt8]) -> String? {
        guard let space = bytes.firstIndex(of: 32), space > 0, space <= 64,
            bytes[..<space].allSatisfy(IMAPGrammar.isTagChar)
        else { return nil }
        return String(decoding: bytes[..<space], as: UTF8.self)
    }

    static func run(_ input: [UInt8], chunk: Int) -> Corpus.FramedRun {
        var framer = IMAPFramer()
        let parser = IMAPParser()
        let bound =
            framer.maximumAuthenticateLineLength + framer.maximumLiteralsPerCommand
            * (framer.maximumLiteralSize + framer.maximumLineLength)
        var run = Corpus.FramedRun()
        var offset = 0
        reading: while offset < input.count {
            let end = min(input.count, offset + chunk)
            var buffer = ByteBuffer(bytes: input[offset..<end])
            offset = end
            while let frame = framer.next(from: &buffer) {
                switch frame {
                case .command(let bytes):
                    if bytes.count > bound { run.problems.append("a command of \(bytes.count) bytes") }
                    switch parser.parse(bytes) {
                    case .success(let command):
                        run.accepted = true
                        run.frames.append("ok:\(command.tag)")
                    case .failure(let error):
                        run.frames.append("bad:\(error.tag)")
                        if !Corpus.isPrintableLine(error.text)
                            || !Corpus.isPrintableLine(error.tag, maximum: Limits.imapMaximumLineLength)
                        {
                            run.problems.append("BAD text not one printable line: \(error.text.debugDescription)")
                        }
                        if let tag = leadingTag(bytes), tag != error.tag {
                            run.problems.append("BAD on tag \(error.tag), the command's tag is \(tag)")
                        }
                    }
                case .continuationNeeded:
                    run.frames.append("+")
                case .rejected(let tag, let reason), .fatal(let tag, let reason):
                    let fatal = if case .fatal = frame { true } else { false }
                    run.frames.append("\(fatal ? "bye" : "rejected"):\(tag)")
                    if !Corpus.isPrintableLine(reason.description)
                        || !Corpus.isPrintableLine(tag, maximum: Limits.imapMaximumLineLength)
                    {
                        run.problems.append("refusal not printable: \(reason)")
                    }
                    if fatal { break reading }
                }
            }
            if buffer.readableBytes != 0 { run.problems.append("bytes left unread without a frame") }
        }
        return run
    }

    @Test func everyCaseIsRefusedOnItsTagWithOnePrintableLine() throws {
        try Corpus.expectFramed("imap", atLeast: 500) { Self.run($0, chunk: $1) }
    }

    /// The limits the hand-written cases cross, each with the refusal it must get.
    @Test func limitCasesGetTheirNamedRefusals() throws {
        let byName = Dictionary(uniqueKeysWithValues: try Corpus.cases("imap").map { ($0.name, $0.bytes) })
        func frames(_ name: String) throws -> [String] {
            guard let bytes = byName[name] else { throw CorpusFailure("no case \(name)") }
            return Self.run(bytes, chunk: bytes.count).frames
        }
        #expect(try frames("hand-literal-int-overflow") == ["rejected:b1"])
        #expect(try frames("hand-literal-int-overflow-nonsync") == ["bye:b1"])
        #expect(try frames("hand-literal-over-limit") == ["rejected:b3"])
        #expect(try frames("hand-literal-over-limit-nonsync") == ["bye:b3"])
        #expect(try frames("hand-literal-65-literals").contains("rejected:c1"))
        #expect(try frames("hand-line-8193") == ["rejected:d1"])
        #expect(try frames("hand-line-70000-then-noop") == ["rejected:d2", "ok:d3"])
        #expect(try frames("hand-line-no-eol") == [])
        #expect(try frames("hand-authenticate-33k") == ["rejected:d5"])
        #expect(try frames("hand-search-parens-65") == ["bad:e1"])
        #expect(try frames("hand-search-parens-5000") == ["bad:e2"])
        #expect(try frames("hand-section-depth-100") == ["bad:e6"])
        #expect(try frames("hand-crlf-flood").allSatisfy { $0 == "bad:*" })
    }
}
