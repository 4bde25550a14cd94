import ExomockLimits
import SMTPWire
import Testing

@Suite struct SMTPFramerTests {
    func frames(_ framer: inout SMTPFramer, _ text: String) -> [SMTPFrame] {
        framer.append(Array(text.utf8))
        var out: [SMTPFrame] = []
        while let f = framer.next() { out.append(f) }
        return out
    }

    @Test func linesSplitAtEveryChunking() {
        let input = Array("EHLO a\r\nMAIL FROM:<x@y>\r\nQUIT\r\n".utf8)
        for split in 1..<input.count {
            var framer = SMTPFramer()
            var out: [SMTPFrame] = []
            for chunk in [input[..<split], input[split...]] {
                framer.append(chunk)
                while let f = framer.next() { out.append(f) }
            }
            #expect(
                out == [.line(Array("EHLO a".utf8)), .line(Array("MAIL FROM:<x@y>".utf8)), .line(Array("QUIT".utf8))])
        }
    }

    @Test func overLongLineIsDroppedAsItArrivesThenTheNextLineReads() {
        var framer = SMTPFramer(maximumLineLength: 16)
        #expect(frames(&framer, String(repeating: "x", count: 100)).isEmpty)
        #expect(framer.bufferedByteCount == 0)
        #expect(
            frames(&framer, "yy\r\nNOOP\r\n") == [
                .lineTooLong(length: 104, authenticate: false), .line(Array("NOOP".utf8)),
            ])
        // Exactly at the limit (CRLF included) is fine; one byte more is not.
        #expect(
            frames(&framer, String(repeating: "a", count: 14) + "\r\n") == [
                .line(Array(repeating: UInt8(ascii: "a"), count: 14))
            ])
        #expect(
            frames(&framer, String(repeating: "a", count: 15) + "\r\n") == [
                .lineTooLong(length: 17, authenticate: false)
            ])
    }

    @Test func authLinesAndSASLResponsesGetTheLargerLimit() {
        var framer = SMTPFramer(maximumLineLength: 16, maximumAuthenticateLineLength: 64)
        let token = String(repeating: "t", count: 40)
        #expect(frames(&framer, "auth XOAUTH2 \(token)\r\n") == [.line(Array("auth XOAUTH2 \(token)".utf8))])
        framer.expectingSASLResponse = true
        #expect(frames(&framer, token + "\r\n") == [.line(Array(token.utf8))])
        #expect(
            frames(&framer, String(repeating: "t", count: 70) + "\r\n") == [
                .lineTooLong(length: 72, authenticate: true)
            ])
        framer.expectingSASLResponse = false
        #expect(frames(&framer, token + "\r\n") == [.lineTooLong(length: 42, authenticate: false)])
    }

    @Test func theDefaultLimitsAreCrossed() {
        var framer = SMTPFramer()
        let long = "NOOP " + String(repeating: "x", count: Limits.smtpMaximumLineLength)
        #expect(frames(&framer, long + "\r\n") == [.lineTooLong(length: long.utf8.count + 2, authenticate: false)])
        let auth = "AUTH XOAUTH2 " + String(repeating: "x", count: Limits.smtpMaximumAuthenticateLineLength)
        #expect(frames(&framer, auth + "\r\n") == [.lineTooLong(length: auth.utf8.count + 2, authenticate: true)])
    }

    @Test func bareLineFeedEndsNoCommand() {
        var framer = SMTPFramer()
        #expect(frames(&framer, "EHLO a\nNOOP\r\n") == [.bareLineFeed, .line(Array("NOOP".utf8))])
    }

    @Test func dataIsDotUnstuffedAndEndsOnlyAtCRLFDotCRLF() {
        let body = "Subject: x\r\n\r\n..leading dot\r\n.\r\nnot the end? no: that was the end"
        var framer = SMTPFramer()
        framer.beginData()
        #expect(frames(&framer, body) == [.message(.complete(Array("Subject: x\r\n\r\n.leading dot\r\n".utf8)))])
        #expect(!framer.isReadingData)
        // What follows the end is commands again.
        #expect(frames(&framer, "\r\n") == [.line(Array("not the end? no: that was the end".utf8))])
    }

    @Test func dataSplitAtEveryByteGivesTheSameMessage() {
        let wire = Array("a\r\n..b\r\n.c\r\n\r\n.\r\nQUIT\r\n".utf8)
        let expected: [SMTPFrame] = [
            .message(.complete(Array("a\r\n.b\r\nc\r\n\r\n".utf8))), .line(Array("QUIT".utf8)),
        ]
        for split in 1..<wire.count {
            var framer = SMTPFramer()
            framer.beginData()
            var out: [SMTPFrame] = []
            for chunk in [wire[..<split], wire[split...]] {
                framer.append(chunk)
                while let f = framer.next() { out.append(f) }
            }
            #expect(out == expected, "split at \(split)")
        }
    }

    @Test func bareLineFeedDotIsNotTheEnd() {
        // SMTP smuggling: `LF . LF` and `LF . CRLF` must not end the message.
        var framer = SMTPFramer()
        framer.beginData()
        #expect(frames(&framer, "a\n.\nMAIL FROM:<evil@x>\r\n").isEmpty)
        #expect(frames(&framer, "\r\n.\r\n") == [.message(.bareLineFeed(size: 26))])
    }

    @Test func messageOverTheLimitIsCountedNotKept() {
        var framer = SMTPFramer(maximumMessageSize: 10)
        framer.beginData()
        #expect(frames(&framer, String(repeating: "z", count: 1000)).isEmpty)
        #expect(framer.bufferedByteCount <= 10)
        #expect(frames(&framer, "\r\n.\r\n") == [.message(.tooLarge(size: 1002))])
    }

    @Test func resetForgetsPipelinedPlaintext() {
        var framer = SMTPFramer()
        framer.append(Array("STARTTLS\r\nMAIL FROM:<a@b>\r\n".utf8))
        #expect(framer.next() == .line(Array("STARTTLS".utf8)))
        framer.reset()
        #expect(framer.next() == nil)
        #expect(framer.bufferedByteCount == 0)
    }
}

