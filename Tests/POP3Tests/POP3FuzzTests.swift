import Determinism
import ExomockTestSupport
import Foundation
import NIOSSL
import POP3Server
import ScenarioModel
import Testing

/// Seeded generative test: random command lines (known keywords with random arguments, raw junk,
/// SASL strings, over-long lines) never crash the server, and every line gets a reply or a clean close.
/// `EXOMOCK_FUZZ_LINES` scales it (default 3000).
@Suite struct POP3FuzzTests {
    @Test func everyLineGetsAReplyOrACleanClose() throws {
        let made = try ThrowawayCertificate.make()
        defer { made.remove() }
        let tls = try made.serverContext()
        let clock = VirtualClock(start: VirtualClock.defaultStart)
        let store = InMemoryMaildrops([testMailbox: sampleMessages])
        let server = POP3Server(
            store: store, authenticator: FakeAuthenticator(),
            settings: ExchangeSettings(basicAuth: true, pop3XOAUTH2InitialResponse: .accept))
        var random = SplitMix64(seed: 2026)
        let lines = Int(ProcessInfo.processInfo.environment["EXOMOCK_FUZZ_LINES"] ?? "") ?? 3000
        let keywords = [
            "USER", "PASS", "AUTH", "AUTH XOAUTH2", "AUTH PLAIN", "CAPA", "STLS", "STAT", "LIST", "UIDL",
            "RETR", "TOP", "DELE", "RSET", "NOOP", "QUIT", "*", "",
        ]
        let arguments = [
            "1", "2", "3", "0", "-1", "99999999999", "x", "1 0", "1 5", "=", xoauth2("good-token"), xoauth2("bad"),
            "AGhlbHBkZXNrQGNvbnRvc28ub25taWNyb3NvZnQudXMAUGFzc3cwcmQh", testMailbox, "Passw0rd!",
        ]
        var connections = 0
        func connect() throws -> EmbeddedPOP3 {
            connections += 1
            let pop = try EmbeddedPOP3(server: server, clock: clock, id: "pop3-\(connections)", tls: tls)
            #expect(try pop.output().hasPrefix("+OK The Microsoft Exchange POP3 service is ready."))
            return pop
        }
        var pop = try connect()
        for _ in 0..<lines {
            var line: String
            switch random.next() % 10 {
            case 0:
                let length = Int(random.next() % 64)
                line = String(
                    decoding: (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next() % 255 + 1) }.filter {
                        $0 != 10
                    }, as: UTF8.self)
            case 1:
                line = "NOOP " + String(repeating: "z", count: 16 * 1024 + Int(random.next() % 100))
            default:
                let keyword = keywords[Int(random.next() % UInt64(keywords.count))]
                let argument =
                    random.next() % 3 == 0 ? "" : " " + arguments[Int(random.next() % UInt64(arguments.count))]
                line = keyword + argument
            }
            if line.uppercased().hasPrefix("STLS") { line = "NOOP" }  // TLS would swallow the rest of the run
            let reply = try pop.send(line + "\r\n")
            if !pop.channel.isActive {
                pop = try connect()
                continue
            }
            #expect(
                reply.hasPrefix("+OK") || reply.hasPrefix("-ERR ") || reply.hasPrefix("+ "),
                "no reply to \(line.prefix(60).debugDescription): \(reply.prefix(80).debugDescription)")
            #expect(reply.hasSuffix("\r\n"))
        }
        _ = try? pop.channel.close().wait()
        #expect(store.locks.holder(of: testMailbox) == nil)
        #expect(server.openSessionCount == 0)
    }
}
