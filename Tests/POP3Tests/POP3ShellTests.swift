import Determinism
import ExomockLimits
import ExomockTestSupport
import Foundation
import Journal
import MailAuthentication
import NIOCore
import NIOEmbedded
import NIOSSL
import POP3Wire
import ScenarioModel
import Testing

@testable import POP3Server

/// POP3 on the shared mail-connection shell: the mail-protocol faults (`reply`, `bye`, `disconnect` with
/// `bytes`, `throttle`), the pre-authentication idle limit, and output produced as the client reads.
@Suite struct POP3ShellTests {
    let tls: NIOSSLContext
    let clock = VirtualClock(start: VirtualClock.defaultStart)

    init() throws {
        let made = try ThrowawayCertificate.make()
        defer { made.remove() }
        tls = try made.serverContext()
    }

    func connect(
        _ faults: [Fault] = [], settings: ExchangeSettings = ExchangeSettings(pop3XOAUTH2InitialResponse: .accept),
        store: InMemoryMaildrops = InMemoryMaildrops([testMailbox: sampleMessages])
    ) throws -> EmbeddedPOP3 {
        let server = POP3Server(
            store: store, authenticator: FakeAuthenticator(), settings: settings,
            faults: MailFaults(faults: faults, service: .pop3, cloud: nil))
        let pop = try EmbeddedPOP3(server: server, clock: clock, id: "pop3-s", tls: tls)
        _ = try pop.output()
        return pop
    }

    static let login = "AUTH XOAUTH2 \(xoauth2("good-token"))\r\n"
    static let authenticated = "+OK User successfully authenticated.\r\n"

    @Test func replySendsTheLineInsteadOfTheAnswerAndTheSessionGoesOn() throws {
        let pop = try connect([
            Fault(service: .pop3, kind: .reply, match: "STAT", count: 1, line: "-ERR Server busy, try later.")
        ])
        #expect(try pop.send(Self.login) == Self.authenticated)
        #expect(try pop.send("STAT\r\n") == "-ERR Server busy, try later.\r\n")
        #expect(try pop.send("STAT\r\n").hasPrefix("+OK 3 "), "count: 1: the next STAT is answered")
        #expect(pop.channel.isActive)
    }

    @Test func byeIsExchangesAbruptCloseAndKeepsTheDeletions() throws {
        let store = InMemoryMaildrops([testMailbox: sampleMessages])
        let before = store.uids(testMailbox)
        let pop = try connect([Fault(service: .pop3, kind: .bye, match: "QUIT")], store: store)
        #expect(try pop.send(Self.login) == Self.authenticated)
        #expect(try pop.send("DELE 1\r\n").hasPrefix("+OK"))
        #expect(try pop.send("QUIT\r\n") == "-ERR Connection is closed. 13\r\n")
        #expect(!pop.channel.isActive)
        #expect(store.uids(testMailbox) == before, "QUIT was not performed: no UPDATE")
        #expect(store.locks.holder(of: testMailbox) == nil)
    }

    @Test func disconnectWithBytesCutsTheRETRAnswer() throws {
        let plain = try connect()
        #expect(try plain.send(Self.login) == Self.authenticated)
        let whole = try plain.send("RETR 1\r\n")
        #expect(whole.hasSuffix("Please help.\r\n.\r\n"))
        _ = try plain.send("QUIT\r\n")
        let pop = try connect([Fault(service: .pop3, kind: .disconnect, match: "RETR", bytes: 30)])
        #expect(try pop.send(Self.login) == Self.authenticated)
        let cut = try pop.send("RETR 1\r\n")
        #expect(Array(cut.utf8) == Array(whole.utf8.prefix(30)))
        #expect(!pop.channel.isActive)
        #expect(pop.events(.faultDisconnect).first?["bytes"] == "30")
    }

    @Test func throttleLetsTheLoginFailAsExchangeAnswersIt() throws {
        let pop = try connect([Fault(service: .pop3, kind: .throttle, match: "AUTH", count: 1)])
        #expect(try pop.send(Self.login) == "-ERR Authentication failure: unknown user name or bad password.\r\n")
        let failed = pop.events(.authFailed).first
        #expect(failed?["reason"] == "too_many_sessions" && failed?["note"] == "authenticated_not_connected")
        #expect(try pop.send(Self.login) == Self.authenticated, "count: 1: the next login is not throttled")
    }

