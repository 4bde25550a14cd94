import Determinism
import ExomockTestSupport
import Foundation
import Journal
import ListenerSupport
import MailAuthentication
import MailStore
import MicrosoftClouds
import NIOCore
import NIOEmbedded
import NIOSSL
import POP3Server
import ScenarioModel
import Testing

/// One EmbeddedChannel connection to a POP3Server.
final class EmbeddedPOP3 {
    let channel = EmbeddedChannel()
    let journal: Journal
    let context: ConnectionContext

    init(server: POP3Server, tlsMode: TLSMode = .implicit, clock: VirtualClock, id: String, tls: NIOSSLContext) throws {
        journal = Journal(clock: clock)
        context = ConnectionContext(
            cloud: Cloud.named(.gccHigh), service: .pop3, tlsMode: tlsMode, connectionID: id, tls: tls,
            journal: journal, clock: clock
        )
        try server.configure(channel: channel, context: context)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
    }

    /// Sends raw bytes and returns everything the server wrote since the last call.
    func send(_ text: String) throws -> String {
        try channel.writeInbound(ByteBuffer(string: text))
        return try output()
    }

    func output() throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            text += String(buffer: buffer)
        }
        return text
    }

    func events(_ name: JournalEvent.Name) -> [[String: String]] {
        journal.events().filter { $0.event == name }.map(\.detail)
    }
}

@Suite struct POP3ChannelTests {
    let certificate: ThrowawayCertificate
    let tls: NIOSSLContext
    let clock = VirtualClock(start: VirtualClock.defaultStart)

    init() throws {
        let made = try ThrowawayCertificate.make()
        defer { made.remove() }  // the context holds the key in memory; no file is needed after this
        certificate = made
        tls = try made.serverContext()
    }

    func server(
        _ store: InMemoryMaildrops, settings: ExchangeSettings = ExchangeSettings(pop3XOAUTH2InitialResponse: .accept)
    ) -> POP3Server {
        POP3Server(store: store, authenticator: FakeAuthenticator(), settings: settings)
    }

