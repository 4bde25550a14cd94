import Determinism
import Foundation
import IMAPServer
import MailAuthentication
import NIOCore
import NIOEmbedded
import ScenarioModel
import Testing

/// Scenario `faults:` with `service: imap`: `disconnect` closes at a matching command without a reply,
/// `latency` holds the command for `seconds` of real time (here the EmbeddedEventLoop's time), both
/// decided by counts (`after`, `count`), never by a clock.
@Suite struct IMAPFaultTests {
    static let login =
        "a AUTHENTICATE XOAUTH2 \(XOAUTH2Credentials(user: imapMailbox, token: "good-token").initialResponse)\r\n"

    static func server(_ faults: [Fault]) throws -> IMAPServer {
        IMAPServer(
            store: try makeIMAPStore(), authenticator: TestAuthenticator(), settings: ExchangeSettings(),
            faults: MailFaults(faults: faults, service: .imap, cloud: .gccHigh))
    }

    @Test func countsDecideWhichCommandsAreHit() {
        let faults = MailFaults(
            faults: [Fault(service: .imap, kind: .disconnect, match: "fetch", after: 2, count: 2)], service: .imap,
            cloud: .gccHigh)
        let hits = ["FETCH", "NOOP", "UID FETCH", "FETCH", "FETCH", "FETCH"].map { faults.action(forCommand: $0) }
        #expect(hits == [nil, nil, nil, .disconnect(afterBytes: nil), .disconnect(afterBytes: nil), nil])
        #expect(MailFaults.matches(nil, command: "ANYTHING"))
        #expect(
            MailFaults.matches("uid fetch", command: "UID FETCH") && !MailFaults.matches("UID FETCH", command: "FETCH"))
    }

    @Test func faultsForOtherServicesOrCloudsAreIgnored() {
        let faults = [
            Fault(service: .pop3, kind: .disconnect), Fault(service: .imap, kind: .disconnect, cloud: .worldwide),
            Fault(service: .token, kind: .throttle),
        ]
        #expect(MailFaults(faults: faults, service: .imap, cloud: .gccHigh).isEmpty)
        #expect(!MailFaults(faults: faults, service: .imap, cloud: .worldwide).isEmpty)
        #expect(!MailFaults(faults: faults, service: .pop3, cloud: .gccHigh).isEmpty)
    }

    @Test func disconnectClosesAtTheMatchingCommandWithoutAReply() throws {
        let server = try Self.server([Fault(service: .imap, kind: .disconnect, match: "SELECT", after: 1, count: 1)])
        let first = try EmbeddedIMAP(server: server)
        _ = try first.output()
        #expect(try first.send(Self.login) == "a OK AUTHENTICATE completed.\r\n")
        #expect(try first.send("b SELECT INBOX\r\n").hasSuffix("b OK [READ-WRITE] SELECT completed.\r\n"))
        // The second SELECT (across connections) is hit: no reply, closed, journaled, slot released.
        #expect(try first.send("c SELECT INBOX\r\nd NOOP\r\n") == "")
        #expect(!first.channel.isActive)
        #expect(first.events.contains { $0.event == .faultDisconnect && $0.detail["command"] == "SELECT" })
        #expect(server.sessions.count(imapMailbox) == 0)
        // count: 1 — the next SELECT goes through.
        let second = try EmbeddedIMAP(server: server)
        _ = try second.output()
        _ = try second.send(Self.login)
        #expect(try second.send("e SELECT INBOX\r\n").hasSuffix("e OK [READ-WRITE] SELECT completed.\r\n"))
    }

    @Test func latencyHoldsTheCommandAndEverythingAfterIt() throws {
        let server = try Self.server([Fault(service: .imap, kind: .latency, match: "NOOP", count: 1, seconds: 2)])
        let c = try EmbeddedIMAP(server: server)
        _ = try c.output()
        #expect(try c.send("a NOOP\r\nb ID NIL\r\n") == "")
        #expect(c.events.contains { $0.event == .faultLatency && $0.detail["seconds"] == "2.0" })
        c.channel.embeddedEventLoop.advanceTime(by: .milliseconds(1999))
        #expect(try c.output() == "")
        #expect(try c.send("c NOOP\r\n") == "", "input during the delay waits too")
        c.channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(
            try c.output()
                == "a OK NOOP completed.\r\n* ID (\"name\" \"Microsoft.Exchange.Imap4.Imap4Server\" \"version\" \"15.20\")\r\nb OK ID completed.\r\nc OK NOOP completed.\r\n"
        )
        // count: 1 — later NOOPs are immediate.
        #expect(try c.send("d NOOP\r\n") == "d OK NOOP completed.\r\n")
    }

    @Test func saslResponseLinesAreNotCommands() throws {
        let server = try Self.server([Fault(service: .imap, kind: .disconnect)])
        let c = try EmbeddedIMAP(server: server)
        _ = try c.output()
        // Every command is hit, starting with the first.
        #expect(try c.send("a NOOP\r\n") == "")
        #expect(!c.channel.isActive)
        let faults = MailFaults(
            faults: [Fault(service: .imap, kind: .disconnect, match: "AUTHENTICATE", after: 1)], service: .imap,
            cloud: nil)
        let d = try EmbeddedIMAP(
            server: IMAPServer(
                store: try makeIMAPStore(), authenticator: TestAuthenticator(), settings: ExchangeSettings(),
                faults: faults))
        _ = try d.output()
        #expect(try d.send("a AUTHENTICATE XOAUTH2\r\n") == "+ \r\n")
        // The SASL response is not counted as a command (it would be a second AUTHENTICATE otherwise).
        #expect(
            try d.send(XOAUTH2Credentials(user: imapMailbox, token: "good-token").initialResponse + "\r\n")
                == "a OK AUTHENTICATE completed.\r\n")
        #expect(try d.send("b AUTHENTICATE XOAUTH2\r\n") == "")
        #expect(!d.channel.isActive)
    }
}
