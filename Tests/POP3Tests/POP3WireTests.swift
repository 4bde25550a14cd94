import ExomockLimits
import NIOCore
import POP3Wire
import Testing

@Suite struct POP3FramerTests {
    /// Feeds `input` split at every position (and byte by byte) and expects the same frames each time.
    func frames(_ input: String, limit: Int = 64) -> [[POP3Frame]] {
        let bytes = Array(input.utf8)
        var results: [[POP3Frame]] = []
        for cut in 0...bytes.count {
            var framer = POP3LineFramer(maximumLineLength: limit)
            results.append(framer.feed(bytes[..<cut]) + framer.feed(bytes[cut...]))
        }
        var framer = POP3LineFramer(maximumLineLength: limit)
        results.append(bytes.flatMap { framer.feed([$0]) })
        return results
    }

    @Test func splitsCRLFAndBareLFLinesAtEveryChunking() {
        let expected: [POP3Frame] = [.line(Array("USER a".utf8)), .line(Array("PASS b c".utf8)), .line([])]
        for result in frames("USER a\r\nPASS b c\n\r\nNOOP") {
            #expect(result == expected)
        }
    }

    @Test func lineAtTheLimitPassesAndOneByteMoreIsRefusedThenTheConnectionGoesOn() {
        // Limit counts the whole line with its CRLF.
        let limit = 16
        let fits = String(repeating: "x", count: limit - 2) + "\r\n"
        let tooLong = String(repeating: "y", count: limit - 1) + "\r\n"
        for result in frames(fits + tooLong + "NOOP\r\n", limit: limit) {
            #expect(
                result == [
                    .line(Array(String(repeating: "x", count: limit - 2).utf8)), .lineTooLong(length: limit + 1),
                    .line(Array("NOOP".utf8)),
                ])
        }
    }

    @Test func anEndlessLineNeverHoldsMoreThanTheLimit() {
        var framer = POP3LineFramer(maximumLineLength: Limits.pop3MaximumLineLength)
        let chunk = [UInt8](repeating: UInt8(ascii: "A"), count: 4096)
        for _ in 0..<1000 {  // 4 MB without a newline
            #expect(framer.feed(chunk).isEmpty)
            #expect(framer.bufferedByteCount <= Limits.pop3MaximumLineLength)
        }
        #expect(
            framer.feed(Array("\r\nQUIT\r\n".utf8)) == [.lineTooLong(length: 4_096_000 + 2), .line(Array("QUIT".utf8))])
    }

    @Test func resetDiscardsBufferedPlaintext() {
        var framer = POP3LineFramer()
        #expect(framer.feed(Array("STLS\r\nUSER evil".utf8)) == [.line(Array("STLS".utf8))])
        framer.reset()
        #expect(framer.feed(Array("\r\nCAPA\r\n".utf8)) == [.line([]), .line(Array("CAPA".utf8))])
    }
}

@Suite struct POP3ParserTests {
    @Test(arguments: [
        ("USER helpdesk@contoso.onmicrosoft.us", POP3Command.user("helpdesk@contoso.onmicrosoft.us")),
        ("user x", .user("x")),
        ("PASS with spaces  ", .pass("with spaces  ")),
        ("AUTH", .auth(mechanism: nil, initialResponse: nil)),
        ("auth xoauth2", .auth(mechanism: "XOAUTH2", initialResponse: nil)),
        ("AUTH XOAUTH2 dXNlcj1h", .auth(mechanism: "XOAUTH2", initialResponse: "dXNlcj1h")),
        ("AUTH PLAIN =", .auth(mechanism: "PLAIN", initialResponse: "=")),
        ("CAPA", .capa), ("stls", .stls), ("STAT", .stat), ("RSET", .rset), ("NOOP", .noop), ("QUIT", .quit),
        ("LIST", .list(nil)), ("LIST 2", .list(2)), ("UIDL", .uidl(nil)), ("UIDL 10", .uidl(10)),
        ("RETR 1", .retr(1)), ("TOP 1 0", .top(1, lines: 0)), ("DELE 3", .dele(3)), ("  NOOP  ", .noop),
    ])
    func parses(_ line: String, _ command: POP3Command) {
        #expect(POP3CommandParser.parse(line) == .success(command))
    }

