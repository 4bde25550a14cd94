import Determinism
import ExomockLimits
import ExomockTestSupport
import Foundation
import IMAPServer
import IMAPWire
import MailAuthentication
import NIOCore
import Testing

/// `Limits.imapMaximumAuthenticateLineLength`: AUTHENTICATE lines and SASL responses may be longer than
/// ordinary command lines, because an XOAUTH2 response carries the whole access token (Entra tokens
/// with many group claims run to 6–12 KB; 16 KiB is the largest the verifier reads).
@Suite struct IMAPLargeTokenTests {
    /// `<tag> AUTHENTICATE XOAUTH2 <filler>` of exactly `length` bytes, CRLF included.
    static func authenticateLine(tag: String = "a", length: Int, verb: String = "AUTHENTICATE") -> String {
        let head = "\(tag) \(verb) XOAUTH2 "
        return head + String(repeating: "A", count: length - head.utf8.count - 2) + "\r\n"
    }

    @Test func framerAllowsAuthenticateLinesUpToTheirOwnLimit() {
        let limit = Limits.imapMaximumAuthenticateLineLength
        #expect(limit > Limits.imapMaximumLineLength)
        let atLimit = Self.authenticateLine(length: limit)
        #expect(atLimit.utf8.count == limit)
        #expect(frames(atLimit, chunk: 1000) == [.command(Array(atLimit.utf8.dropLast(2)))])
        // Lower case verb too.
        let lower = Self.authenticateLine(tag: "b", length: limit, verb: "authenticate")
        #expect(frames(lower, chunk: 777) == [.command(Array(lower.utf8.dropLast(2)))])
        // One byte over: BAD on the tag, and the next command is framed normally.
        let over = Self.authenticateLine(length: limit + 1) + "b NOOP\r\n"
        #expect(
            frames(over, chunk: 1000) == [
                .rejected(tag: "a", reason: .authenticateLineTooLong(limit: limit)), command("b NOOP"),
            ])
        #expect(
            frames(over) == [.rejected(tag: "a", reason: .authenticateLineTooLong(limit: limit)), command("b NOOP")])
    }

    @Test func otherCommandsKeepTheOrdinaryLimit() {
        let line = Self.authenticateLine(length: Limits.imapMaximumLineLength + 1, verb: "SELECT")
        #expect(frames(line) == [.rejected(tag: "a", reason: .lineTooLong(limit: Limits.imapMaximumLineLength))])
        // A word that merely starts like AUTHENTICATE is not one.
        let lookalike = Self.authenticateLine(length: Limits.imapMaximumLineLength + 1, verb: "AUTHENTICATEX")
        #expect(frames(lookalike) == [.rejected(tag: "a", reason: .lineTooLong(limit: Limits.imapMaximumLineLength))])
    }

    @Test func saslResponseLineGetsTheLimitOnlyWhenExpected() {
        let limit = Limits.imapMaximumAuthenticateLineLength
        var framer = IMAPFramer()
        framer.expectsSASLResponse = true
        let atLimit = String(repeating: "Q", count: limit - 2) + "\r\n"
        let got = frames(atLimit, chunk: 4096, framer: framer)
        #expect(got.count == 1)
        if case .command(let bytes) = got.first {
            #expect(bytes.count == limit - 2)
        } else {
            Issue.record("not a command: \(got.first.map { "\($0)".prefix(80) } ?? "none")")
        }
        let over = String(repeating: "Q", count: limit - 1) + "\r\n"
        #expect(
            frames(over, chunk: 4096, framer: framer) == [
                .rejected(tag: "*", reason: .authenticateLineTooLong(limit: limit))
            ])
        framer.expectsSASLResponse = false
        #expect(
            frames(atLimit, framer: framer) == [
                .rejected(tag: "*", reason: .lineTooLong(limit: Limits.imapMaximumLineLength))
            ])
    }

    @Test func twelveKilobyteTokenLogsInWithSASLIRAndWithContinuation() throws {
        let tokens = try RealTokens(mailbox: imapMailbox, clock: VirtualClock(start: VirtualClock.defaultStart))
        let token = tokens.token(bytes: 12 * 1024)
        #expect(token.utf8.count >= 12 * 1024 && token.utf8.count < 12 * 1024 + 4)
        let response = XOAUTH2Credentials(user: imapMailbox, token: token).initialResponse
        #expect(
            response.utf8.count > Limits.imapMaximumLineLength,
            "the point of the test: the line is over the ordinary limit")

        let c = try EmbeddedIMAP(authenticator: tokens.authenticator)
        _ = try c.output()
        #expect(try c.send("a AUTHENTICATE XOAUTH2 \(response)\r\n") == "a OK AUTHENTICATE completed.\r\n")
        #expect(try c.send("b SELECT INBOX\r\n").hasSuffix("b OK [READ-WRITE] SELECT completed.\r\n"))

        let d = try EmbeddedIMAP(authenticator: tokens.authenticator)
        _ = try d.output()
        #expect(try d.send("a AUTHENTICATE XOAUTH2\r\n") == "+ \r\n")
        // Sent in pieces, as TLS records would deliver it.
        let bytes = Array((response + "\r\n").utf8)
        var out = ""
        for start in stride(from: 0, to: bytes.count, by: 4000) {
            var buffer = ByteBuffer()
            buffer.writeBytes(bytes[start..<min(bytes.count, start + 4000)])
            try d.channel.writeInbound(buffer)
            out += try d.output()
        }
        #expect(out == "a OK AUTHENTICATE completed.\r\n")
        #expect(d.events.contains { $0.event == .authSucceeded && $0.detail["mailbox"] == imapMailbox })
    }

    @Test func authenticateLineOverTheLimitGetsBADAndTheConnectionGoesOn() throws {
        let limit = Limits.imapMaximumAuthenticateLineLength
        let c = try EmbeddedIMAP()
        _ = try c.output()
        // Exactly at the limit: framed, then judged as XOAUTH2 (filler is not a valid response).
        #expect(try c.send(Self.authenticateLine(tag: "a", length: limit)) == "a NO AUTHENTICATE failed.\r\n")
        let over = try c.send(Self.authenticateLine(tag: "b", length: limit + 1))
        #expect(
            over
                == "b BAD Command Error. The AUTHENTICATE line is longer than \(limit) bytes (Limits.imapMaximumAuthenticateLineLength); the access token is too large.\r\n"
        )
        #expect(c.channel.isActive)
        let xo = XOAUTH2Credentials(user: imapMailbox, token: "good-token").initialResponse
        #expect(try c.send("c AUTHENTICATE XOAUTH2 \(xo)\r\n") == "c OK AUTHENTICATE completed.\r\n")
    }

    @Test func saslResponseOverTheLimitEndsTheExchangeWithBADOnItsTag() throws {
        let limit = Limits.imapMaximumAuthenticateLineLength
        let c = try EmbeddedIMAP()
        _ = try c.output()
        #expect(try c.send("a AUTHENTICATE XOAUTH2\r\n") == "+ \r\n")
        let atLimit = String(repeating: "Q", count: limit - 2) + "\r\n"
        #expect(try c.send(atLimit) == "a NO AUTHENTICATE failed.\r\n")
        #expect(try c.send("b AUTHENTICATE XOAUTH2\r\n") == "+ \r\n")
        let over = String(repeating: "Q", count: limit - 1) + "\r\n"
        #expect(try c.send(over).hasPrefix("b BAD Command Error. The AUTHENTICATE line is longer than \(limit) bytes"))
        #expect(c.events.contains { $0.event == .authFailed && $0.detail["reason"] == "malformed_sasl" })
        // Back to not authenticated, connection usable.
        #expect(try c.send("c NOOP\r\n") == "c OK NOOP completed.\r\n")
        #expect(try c.send("d SELECT INBOX\r\n") == "d BAD Command received in Invalid state.\r\n")
        let xo = XOAUTH2Credentials(user: imapMailbox, token: "good-token").initialResponse
        #expect(try c.send("e AUTHENTICATE XOAUTH2 \(xo)\r\n") == "e OK AUTHENTICATE completed.\r\n")
    }

    @Test func saslResponseLimitIsTheSessionsTag() throws {
        var h = try SessionHarness()
        _ = h.send("t7 AUTHENTICATE XOAUTH2")
        #expect(h.session.isAwaitingSASL)
        let out = h.session.framingRejected(tag: "*", reason: .authenticateLineTooLong(limit: 9))
        #expect(out.wire.hasPrefix("t7 BAD "))
        #expect(h.session.state == .notAuthenticated)
    }
}

