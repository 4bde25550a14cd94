import Determinism
import ExomockLimits
import ExomockTestSupport
import Foundation
import MailStore
import POP3Server
import ScenarioModel
import Testing

/// The scenario's POP3 knobs (`exchange.pop3_maildrop`, `pop3_sessions_per_mailbox`,
/// `pop3_xoauth2_initial_response`) seen by Python's poplib on real listeners.
@Suite(.serialized) struct POP3ExchangeSettingsTests {
    let client = POP3ClientTests()

    @Test("default: a one-line AUTH XOAUTH2 gets -ERR Protocol error.; the two-line form then succeeds")
    func oneLineInitialResponseRefusedByDefault() async throws {
        try await withLive(timeout: 120, settings: ExchangeSettings()) { live in
            let s = client.steps(try await client.poplib(live, "auth1,auth2,stat,quit"))
            #expect(s["auth1"] as? String == "ERROR -ERR Protocol error.")
            #expect(s["auth2"] as? [String] == ["+ ", "+OK User successfully authenticated."])
            #expect((s["stat"] as? [Int])?.first == 3)
            try await live.waitUntilIdle()
            #expect(live.events(.commandInvalid).first?["problem"]?.contains("pop3_xoauth2_initial_response") == true)
        }
    }

    @Test("pop3_xoauth2_initial_response: accept takes the one-line form")
    func oneLineInitialResponseAccepted() async throws {
        try await withLive(timeout: 120, settings: ExchangeSettings(pop3XOAUTH2InitialResponse: .accept)) { live in
            let s = client.steps(try await client.poplib(live, "auth1,quit"))
            #expect(s["auth1"] as? String == "+OK User successfully authenticated.")
        }
    }

    @Test("shared maildrop (the default): a second session logs in while the first holds the mailbox")
    func sharedMaildropLetsASecondSessionIn() async throws {
        let shared = ExchangeSettings(pop3SessionsPerMailbox: 2, pop3XOAUTH2InitialResponse: .accept)
        try await withLive(timeout: 120, settings: shared) { live in
            let s = client.steps(try await client.poplib(live, "auth2,dele1,second,quit"))
            #expect(s["second"] as? String == "+OK User successfully authenticated.")
            #expect(s["quit"] as? String == "+OK Microsoft Exchange Server POP3 server signing off.")
            try await live.waitUntilIdle()
            #expect(live.store.uids(testMailbox) == [2, 3])
            #expect(live.store.locks.holders(of: testMailbox).isEmpty)
        }
    }

    @Test("past pop3_sessions_per_mailbox the next login gets the XOAUTH2 failure line, journaled too_many_sessions")
    func sessionsPastTheLimitAreRefused() async throws {
        let one = ExchangeSettings(pop3SessionsPerMailbox: 1, pop3XOAUTH2InitialResponse: .accept)
        try await withLive(timeout: 120, settings: one) { live in
            let s = client.steps(try await client.poplib(live, "auth2,second,quit"))
            #expect(s["second"] as? String == "ERROR -ERR Authentication failure: unknown user name or bad password.")
            try await live.waitUntilIdle()
            let refused = live.events(.authFailed)
            #expect(refused.map { $0["reason"] } == ["too_many_sessions"])
            #expect(refused.first?["detail"]?.contains("exchange.pop3_sessions_per_mailbox") == true)
        }
    }

    @Test(
        "the default shared maildrop at its real limit: 20 sessions in TRANSACTION, the 21st refused, the 20th's QUIT frees a place"
    )
    func twentyFirstSessionAtTheDefaultLimit() throws {
        let certificate = try ThrowawayCertificate.make()
        defer { certificate.remove() }
        let tls = try certificate.serverContext()
        let clock = VirtualClock(start: VirtualClock.defaultStart)
        let store = InMemoryMaildrops([testMailbox: sampleMessages])
        let server = POP3Server(store: store, authenticator: FakeAuthenticator(), settings: ExchangeSettings())
        func login(_ id: String) throws -> (EmbeddedPOP3, String) {
            let pop = try EmbeddedPOP3(server: server, clock: clock, id: id, tls: tls)
            _ = try pop.output()
            #expect(try pop.send("AUTH XOAUTH2\r\n") == "+ \r\n")
            return (pop, try pop.send(xoauth2("good-token") + "\r\n"))
        }
        var sessions: [EmbeddedPOP3] = []
        for n in 1...Limits.pop3SessionsPerMailbox {
            let (pop, answer) = try login("pop3-\(n)")
            #expect(answer == "+OK User successfully authenticated.\r\n", "session \(n)")
            sessions.append(pop)
        }
        #expect(store.locks.holders(of: testMailbox).count == 20)
        #expect(try login("pop3-21").1 == "-ERR Authentication failure: unknown user name or bad password.\r\n")
        _ = try sessions[19].send("QUIT\r\n")
        #expect(try login("pop3-22").1 == "+OK User successfully authenticated.\r\n")
    }

    @Test("maildrop holds: exclusive admits one session, shared up to its limit; release frees a place")
    func maildropLocks() {
        let locks = MaildropLocks()
        #expect(locks.acquire("a@x", session: "1", sharing: .exclusive) == nil)
        #expect(locks.acquire("A@X", session: "2", sharing: .exclusive) == .locked(holder: "1"))
        locks.release("a@x", session: "1")
        #expect(locks.acquire("a@x", session: "2", sharing: .shared(limit: 2)) == nil)
        #expect(locks.acquire("a@x", session: "3", sharing: .shared(limit: 2)) == nil)
        #expect(locks.acquire("a@x", session: "4", sharing: .shared(limit: 2)) == .tooManySessions(limit: 2))
        #expect(
            locks.acquire("a@x", session: "3", sharing: .shared(limit: 2)) == nil,
            "a holder asking again keeps its place")
        #expect(locks.holders(of: "a@x") == ["2", "3"])
        locks.release("a@x", session: "2")
        #expect(locks.acquire("a@x", session: "4", sharing: .shared(limit: 2)) == nil)
        #expect(locks.holder(of: "a@x") == "3")
    }
}
