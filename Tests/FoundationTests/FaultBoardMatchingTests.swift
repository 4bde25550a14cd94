import Determinism
import Foundation
import MailAuthentication
import MicrosoftClouds
import ScenarioLoader
import ScenarioModel
import Synchronization
import Testing

/// FaultBoard's one rule beyond `after` and `count`: `user`, `client_id`, a window of virtual time and a
/// seeded `probability`, and the same faults firing in the same order when the same scenario and seed run twice.
struct FaultBoardMatchingTests {
    static let start = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z

    @Test("user and client_id match case-insensitively; an occurrence without a user matches no user fault")
    func userAndClient() {
        let board = FaultBoard([
            Fault(service: .imap, kind: .bye, user: "Agent@Contoso.onmicrosoft.us"),
            Fault(service: .token, kind: .aadsts, clientID: "ABC", code: 50076),
        ])
        func fired(_ on: String, user: String?, client: String?) -> String? {
            board.fire(FaultBoard.Occurrence(cloud: .gccHigh, on: on, user: user, clientID: client)) { _ in true }?.id
        }
        #expect(fired("SELECT", user: nil, client: nil) == nil, "before authentication no user is known")
        #expect(fired("SELECT", user: "other@contoso.onmicrosoft.us", client: nil) == nil)
        #expect(fired("SELECT", user: "agent@contoso.onmicrosoft.us", client: nil) == "f1")
        #expect(fired("password", user: "other@contoso.onmicrosoft.us", client: "abc") == "f2")
        #expect(fired("password", user: nil, client: "abd") == nil)
    }

    @Test("from and until: the fault fires only while from <= virtual time < until")
    func window() {
        let clock = VirtualClock(start: Self.start)
        let board = FaultBoard(
            [
                Fault(
                    service: .token, kind: .disconnect, from: Self.start.addingTimeInterval(60),
                    until: Self.start.addingTimeInterval(120))
            ], seed: 1, clock: clock)
        func fires() -> Bool { board.fire(cloud: nil, on: "password") { _ in true } != nil }
        #expect(!fires(), "before from")
        clock.advance(by: 60)
        #expect(fires(), "at from")
        clock.advance(by: 59)
        #expect(fires(), "just before until")
        clock.advance(by: 1)
        #expect(!fires(), "at until")
        #expect(board.entries[0].fired == 2)
    }

    @Test("probability: about p of the matching requests fire, the same ones for the same seed, others for another")
    func probability() {
        func pattern(seed: UInt64, p: Double = 0.3, count: Int? = nil) -> [Bool] {
            let board = FaultBoard(
                [Fault(service: .token, kind: .disconnect, count: count, probability: p)], seed: seed)
            return (0..<1000).map { _ in board.fire(cloud: .gcc, on: "password") { _ in true } != nil }
        }
        let first = pattern(seed: 7)
        #expect(first == pattern(seed: 7), "the same seed draws the same")
        #expect(first != pattern(seed: 8), "another seed draws otherwise")
        let hits = first.filter { $0 }.count
        #expect((240...360).contains(hits), "\(hits) of 1000 at p = 0.3")
        #expect(pattern(seed: 7, p: 1).allSatisfy { $0 }, "p = 1 always fires")
        #expect(pattern(seed: 7, count: 5).filter { $0 }.count == 5, "count limits firings, not draws")
    }

    @Test("each fault draws from its own stream: adding another fault does not change which requests this one hits")
    func ownStreams() {
        func hits(_ faults: [Fault]) -> [Int] {
            let board = FaultBoard(faults, seed: 42)
            return (0..<200).compactMap { n in
                board.fire(cloud: .gcc, on: n.isMultiple(of: 2) ? "password" : "refresh_token") {
                    $0.match == nil || $0.match == "password"
                }?
                .id == "f1" ? n : nil
            }
        }
        let alone = hits([Fault(service: .token, kind: .disconnect, probability: 0.5)])
        let beside = hits([
            Fault(service: .token, kind: .disconnect, probability: 0.5),
            Fault(service: .token, kind: .latency, match: "password", probability: 0.5, seconds: 0),
        ])
        #expect(alone == beside)
    }

    static let scenarioYAML = """
        version: 1
        name: seeded-faults
        seed: 2026
        clock: {start: 2026-01-01T00:00:00Z}
        clouds: [gcc-high, dod]
        tenants:
          - {id: 8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a, cloud: gcc-high, domains: [contoso.onmicrosoft.us]}
          - {id: 9f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7b, cloud: dod, domains: [army.onmicrosoft.us]}
        users:
          - {upn: a@contoso.onmicrosoft.us, password: x, mailbox: true}
          - {upn: b@army.onmicrosoft.us, password: x, mailbox: true}
        faults:
          - {service: imap, kind: reply, line: "NO [UNAVAILABLE] Server busy", match: FETCH, probability: 0.25}
          - {service: imap, kind: bye, user: a@contoso.onmicrosoft.us, probability: 0.1, after: 3}
          - {service: pop3, kind: disconnect, match: RETR, bytes: 100, probability: 0.5, count: 4}
          - {service: imap, kind: latency, seconds: 0, from: 2026-01-01T00:10:00Z, until: 2026-01-01T00:20:00Z, probability: 0.5}

        """

    /// One in-process run: the scenario's faults on a live board, a fixed script of commands from two users
    /// in two clouds over virtual time; the `fault.fired` sequence as the runtime journals it.
    static func run() throws -> [String] {
        let scenario = try ScenarioLoader.load(yaml: scenarioYAML, fileName: "seeded.yaml", baseDirectory: nil)
        let clock = VirtualClock(start: scenario.clock.start)
        let live = LiveScenario(scenario, clock: clock)
        let journal = Mutex<[String]>([])
        live.faults.observe { fired in
            journal.withLock {
                $0.append("\(fired.id) \(fired.cloud?.rawValue ?? "-") \(fired.on) \(fired.user ?? "-") \(fired.at)")
            }
        }
        let imap = [CloudName.gccHigh, .dod].map { MailFaults(board: live.faults, service: .imap, cloud: $0) }
        let pop3 = [CloudName.gccHigh, .dod].map { MailFaults(board: live.faults, service: .pop3, cloud: $0) }
        let users = ["a@contoso.onmicrosoft.us", "b@army.onmicrosoft.us"]
        for step in 0..<120 {
            let side = step % 2
            let command = ["SELECT", "FETCH", "UID FETCH", "NOOP"][step % 4]
            _ = imap[side].action(forCommand: command, user: users[side])
            _ = pop3[side].action(forCommand: step.isMultiple(of: 3) ? "RETR" : "STAT", user: users[side])
            clock.advance(by: 15)
        }
        return journal.withLock { $0 }
    }

    @Test("the same scenario and seed fire the same faults in the same order in two runs")
    func sameSeedSameFaults() throws {
        let first = try Self.run()
        let second = try Self.run()
        #expect(first == second)
        let ids = Set(first.map { $0.split(separator: " ")[0] })
        #expect(ids == ["f1", "f2", "f3", "f4"], "every fault fires at least once: \(first)")
        #expect(first.count > 10 && first.count < 240, "probability leaves some commands alone: \(first.count)")
    }
}