    @Test func fullSessionWithDeletionAppliedAtQuit() throws {
        let store = InMemoryMaildrops([testMailbox: sampleMessages])
        let pop = try EmbeddedPOP3(server: server(store), clock: clock, id: "pop3-1", tls: tls)
        #expect(
            try pop.output()
                == "+OK The Microsoft Exchange POP3 service is ready. [TQBOADIAUABSADAAMQBDAEEAMAAwADAANwA=]\r\n")
        #expect(try pop.send("CAPA\r\n") == "+OK\r\nTOP\r\nUIDL\r\nSASL PLAIN XOAUTH2\r\nUSER\r\n.\r\n")
        #expect(try pop.send("AUTH XOAUTH2\r\n") == "+ \r\n")
        #expect(try pop.send(xoauth2("good-token") + "\r\n") == "+OK User successfully authenticated.\r\n")
        #expect(
            try pop.send("RETR 2\r\n")
                == "+OK\r\nFrom: b@example.com\r\nSubject: [HD-2] dots\r\n\r\n..leading dot\r\n...two dots\r\n..\r\nend\r\n.\r\n"
        )
        #expect(try pop.send("DELE 1\r\n") == "+OK\r\n")
        #expect(store.uids(testMailbox) == [1, 2, 3])
        #expect(try pop.send("QUIT\r\n") == "+OK Microsoft Exchange Server POP3 server signing off.\r\n")
        #expect(store.uids(testMailbox) == [2, 3])
        #expect(!pop.channel.isActive)
        #expect(pop.events(.authSucceeded).first?["mailbox"] == testMailbox)
        #expect(store.locks.holder(of: testMailbox) == nil)
    }

    @Test func dropBeforeQuitKeepsEveryMessageAndReleasesTheLock() throws {
        let store = InMemoryMaildrops([testMailbox: sampleMessages])
        let srv = server(
            store, settings: ExchangeSettings(pop3Maildrop: .exclusive, pop3XOAUTH2InitialResponse: .accept))
        let first = try EmbeddedPOP3(server: srv, clock: clock, id: "pop3-1", tls: tls)
        _ = try first.send("AUTH XOAUTH2 \(xoauth2("good-token"))\r\nDELE 1\r\nDELE 2\r\n")
        #expect(store.locks.holder(of: testMailbox) == "pop3-1")
        let second = try EmbeddedPOP3(server: srv, clock: clock, id: "pop3-2", tls: tls)
        _ = try second.output()
        #expect(
            try second.send("AUTH XOAUTH2 \(xoauth2("good-token"))\r\n")
                == "-ERR The mailbox is in use by another POP3 session; close it with QUIT and try again.\r\n")
        #expect(second.events(.authFailed).first?["reason"] == "too_many_sessions")
        _ = try? first.channel.close().wait()
        #expect(store.uids(testMailbox) == [1, 2, 3])
        #expect(first.events(.pop3Dropped).first?["discarded_deletions"] == "2")
        #expect(
            try second.send("AUTH XOAUTH2 \(xoauth2("good-token"))\r\nSTAT\r\n").hasPrefix(
                "+OK User successfully authenticated.\r\n+OK 3 "))
    }

    @Test func stlsDiscardsPipelinedPlaintextAndPutsTLSInFront() throws {
        let store = InMemoryMaildrops([testMailbox: sampleMessages])
        let pop = try EmbeddedPOP3(server: server(store), tlsMode: .starttls, clock: clock, id: "pop3-1", tls: tls)
        _ = try pop.output()
        #expect(try pop.send("CAPA\r\n") == "+OK\r\nTOP\r\nUIDL\r\nSASL PLAIN XOAUTH2\r\nUSER\r\nSTLS\r\n.\r\n")
        #expect(
            try pop.send("STLS\r\nAUTH XOAUTH2 \(xoauth2("good-token"))\r\nSTAT\r\n")
                == "+OK Begin TLS negotiation.\r\n")
        #expect(throws: Never.self) { try pop.channel.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self) }
        #expect(pop.events(.authSucceeded).isEmpty)
        #expect(store.locks.holder(of: testMailbox) == nil)
    }

    @Test func pipelinedCommandsWaitWhileTheClientDoesNotRead() throws {
        let store = InMemoryMaildrops([testMailbox: sampleMessages])
        let pop = try EmbeddedPOP3(server: server(store), clock: clock, id: "pop3-1", tls: tls)
        _ = try pop.send("AUTH XOAUTH2 \(xoauth2("good-token"))\r\n")
        pop.channel.isWritable = false
        #expect(try pop.send("RETR 1\r\nRETR 2\r\nNOOP\r\n") == "")
        pop.channel.isWritable = true
        pop.channel.pipeline.fireChannelWritabilityChanged()
        let out = try pop.output()
        #expect(out.hasPrefix("+OK\r\nFrom: a@example.com"))
        #expect(out.hasSuffix("end\r\n.\r\n+OK\r\n"))
    }

    @Test func overlongLineIsRefusedAndTheConnectionStaysUsable() throws {
        let store = InMemoryMaildrops([testMailbox: sampleMessages])
        let pop = try EmbeddedPOP3(server: server(store), clock: clock, id: "pop3-1", tls: tls)
        _ = try pop.output()
        let long = "NOOP " + String(repeating: "x", count: 16 * 1024) + "\r\n"
        #expect(try pop.send(long) == "-ERR Protocol error. Command line too long (limit 16384 bytes).\r\n")
        #expect(try pop.send("NOOP\r\n") == "+OK\r\n")
        #expect(pop.events(.commandTooLong).count == 1)
    }

    @Test func failureLinesAndJournalReasons() throws {
        let store = InMemoryMaildrops([testMailbox: sampleMessages])
        let pop = try EmbeddedPOP3(server: server(store), clock: clock, id: "pop3-1", tls: tls)
        _ = try pop.output()
        let failure = "-ERR Authentication failure: unknown user name or bad password.\r\n"
        #expect(try pop.send("AUTH XOAUTH2 \(xoauth2("expired-token"))\r\n") == failure)
        #expect(try pop.send("AUTH XOAUTH2\r\n\(xoauth2("wrong-aud-token"))\r\n") == "+ \r\n" + failure)
        #expect(try pop.send("AUTH XOAUTH2 \(xoauth2("no-access-token"))\r\n") == failure)
        #expect(
            try pop.send("USER \(testMailbox)\r\nPASS Passw0rd!\r\n")
                == "+OK\r\n-ERR Logon failure: unknown user name or bad password.\r\n")
        #expect(
            pop.events(.authFailed).map { $0["reason"] ?? "" } == [
                "token_expired", "wrong_audience", "no_mailbox_access", "basic_auth_disabled",
            ])
    }

    @Test func basicAuthWorksWhenTheScenarioTurnsItOn() throws {
        let store = InMemoryMaildrops([testMailbox: sampleMessages])
        let pop = try EmbeddedPOP3(
            server: server(store, settings: ExchangeSettings(basicAuth: true, pop3XOAUTH2InitialResponse: .accept)),
            clock: clock, id: "pop3-1", tls: tls)
        _ = try pop.output()
        #expect(
            try pop.send("USER \(testMailbox)\r\nPASS wrong\r\n")
                == "+OK\r\n-ERR Logon failure: unknown user name or bad password.\r\n")
        #expect(
            try pop.send("USER \(testMailbox)\r\nPASS Passw0rd!\r\n")
                == "+OK\r\n+OK User successfully authenticated.\r\n")
    }

    @Test func idleTimeoutFollowsTheVirtualClock() throws {
        let store = InMemoryMaildrops([testMailbox: sampleMessages])
        let pop = try EmbeddedPOP3(
            server: server(store, settings: ExchangeSettings(idleTimeout: 600, pop3XOAUTH2InitialResponse: .accept)),
            clock: clock, id: "pop3-1", tls: tls)
        _ = try pop.send("AUTH XOAUTH2 \(xoauth2("good-token"))\r\nDELE 1\r\n")
        // Real time passes, virtual time does not: the session stays.
        pop.channel.embeddedEventLoop.advanceTime(by: .seconds(3600))
        #expect(pop.channel.isActive)
        clock.advance(by: 599)
        pop.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(pop.channel.isActive)
        clock.advance(by: 1)
        pop.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!pop.channel.isActive)
        #expect(pop.events(.sessionIdleTimeout).count == 1)
        #expect(store.uids(testMailbox) == [1, 2, 3])
        #expect(store.locks.holder(of: testMailbox) == nil)
    }

    @Test func beginShutdownClosesOpenSessionsAndRefusesNewOnes() throws {
        let store = InMemoryMaildrops([testMailbox: sampleMessages])
        let srv = server(store)
        let pop = try EmbeddedPOP3(server: srv, clock: clock, id: "pop3-1", tls: tls)
        _ = try pop.send("AUTH XOAUTH2 \(xoauth2("good-token"))\r\nDELE 1\r\n")
        #expect(srv.openSessionCount == 1)
        srv.beginShutdown()
        pop.channel.embeddedEventLoop.run()
        #expect(!pop.channel.isActive)
        #expect(srv.openSessionCount == 0)
        #expect(store.uids(testMailbox) == [1, 2, 3])
        let late = try EmbeddedPOP3(server: srv, clock: clock, id: "pop3-2", tls: tls)
        #expect(try late.output() == "")
        #expect(!late.channel.isActive)
    }
}
