import ExomockLimits
import POP3Wire
import SMTPWire
import Testing

/// Tests/Corpus/pop3 and Tests/Corpus/smtp through their framers (whole, and three bytes at a time:
/// the same frames) and command parsers. No trap; no line kept over its limit; every malformed case
/// refused (`-ERR`, `5xx`) unless accepted.txt says why not.
@Suite struct CorpusMailTests {
    static func pop3(_ input: [UInt8], chunk: Int) -> (frames: [String], accepted: Bool, problems: [String]) {
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
        return (frames, accepted, problems)
    }

    static func smtp(_ input: [UInt8], chunk: Int, maximumMessageSize: Int = Limits.smtpMaximumMessageSize)
        -> (frames: [String], accepted: Bool, problems: [String])
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
        return (frames, accepted, problems)
    }

    @Test func pop3CasesAreRefused() throws {
        let cases = try Corpus.cases("pop3")
        #expect(cases.count >= 300)
        var accepted = Set<String>()
        for item in cases {
            let whole = Self.pop3(item.bytes, chunk: max(1, item.bytes.count))
            let split = Self.pop3(item.bytes, chunk: 3)
            #expect(whole.problems.isEmpty, "\(item): \(whole.problems)")
            #expect(whole.frames == split.frames, "\(item): framing depends on how the bytes arrive")
            if whole.accepted { accepted.insert(item.name) }
        }
        Corpus.expectAccepted("pop3", accepted)
        let byName = Dictionary(uniqueKeysWithValues: cases.map { ($0.name, $0.bytes) })
        #expect(Self.pop3(byName["hand-line-16385"] ?? [], chunk: 1 << 20).frames == ["toolong"])
        #expect(Self.pop3(byName["hand-auth-33k"] ?? [], chunk: 1 << 20).frames == ["toolong"])
        #expect(Self.pop3(byName["hand-retr-ten-digits"] ?? [], chunk: 1 << 20).frames == ["err"])
    }

    @Test func smtpCasesAreRefused() throws {
        let cases = try Corpus.cases("smtp")
        #expect(cases.count >= 300)
        var accepted = Set<String>()
        for item in cases {
            let whole = Self.smtp(item.bytes, chunk: max(1, item.bytes.count))
            let split = Self.smtp(item.bytes, chunk: 3)
            let tiny = Self.smtp(item.bytes, chunk: 7, maximumMessageSize: 1024)
            #expect(whole.problems.isEmpty && tiny.problems.isEmpty, "\(item): \(whole.problems + tiny.problems)")
            #expect(whole.frames == split.frames, "\(item): framing depends on how the bytes arrive")
            if whole.accepted { accepted.insert(item.name) }
        }
        Corpus.expectAccepted("smtp", accepted)
        let byName = Dictionary(uniqueKeysWithValues: cases.map { ($0.name, $0.bytes) })
        #expect(Self.smtp(byName["hand-line-2049"] ?? [], chunk: 1 << 20).frames == ["toolong"])
        #expect(Self.smtp(byName["hand-bare-lf-command"] ?? [], chunk: 1 << 20).frames == ["barelf"])
        #expect(Self.smtp(byName["hand-data-bare-lf"] ?? [], chunk: 1 << 20).frames == ["ok:DATA", "message-barelf"])
        #expect(
            Self.smtp(byName["hand-data-over-tiny-limit"] ?? [], chunk: 1 << 20, maximumMessageSize: 1024).frames
                == ["ok:DATA", "toolarge"])
    }
}