    @Test func faultsNamingAUserMatchTheMailboxOfTheXOAUTH2Line() throws {
        let other = "someone@contoso.onmicrosoft.us"
        let pop = try connect([Fault(service: .pop3, kind: .reply, match: "AUTH", user: other, line: "-ERR busy")])
        #expect(try pop.send(Self.login) == Self.authenticated, "the fault names another mailbox")
        let again = try connect([
            Fault(service: .pop3, kind: .reply, match: "AUTH", user: testMailbox.uppercased(), line: "-ERR busy")
        ])
        #expect(try again.send(Self.login) == "-ERR busy\r\n")
    }

    @Test func preAuthenticationIdleLimitClosesOnlyConnectionsThatHaveNotLoggedIn() throws {
        var settings = ExchangeSettings(idleTimeout: 1800, pop3XOAUTH2InitialResponse: .accept)
        settings.preAuthIdleTimeout = 30
        let waiting = try connect(settings: settings)
        let loggedIn = try connect(settings: settings)
        #expect(try loggedIn.send(Self.login) == Self.authenticated)
        clock.advance(by: 29)
        waiting.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(waiting.channel.isActive, "29 s of virtual time is under the limit")
        clock.advance(by: 1)
        waiting.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        loggedIn.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!waiting.channel.isActive)
        #expect(waiting.events(.sessionIdleTimeout).first?["seconds"] == "30")
        #expect(loggedIn.channel.isActive, "a logged-in session has the 1800 s idle limit")
        #expect(try loggedIn.send("NOOP\r\n") == "+OK\r\n")
    }

    @Test func preAuthenticationIdleLimitAppliesWhenTheNextCommandArrives() throws {
        var settings = ExchangeSettings(pop3XOAUTH2InitialResponse: .accept)
        settings.preAuthIdleTimeout = Limits.mailPreAuthenticationIdleSeconds
        let pop = try connect(settings: settings)
        clock.advance(by: Limits.mailPreAuthenticationIdleSeconds)
        #expect(try pop.send("CAPA\r\n") == "", "the command after the limit is not answered")
        #expect(!pop.channel.isActive)
    }

    /// The streamed RETR answer is byte for byte the encoder's, at every chunk size.
    @Test(arguments: [1, 2, 3, 5, 64, 65_536])
    func streamedMessagesEqualTheEncodersBytes(limit: Int) {
        // Both stuff with POP3ByteStuffing; what it writes, spelled out: dots doubled at line starts, bare LF
        // and a trailing CR become CRLF.
        let stuffed = POP3ResponseEncoder.bytes(.message("2 octets", content: Array(".a\nb\r\n..c\r".utf8)))
        #expect(String(decoding: stuffed, as: UTF8.self) == "+OK 2 octets\r\n..a\r\nb\r\n...c\r\n.\r\n")
        var random = SplitMix64(seed: UInt64(limit))
        let alphabet: [UInt8] = Array("..\r\r\n\nab".utf8)
        var contents: [[UInt8]] = [[], Array(".".utf8), Array("\r".utf8), Array("a\r".utf8), Array("x\r\n.\r\n".utf8)]
        for _ in 0..<200 {
            contents.append((0..<Int(random.next() % 40)).map { _ in alphabet[Int(random.next() % 8)] })
        }
        for content in contents {
            var output = POP3MessageOutput(status: "2 octets", content: content)
            var produced = ByteBuffer()
            var rounds = 0
            while !output.produce(into: &produced, limit: produced.readableBytes + limit) { rounds += 1 }
            let expected = POP3ResponseEncoder.bytes(.message("2 octets", content: content))
            #expect(
                Array(produced.readableBytesView) == expected,
                "\(String(decoding: content, as: UTF8.self).debugDescription)")
            #expect(rounds <= content.count + 2)
        }
    }
}
