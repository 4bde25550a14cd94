import Determinism
import ExomockTestSupport
import Foundation
import MailAuthentication
import NIOCore
import NIOEmbedded
import NIOSSL
import POP3Server
import ScenarioModel
import Testing

/// Scenario `faults:` with `service: pop3`: `disconnect` closes at a matching command without a reply
/// (no UPDATE: marked deletions are lost), `latency` holds the command for `seconds` of real time
/// (here the EmbeddedEventLoop's), both decided by counts.
@Suite struct POP3FaultTests {
    let tls: NIOSSLContext
    let clock = VirtualClock(start: VirtualClock.defaultStart)

    init() throws {
        let made = try ThrowawayCertificate.make()
        defer { made.remove() }
        tls = try made.serverContext()
    }

    func server(_ store: InMemoryMaildrops, _ faults: [Fault]) -> POP3Server {
        POP3Server(
            store: store, authenticator: FakeAuthenticator(),
            settings: ExchangeSettings(pop3XOAUTH2InitialResponse: .accept),
            faults: MailFaults(faults: faults, service: .pop3, cloud: .gccHigh))
    }

    @Test func disconnectAtQuitLosesTheDeletions() throws {
        let store = InMemoryMaildrops([testMailbox: sampleMessages])
        let before = store.uids(testMailbox)
        let server = server(store, [Fault(service: .pop3, kind: .disconnect, match: "quit", count: 1)])
        let pop = try EmbeddedPOP3(server: server, clock: clock, id: "pop3-f1", tls: tls)
        _ = try pop.output()
        #expect(try pop.send("AUTH XOAUTH2 \(xoauth2("good-token"))\r\n") == "+OK User successfully authenticated.\r\n")
        #expect(try pop.send("DELE 1\r\n").hasPrefix("+OK"))
        #expect(try pop.send("QUIT\r\nNOOP\r\n") == "")
        #expect(!pop.channel.isActive)
        #expect(pop.events(.faultDisconnect).first?["command"] == "QUIT")
        #expect(store.uids(testMailbox) == before, "no UPDATE state: DELE is undone")
        // count: 1 — the next QUIT applies its deletion; the maildrop lock was released.
        let again = try EmbeddedPOP3(server: server, clock: clock, id: "pop3-f2", tls: tls)
        _ = try again.output()
        #expect(
            try again.send("AUTH XOAUTH2 \(xoauth2("good-token"))\r\n") == "+OK User successfully authenticated.\r\n")
        #expect(try again.send("DELE 1\r\n").hasPrefix("+OK"))
        #expect(try again.send("QUIT\r\n").hasPrefix("+OK"))
        #expect(store.uids(testMailbox) == Array(before.dropFirst()))
    }

    @Test func latencyHoldsTheCommandAndWhatFollows() throws {
        let store = InMemoryMaildrops([testMailbox: sampleMessages])
        let server = server(
            store, [Fault(service: .pop3, kind: .latency, match: "STAT", after: 1, count: 1, seconds: 0.5)])
        let pop = try EmbeddedPOP3(server: server, clock: clock, id: "pop3-f3", tls: tls)
        _ = try pop.output()
        _ = try pop.send("AUTH XOAUTH2 \(xoauth2("good-token"))\r\n")
        #expect(try pop.send("STAT\r\n").hasPrefix("+OK 3 "), "after: 1 — the first STAT is not delayed")
        #expect(try pop.send("STAT\r\nNOOP\r\n") == "")
        #expect(pop.events(.faultLatency).first?["command"] == "STAT")
        pop.channel.embeddedEventLoop.advanceTime(by: .milliseconds(499))
        #expect(try pop.output() == "")
        pop.channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        let out = try pop.output()
        #expect(out.hasPrefix("+OK 3 ") && out.hasSuffix("\r\n+OK\r\n"), "\(out)")
        #expect(try pop.send("STAT\r\n").hasPrefix("+OK 3 "))
    }

    @Test func saslResponseIsNotACommand() throws {
        let store = InMemoryMaildrops([testMailbox: sampleMessages])
        let server = server(store, [Fault(service: .pop3, kind: .disconnect, match: "AUTH", after: 1)])
        let pop = try EmbeddedPOP3(server: server, clock: clock, id: "pop3-f4", tls: tls)
        _ = try pop.output()
        #expect(try pop.send("AUTH XOAUTH2\r\n") == "+ \r\n")
        #expect(try pop.send("\(xoauth2("good-token"))\r\n") == "+OK User successfully authenticated.\r\n")
        #expect(try pop.send("QUIT\r\n").hasPrefix("+OK"))
        let next = try EmbeddedPOP3(server: server, clock: clock, id: "pop3-f5", tls: tls)
        _ = try next.output()
        #expect(try next.send("AUTH XOAUTH2\r\n") == "")
        #expect(!next.channel.isActive)
    }
}