@Suite struct SMTPCommandTests {
    @Test func parsesTheCommandsClientsSend() throws {
        #expect(try SMTPCommandParser.parse("EHLO [127.0.0.1]").get() == .ehlo("[127.0.0.1]"))
        #expect(try SMTPCommandParser.parse("starttls").get() == .startTLS)
        #expect(try SMTPCommandParser.parse("AUTH xoauth2").get() == .auth(mechanism: "XOAUTH2", initialResponse: nil))
        #expect(
            try SMTPCommandParser.parse("AUTH XOAUTH2 dXNlcg==").get()
                == .auth(mechanism: "XOAUTH2", initialResponse: "dXNlcg=="))
        #expect(
            try SMTPCommandParser.parse("MAIL FROM:<a@b.c> SIZE=120 BODY=8BITMIME").get()
                == .mail(from: "a@b.c", parameters: [SMTPParameter("SIZE", "120"), SMTPParameter("BODY", "8BITMIME")]))
        #expect(try SMTPCommandParser.parse("MAIL FROM: <a@b.c>").get() == .mail(from: "a@b.c", parameters: []))
        #expect(try SMTPCommandParser.parse("MAIL FROM:<>").get() == .mail(from: "", parameters: []))
        #expect(try SMTPCommandParser.parse("RCPT TO:<@relay,@x:u@d.e>").get() == .rcpt(to: "u@d.e", parameters: []))
        #expect(try SMTPCommandParser.parse("data").get() == .data)
        #expect(try SMTPCommandParser.parse("NOOP anything").get() == .noop)
    }

    @Test func refusesWhatIsNotACommand() {
        #expect(SMTPCommandParser.parse("") == .failure(.emptyLine))
        #expect(SMTPCommandParser.parse("BDAT 10 LAST") == .failure(.unknownCommand("BDAT")))
        #expect(SMTPCommandParser.parse("MAIL TO:<a@b>") == .failure(.syntax(verb: .mail, expected: "FROM:<address>")))
        #expect(SMTPCommandParser.parse("MAIL FROM:a@b") == .failure(.invalidAddress(verb: .mail, text: "a@b")))
        #expect(SMTPCommandParser.parse("RCPT TO:<>") == .failure(.invalidAddress(verb: .rcpt, text: "")))
        #expect(
            SMTPCommandParser.parse("RCPT TO:<nodomain>") == .failure(.invalidAddress(verb: .rcpt, text: "nodomain")))
        #expect(SMTPCommandParser.parse("DATA now") == .failure(.syntax(verb: .data, expected: "no arguments")))
        #expect(
            SMTPCommandParser.parse("EHLO") == .failure(.syntax(verb: .ehlo, expected: "one domain or address literal"))
        )
    }

    @Test func secretsAreRedacted() {
        #expect(
            SMTPCommand.auth(mechanism: "XOAUTH2", initialResponse: "secret").description == "AUTH XOAUTH2 <redacted>")
    }

    @Test func repliesEncodeWithEnhancedCodesAndContinuations() {
        let reply = SMTPReply(535, EnhancedStatusCode(5, 7, 3), "Authentication unsuccessful [x]")
        #expect(
            String(decoding: SMTPReplyEncoder.bytes(reply), as: UTF8.self)
                == "535 5.7.3 Authentication unsuccessful [x]\r\n")
        #expect(
            String(decoding: SMTPReplyEncoder.bytes(SMTPReply(250, lines: ["a", "b"])), as: UTF8.self)
                == "250-a\r\n250 b\r\n")
        #expect(String(decoding: SMTPReplyEncoder.bytes(SMTPReply(334, nil, "")), as: UTF8.self) == "334 \r\n")
    }
}

@Suite struct SMTPDefaultLimitTests {
    @Test func theDefaultMessageLimitIsCrossed() {
        var framer = SMTPFramer()
        framer.beginData()
        let chunk = [UInt8](repeating: UInt8(ascii: "z"), count: 1024 * 1024)
        for _ in 0...(Limits.smtpMaximumMessageSize / chunk.count) {
            framer.append(chunk)
            #expect(framer.next() == nil)
        }
        #expect(framer.bufferedByteCount <= Limits.smtpMaximumMessageSize)
        framer.append(Array("\r\n.\r\n".utf8))
        #expect(framer.next() == .message(.tooLarge(size: Limits.smtpMaximumMessageSize + chunk.count + 2)))
    }
}
