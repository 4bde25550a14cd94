import ExomockLimits
import POP3Wire
import SMTPWire
import Testing

/// Tests/Corpus/pop3 and Tests/Corpus/smtp through their framers (whole, and three bytes at a time:
/// the same frames) and command parsers. No trap; no line kept over its limit; every malformed case
/// refused (`-ERR`, `5xx`) unless accepted.txt says why not.
@Suite struct CorpusMailTests {
    static func pop3(_ input: [UInt8], chunk: Int) -> Corpus.FramedRun {
        var framer = POP3LineFramer()
        var frames: [String] = []
        var accepted = false
        var problems: [String] = []
        var offset = 0
        while offset < input.count {
            let end = min(input.count, offset + chunk)
            for frame in framer.feed(input[offset..<end]) {
                switch frame {
                case .line(let line):
                    if line.count >= framer.maximumAuthenticateLineLength { problems.append("a line of \(line.count)") }
                    switch POP3CommandParser.parse(line) {
                    case .success(let command):
                        accepted = true
                        frames.append("ok:\(command.keyword)")
                    case .failure(let error):
                        frames.append("err")
                        if error.explanation.isEmpty { problems.append("an error without an explanation") }
                    }
                case .lineTooLong, .authenticateLineTooLong:
                    frames.append("toolong")
                }
            }
            if framer.bufferedByteCount > framer.maximumAuthenticateLineLength {
                problems.append("\(framer.bufferedByteCount) bytes buffered")
            }
            offset = end
        }
        return Corpus.FramedRun(frames: frames, accepted: accepted, problems: problems)
    }

    static func smtp(_ input: [UInt8], chunk: Int, maximumMessageSize: Int = Limits.smtpMaximumMessageSize)
        -> Corpus.FramedRun
    {
        var framer = SMTPFramer(maximumMessageSize: maximumMessageSize)
        var frames: [String] = []
        var accepted = false
        var problems: [String] = []
        var offset = 0
        while offset < input.count {
            let end = min(input.count, offset + chunk)
            framer.append(input[offset..<end])
            offset = end
            while let frame = framer.next() {
                switch frame {
                case .line(let line):
                    switch SMTPCommandParser.parse(line) {
                    case .success(let command):
                        accepted = true
                        frames.append("ok:\(command.verb.rawValue)")
                        if command == .data { framer.beginData() }
                    case .failure(let error):
                        frames.append("err")
                        // The session quotes an unknown verb in its 500 reply: the encoded reply stays one line.
                        if case .unknownCommand(let verb) = error {
                            let reply = SMTPReplyEncoder.bytes(
                                SMTPReply(500, EnhancedStatusCode(5, 3, 3), "Unrecognized command '\(verb)'"))
                            if reply.dropLast(2).contains(where: { $0 < 0x20 || $0 == 0x7F })
                                || reply.suffix(2) != [13, 10]
                            {
                                problems.append("the 500 reply for \(verb.debugDescription) is not one line")
                            }
                        }
                    }
                case .lineTooLong: frames.append("toolong")
                case .bareLineFeed: frames.append("barelf")
                case .message(let data):
                    switch data {
                    case .complete(let bytes):
                        frames.append("message:\(bytes.count)")
                        if bytes.count > maximumMessageSize { problems.append("a message over the limit") }
                    case .tooLarge: frames.append("toolarge")
                    case .bareLineFeed: frames.append("message-barelf")
                    }
                }
            }
            let bound = framer.maximumAuthenticateLineLength + maximumMessageSize + chunk
            if framer.bufferedByteCount > bound { problems.append("\(framer.bufferedByteCount) bytes buffered") }
        }
        return Corpus.FramedRun(frames: frames, accepted: accepted, problems: problems)
    }

    @Test func pop3CasesAreRefused() throws {
        let byName = try Corpus.expectFramed("pop3", atLeast: 300) { Self.pop3($0, chunk: $1) }
        #expect(Self.pop3(byName["hand-line-16385"] ?? [], chunk: 1 << 20).frames == ["toolong"])
        #expect(Self.pop3(byName["hand-auth-33k"] ?? [], chunk: 1 << 20).frames == ["toolong"])
        #expect(Self.pop3(byName["hand-retr-ten-digits"] ?? [], chunk: 1 << 20).frames == ["err"])
    }

    @Test func smtpCasesAreRefused() throws {
        let byName = try Corpus.expectFramed("smtp", atLeast: 300) { Self.smtp($0, chunk: $1) }
        // The same cases again with a 1 KiB message limit and 7-byte reads: the DATA limit path.
        for (name, bytes) in byName {
            let tiny = Self.smtp(bytes, chunk: 7, maximumMessageSize: 1024)
            #expect(tiny.problems.isEmpty, "smtp/\(name): \(tiny.problems)")
        }
        #expect(Self.smtp(byName["hand-line-2049"] ?? [], chunk: 1 << 20).frames == ["toolong"])
        #expect(Self.smtp(byName["hand-bare-lf-command"] ?? [], chunk: 1 << 20).frames == ["barelf"])
        #expect(Self.smtp(byName["hand-data-bare-lf"] ?? [], chunk: 1 << 20).frames == ["ok:DATA", "message-barelf"])
        #expect(
            Self.smtp(byName["hand-data-over-tiny-limit"] ?? [], chunk: 1 << 20, maximumMessageSize: 1024).frames
                == ["ok:DATA", "toolarge"])
    }
}