@Suite struct IMAPNotConnectedByeTests {
    @Test func badThenByeThenClose() throws {
        let c = try EmbeddedIMAP()
        _ = try c.output()
        let xo = XOAUTH2Credentials(user: imapMailbox, token: "no-access-token").initialResponse
        #expect(try c.send("a AUTHENTICATE XOAUTH2 \(xo)\r\n") == "a OK AUTHENTICATE completed.\r\n")
        #expect(try c.send("b CAPABILITY\r\n").hasSuffix("b OK CAPABILITY completed.\r\n"))
        // A pipelined command after the failing one is never answered.
        #expect(
            try c.send("c SELECT INBOX\r\nd NOOP\r\n")
                == "c BAD User is authenticated but not connected.\r\n* BYE Connection closed. 14\r\n")
        #expect(!c.channel.isActive)
        #expect(c.events.contains { $0.event == .commandNotConnected && $0.detail["reason"] == "no_mailbox_access" })
        #expect(c.server.sessions.count(imapMailbox) == 0)
    }
}

@Suite struct IMAPSessionsPerMailboxLimitTests {
    /// `Limits.imapSessionsPerMailbox` at its real value: 20 sessions connect, the 21st is authenticated
    /// but not connected (and told so, then BYE), and a slot freed by LOGOUT can be taken again.
    @Test func twentyFirstSessionIsNotConnected() throws {
        let store = try makeIMAPStore()
        let counter = IMAPSessionCounter(limit: Limits.imapSessionsPerMailbox)
        var sessions: [SessionHarness] = []
        for _ in 0..<Limits.imapSessionsPerMailbox {
            var h = try SessionHarness(store: store, counter: counter)
            #expect(h.login().notes.first?.event == .authSucceeded)
            sessions.append(h)
        }
        var extra = try SessionHarness(store: store, counter: counter)
        let out = extra.login()
        #expect(
            out.wire == "a0 OK AUTHENTICATE completed.\r\n" && out.notes.first?.detail["reason"] == "too_many_sessions")
        #expect(
            extra.wire("x SELECT INBOX")
                == "x BAD User is authenticated but not connected.\r\n* BYE Connection closed. 14\r\n")
        #expect(counter.count(imapMailbox) == Limits.imapSessionsPerMailbox)
        _ = sessions[0].send("z LOGOUT")
        var again = try SessionHarness(store: store, counter: counter)
        #expect(again.login().notes.first?.event == .authSucceeded)
    }
}
