import Determinism
import ExomockLimits
import ExomockTestSupport
import Foundation
import MailAuthentication
import NIOCore
import NIOSSL
import POP3Server
import POP3Wire
import ScenarioModel
import Testing

/// `Limits.pop3MaximumAuthenticateLineLength`: `AUTH` lines and the SASL response after `+ ` may be
/// longer than ordinary command lines, because XOAUTH2 carries the whole access token.
@Suite struct POP3LargeTokenTests {
    let tls: NIOSSLContext
    let clock = VirtualClock(start: VirtualClock.defaultStart)

    init() throws {
        let made = try ThrowawayCertificate.make()
        defer { made.remove() }
        tls = try made.serverContext()
    }

    /// `AUTH XOAUTH2 <filler>` of exactly `length` bytes, CRLF included.
    static func authLine(length: Int, verb: String = "AUTH") -> String {
        let head = "\(verb) XOAUTH2 "
        return head + String(repeating: "A", count: length - head.utf8.count - 2) + "\r\n"
    }

    static func line(_ s: String) -> POP3Frame { .line(Array(s.utf8.dropLast(2))) }

    @Test func framerAllowsAUTHLinesUpToTheirOwnLimit() {
        let limit = Limits.pop3MaximumAuthenticateLineLength
        #expect(limit > Limits.pop3MaximumLineLength)
        var framer = POP3LineFramer()
        let atLimit = Self.authLine(length: limit)
        #expect(framer.feed(Array(atLimit.utf8)) == [Self.line(atLimit)])
        let lower = Self.authLine(length: limit, verb: "auth")
        #expect(framer.feed(Array(lower.utf8)) == [Self.line(lower)])
        let over = Self.authLine(length: limit + 1)
        #expect(
            framer.feed(Array((over + "NOOP\r\n").utf8)) == [
                .authenticateLineTooLong(length: limit + 1), .line(Array("NOOP".utf8)),
            ])
        // Byte by byte: memory never exceeds the limit, and the verdict is the same.
        var slow = POP3LineFramer()
        var frames: [POP3Frame] = []
        for b in over.utf8 {
            frames += slow.feed([b])
            #expect(slow.bufferedByteCount <= limit)
        }
        #expect(frames == [.authenticateLineTooLong(length: limit + 1)])
    }

    @Test func otherLinesKeepTheOrdinaryLimit() {
        var framer = POP3LineFramer()
        let retr = Self.authLine(length: Limits.pop3MaximumLineLength + 1, verb: "RETR")
        #expect(framer.feed(Array(retr.utf8)) == [.lineTooLong(length: Limits.pop3MaximumLineLength + 1)])
        let lookalike = Self.authLine(length: Limits.pop3MaximumLineLength + 1, verb: "AUTHX")
        #expect(framer.feed(Array(lookalike.utf8)) == [.lineTooLong(length: Limits.pop3MaximumLineLength + 1)])
    }

    @Test func theLineAfterAUTHMechanismIsTheSASLResponse() {
        let limit = Limits.pop3MaximumAuthenticateLineLength
        var framer = POP3LineFramer()
        let response = String(repeating: "Q", count: limit - 2) + "\r\n"
        #expect(
            framer.feed(Array("AUTH XOAUTH2\r\n".utf8) + Array(response.utf8)) == [
                .line(Array("AUTH XOAUTH2".utf8)), Self.line(response),
            ])
        // Only the one line after it.
        #expect(framer.feed(Array(response.utf8)) == [.lineTooLong(length: limit)])
        let over = String(repeating: "Q", count: limit - 1) + "\r\n"
        #expect(
            framer.feed(Array(("AUTH XOAUTH2\r\n" + over + "NOOP\r\n").utf8)) == [
                .line(Array("AUTH XOAUTH2".utf8)), .authenticateLineTooLong(length: limit + 1),
                .line(Array("NOOP".utf8)),
            ])
    }

    @Test func twelveKilobyteTokenLogsInWithInitialResponseAndWithContinuation() throws {
        let tokens = try RealTokens(mailbox: testMailbox, clock: clock)
        let token = tokens.token(bytes: 12 * 1024)
        let response = XOAUTH2Credentials(user: testMailbox, token: token).initialResponse
        #expect(
            response.utf8.count > Limits.pop3MaximumLineLength,
            "the point of the test: the line is over the ordinary limit")
        let store = InMemoryMaildrops([testMailbox: sampleMessages])
        let server = POP3Server(
            store: store, authenticator: tokens.authenticator,
            settings: ExchangeSettings(pop3XOAUTH2InitialResponse: .accept))

        let one = try EmbeddedPOP3(server: server, clock: clock, id: "pop3-big-1", tls: tls)
        _ = try one.output()
        #expect(try one.send("AUTH XOAUTH2 \(response)\r\n") == "+OK User successfully authenticated.\r\n")
        #expect(try one.send("STAT\r\n").hasPrefix("+OK 3 "))
        #expect(try one.send("QUIT\r\n").hasPrefix("+OK"))

        let two = try EmbeddedPOP3(server: server, clock: clock, id: "pop3-big-2", tls: tls)
        _ = try two.output()
        #expect(try two.send("AUTH XOAUTH2\r\n") == "+ \r\n")
        let bytes = Array((response + "\r\n").utf8)
        var out = ""
        for start in stride(from: 0, to: bytes.count, by: 4000) {
            var buffer = ByteBuffer()
            buffer.writeBytes(bytes[start..<min(bytes.count, start + 4000)])
            try two.channel.writeInbound(buffer)
            out += try two.output()
        }
        #expect(out == "+OK User successfully authenticated.\r\n")
        #expect(try two.send("STAT\r\n").hasPrefix("+OK 3 "))
    }

    @Test func authLinesOverTheLimitGetErrAndTheConnectionGoesOn() throws {
        let limit = Limits.pop3MaximumAuthenticateLineLength
        let store = InMemoryMaildrops([testMailbox: sampleMessages])
        let server = POP3Server(
            store: store, authenticator: FakeAuthenticator(),
            settings: ExchangeSettings(pop3XOAUTH2InitialResponse: .accept))
        let pop = try EmbeddedPOP3(server: server, clock: clock, id: "pop3-over", tls: tls)
        _ = try pop.output()
        let tooLong =
            "-ERR Protocol error. AUTH line too long (limit \(limit) bytes); the access token is too large.\r\n"
        // At the limit: framed and judged (the filler is no XOAUTH2 response).
        #expect(
            try pop.send(Self.authLine(length: limit))
                == "-ERR Authentication failure: unknown user name or bad password.\r\n")
        #expect(try pop.send(Self.authLine(length: limit + 1)) == tooLong)
        #expect(pop.channel.isActive)
        // The continuation form.
        #expect(try pop.send("AUTH XOAUTH2\r\n") == "+ \r\n")
        #expect(try pop.send(String(repeating: "Q", count: limit - 1) + "\r\n") == tooLong)
        #expect(pop.events(.authFailed).contains { $0["reason"] == "malformed_sasl" })
        // Still in AUTHORIZATION and usable.
        #expect(try pop.send("STAT\r\n").hasPrefix("-ERR"))
        #expect(try pop.send("AUTH XOAUTH2 \(xoauth2("good-token"))\r\n") == "+OK User successfully authenticated.\r\n")
        #expect(try pop.send("STAT\r\n").hasPrefix("+OK 3 "))
    }
}
