import Determinism
import ExomockTestSupport
import Foundation
import IMAPServer
import Journal
import ListenerSupport
import MailAuthentication
import MailStore
import MicrosoftClouds
import NIOCore
import NIOEmbedded
import NIOSSL
import ScenarioModel
import Testing

/// One IMAP connection on an EmbeddedChannel.
final class EmbeddedIMAP {
    let channel = EmbeddedChannel()
    let journal: Journal
    let clock: VirtualClock
    let store: MailStore
    let server: IMAPServer
    let certificate: ThrowawayCertificate

    init(
        tlsMode: TLSMode = .implicit, settings: ExchangeSettings = ExchangeSettings(),
        authenticator: any MailAuthenticating = TestAuthenticator(), server: IMAPServer? = nil
    ) throws {
        clock = VirtualClock(start: VirtualClock.defaultStart)
        journal = Journal(clock: clock)
        store = try server?.store ?? makeIMAPStore(clock: clock)
        self.server = server ?? IMAPServer(store: store, authenticator: authenticator, settings: settings)
        certificate = try ThrowawayCertificate.make()
        let context = ConnectionContext(
            cloud: Cloud.named(.gccHigh), service: .imap, tlsMode: tlsMode, connectionID: "imap-1",
            tls: try certificate.serverContext(), journal: journal, clock: clock)
        try self.server.configure(channel: channel, context: context)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
    }

    deinit { certificate.remove() }

    /// Everything written since the last call, as text.
    func output() throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            text += String(buffer: buffer)
        }
        return text
    }

    func send(_ text: String) throws -> String {
        try channel.writeInbound(ByteBuffer(string: text))
        return try output()
    }

    var events: [JournalEvent] { journal.events() }
}