    @Test(arguments: [
        ("", POP3ParseError.emptyLine),
        ("FROB 1", .unknownCommand("FROB")),
        ("RETR", .missingArgument(command: "RETR", expected: "a message number")),
        ("RETR x", .invalidArgument(command: "RETR", argument: "x", expected: "a message number")),
        ("RETR -1", .invalidArgument(command: "RETR", argument: "-1", expected: "a message number")),
        ("RETR 1234567890", .invalidArgument(command: "RETR", argument: "1234567890", expected: "a message number")),
        ("RETR 1 2", .tooManyArguments(command: "RETR")),
        ("TOP 1", .missingArgument(command: "TOP", expected: "a message number and a line count")),
        ("TOP 1 z", .invalidArgument(command: "TOP", argument: "z", expected: "a line count")),
        ("STAT 1", .tooManyArguments(command: "STAT")),
        ("USER", .missingArgument(command: "USER", expected: "a user name")),
        ("PASS", .missingArgument(command: "PASS", expected: "a password")),
        ("AUTH A B C", .tooManyArguments(command: "AUTH")),
    ])
    func refuses(_ line: String, _ error: POP3ParseError) {
        #expect(POP3CommandParser.parse(line) == .failure(error))
    }

    @Test func saslContinuationLines() {
        #expect(POP3SASLResponse.parse(Array("*".utf8)) == .cancel)
        #expect(POP3SASLResponse.parse(Array(" dXNl ".utf8)) == .response("dXNl"))
        #expect(POP3SASLResponse.parse([]) == .response(""))
    }

    @Test func descriptionsRedactSecrets() {
        #expect(POP3Command.pass("hunter2").description == "PASS <redacted>")
        #expect(
            POP3Command.auth(mechanism: "XOAUTH2", initialResponse: "dG9rZW4=").description == "AUTH XOAUTH2 <redacted>"
        )
    }
}

@Suite struct POP3EncoderTests {
    func wire(_ response: POP3Response) -> String {
        String(decoding: POP3ResponseEncoder.bytes(response), as: UTF8.self)
    }

    @Test func singleLines() {
        #expect(wire(.ok("")) == "+OK\r\n")
        #expect(wire(.ok("User successfully authenticated.")) == "+OK User successfully authenticated.\r\n")
        #expect(wire(.err("Protocol error.")) == "-ERR Protocol error.\r\n")
        #expect(wire(.challenge("")) == "+ \r\n")
    }

    @Test func multilineIsStuffedAndTerminated() {
        #expect(wire(.multiline("", lines: ["TOP", ".hidden"])) == "+OK\r\nTOP\r\n..hidden\r\n.\r\n")
    }

    @Test func messageBytesAreStuffedLineByLine() {
        // Written by hand from RFC 1939 §3, independent of the encoder.
        let content = Array("A: b\r\n\r\n.leading\r\n..two\r\n.\r\nbare lf\nno end".utf8)
        #expect(
            wire(.message("", content: content))
                == "+OK\r\nA: b\r\n\r\n..leading\r\n...two\r\n..\r\nbare lf\r\nno end\r\n.\r\n")
        #expect(wire(.message("", content: [])) == "+OK\r\n.\r\n")
    }

    @Test func topKeepsHeaderBlankLineAndNBodyLines() {
        let message = Array("H: 1\r\nH: 2\r\n\r\nb1\r\nb2\r\nb3\r\n".utf8)
        #expect(POP3MessageText.top(of: message, bodyLines: 0) == Array("H: 1\r\nH: 2\r\n\r\n".utf8))
        #expect(POP3MessageText.top(of: message, bodyLines: 2) == Array("H: 1\r\nH: 2\r\n\r\nb1\r\nb2\r\n".utf8))
        #expect(POP3MessageText.top(of: message, bodyLines: 99) == message)
        #expect(POP3MessageText.top(of: Array("H: only\r\n".utf8), bodyLines: 1) == Array("H: only\r\n".utf8))
    }
}