@Suite struct IMAPChannelTests {
    @Test func greetingAndPipelinedCommands() throws {
        let c = try EmbeddedIMAP()
        #expect(
            try c.output()
                == "* OK The Microsoft Exchange IMAP4 service is ready. [TQBOADIAUABSADAAMQBDAEEAMAAwADAANwA=]\r\n")
        let out = try c.send("a NOOP\r\nb ID NIL\r\nc LOGOUT\r\n")
        #expect(
            out
                == "a OK NOOP completed.\r\n* ID (\"name\" \"Microsoft.Exchange.Imap4.Imap4Server\" \"version\" \"15.20\")\r\nb OK ID completed.\r\n* BYE Microsoft Exchange Server IMAP4 server signing off.\r\nc OK LOGOUT completed.\r\n"
        )
        #expect(!c.channel.isActive)
    }

    @Test func commandsSplitAcrossReadsAndLiteralContinuation() throws {
        let c = try EmbeddedIMAP()
        _ = try c.output()
        #expect(try c.send("a NO") == "")
        #expect(try c.send("OP\r") == "")
        #expect(try c.send("\n") == "a OK NOOP completed.\r\n")
        let xo = XOAUTH2Credentials(user: imapMailbox, token: "good-token").initialResponse
        #expect(try c.send("b AUTHENTICATE XOAUTH2 \(xo)\r\n") == "b OK AUTHENTICATE completed.\r\n")
        #expect(try c.send("c APPEND INBOX {13}\r\n") == "+ Ready for additional command text.\r\n")
        let appended = try c.send("Subject: hi\r\n\r\n")
        #expect(appended.hasPrefix("c OK [APPENDUID "))
        #expect(c.events.contains { $0.event == .authSucceeded && $0.detail["mailbox"] == imapMailbox })
    }

    @Test func startTLSDiscardsPipelinedPlaintext() throws {
        let c = try EmbeddedIMAP(tlsMode: .starttls)
        _ = try c.output()
        let out = try c.send("a STARTTLS\r\nb LOGIN x y\r\n")
        #expect(out == "a OK Begin TLS negotiation now.\r\n")
        // TLS is now first in the pipeline; the pipelined LOGIN was never processed.
        #expect((try? c.channel.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self)) != nil)
        #expect(c.events.contains { $0.event == .tlsDiscarded && $0.detail["bytes"] == "13" })
        #expect(!c.events.contains { $0.event == .authFailed })
    }

    @Test func authFailureIsJournalledWithReason() throws {
        let c = try EmbeddedIMAP()
        _ = try c.output()
        let xo = XOAUTH2Credentials(user: imapMailbox, token: "expired-token").initialResponse
        #expect(try c.send("a AUTHENTICATE XOAUTH2 \(xo)\r\n") == "a NO AUTHENTICATE failed.\r\n")
        let event = try #require(c.events.first { $0.event == .authFailed })
        #expect(event.detail["reason"] == "token_expired")
        #expect(event.connection == "imap-1" && event.service == .imap && event.cloud == "gcc-high")
    }

    @Test func limitsCrossedOnTheWire() throws {
        let c = try EmbeddedIMAP()
        _ = try c.output()
        let long = "a1 NOOP " + String(repeating: "x", count: 9000) + "\r\n"
        #expect(
            try c.send(long)
                == "a1 BAD Command Error. The command line is longer than 8192 bytes (Limits.imapMaximumLineLength); send long values as literals.\r\n"
        )
        #expect(
            try c.send("a2 APPEND INBOX {36700161}\r\n")
                == "a2 BAD Command Error. The literal of 36700161 bytes is larger than 36700160 bytes (Limits.imapMaximumLiteralSize).\r\n"
        )
        #expect(try c.send("a3 SEARCH " + String(repeating: "(", count: 3000) + "\r\n").hasPrefix("a3 BAD"))
        #expect(try c.send("a4 NOOP\r\n") == "a4 OK NOOP completed.\r\n")
        #expect(
            try c.send("a5 APPEND INBOX {36700161+}\r\n")
                == "* BYE Command Error. The literal of 36700161 bytes is larger than 36700160 bytes (Limits.imapMaximumLiteralSize).\r\n"
        )
        #expect(!c.channel.isActive)
    }

    @Test func idlePushesExistsWhenAdminAPIDelivers() throws {
        let c = try EmbeddedIMAP()
        _ = try c.output()
        let xo = XOAUTH2Credentials(user: imapMailbox, token: "good-token").initialResponse
        _ = try c.send("a AUTHENTICATE XOAUTH2 \(xo)\r\nb SELECT INBOX\r\n")
        #expect(try c.send("c IDLE\r\n") == "+ IDLE accepted, awaiting DONE command.\r\n")
        try c.store.append(toMailbox: imapMailbox, rawMessage: Array("Subject: new\n\nhello\n".utf8))
        c.channel.embeddedEventLoop.run()
        #expect(try c.output() == "* 4 EXISTS\r\n")
        #expect(try c.send("DONE\r\n") == "c OK IDLE completed.\r\n")
        #expect(c.store.subscriptionCount == 1)
        _ = try c.send("d LOGOUT\r\n")
        #expect(c.store.subscriptionCount == 0)
    }

    @Test func autoLogoutOnVirtualIdleTime() throws {
        let c = try EmbeddedIMAP(settings: ExchangeSettings(idleTimeout: 1800))
        _ = try c.output()
        #expect(try c.send("a NOOP\r\n") == "a OK NOOP completed.\r\n")
        c.clock.advance(by: 1801)
        #expect(try c.send("b NOOP\r\n") == "* BYE Connection is closed. 13\r\n")
        #expect(!c.channel.isActive)
        #expect(c.events.contains { $0.event == .connectionBye })
    }

    /// The idle limit is virtual time, looked at on a real-time check timer: real time alone closes nothing,
    /// and once the clock has moved past the limit the next check closes the session without a command.
    @Test func autoLogoutOnTheCheckTimerOnceVirtualTimeHasPassed() throws {
        let c = try EmbeddedIMAP(settings: ExchangeSettings(idleTimeout: 5))
        _ = try c.output()
        c.channel.embeddedEventLoop.advanceTime(by: .seconds(6))
        #expect(try c.output() == "")
        #expect(c.channel.isActive)
        c.clock.advance(by: 6)
        c.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(try c.output() == "* BYE Connection is closed. 13\r\n")
        #expect(!c.channel.isActive)
    }

    @Test func noCommandIsProcessedWhileTheClientIsNotReading() throws {
        let c = try EmbeddedIMAP()
        _ = try c.output()
        c.channel.isWritable = false
        c.channel.pipeline.fireChannelWritabilityChanged()
        #expect(try c.send("a NOOP\r\nb NOOP\r\n") == "")
        c.channel.isWritable = true
        c.channel.pipeline.fireChannelWritabilityChanged()
        #expect(try c.output() == "a OK NOOP completed.\r\nb OK NOOP completed.\r\n")
    }

    @Test func shutdownSaysBye() throws {
        let c = try EmbeddedIMAP()
        _ = try c.output()
        c.server.beginShutdown()
        c.channel.embeddedEventLoop.run()
        #expect(try c.output() == "* BYE Connection is closed. 13\r\n")
        #expect(!c.channel.isActive)
    }
}
