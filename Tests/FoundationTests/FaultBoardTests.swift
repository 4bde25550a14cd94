import MicrosoftClouds
import ScenarioModel
import Synchronization
import Testing

/// The live fault board as a value: ids, the one counting rule (`after`, `count`, per cloud), add and remove,
/// and the observer the runtime journals `fault.fired` with.
struct FaultBoardTests {
    @Test("the scenario's faults get ids f1…fN; added ones follow; removed ones are gone, and ids are not reused")
    func ids() {
        let board = FaultBoard([Fault(service: .token, kind: .disconnect), Fault(service: .imap, kind: .disconnect)])
        #expect(board.entries.map(\.id) == ["f1", "f2"])
        #expect(board.entries.map(\.origin) == [.scenario, .scenario])
        let added = board.add(Fault(service: .pop3, kind: .disconnect))
        #expect(added == "f3" && board.entries.last?.origin == .admin)
        #expect(board.remove(id: "f1") && !board.remove(id: "f1") && !board.remove(id: "nope"))
        #expect(board.add(Fault(service: .smtp, kind: .disconnect)) == "f4")
        #expect(board.entries.map(\.id) == ["f2", "f3", "f4"])
    }

    @Test("after and count: the 3rd and 4th matches fire, counted per cloud; a non-candidate is not counted")
    func counting() {
        let board = FaultBoard([Fault(service: .token, kind: .disconnect, after: 2, count: 2)])
        func fire(_ cloud: CloudName) -> Bool { board.fire(cloud: cloud, on: "x") { _ in true } != nil }
        #expect(
            [fire(.gccHigh), fire(.gccHigh), fire(.gccHigh), fire(.gccHigh), fire(.gccHigh)] == [
                false, false, true, true, false,
            ])
        #expect([fire(.dod), fire(.dod), fire(.dod)] == [false, false, true], "each cloud counts on its own")
        #expect(board.fire(cloud: .gcc, on: "x") { _ in false } == nil)
        #expect(board.entries.first?.fired == 3)
    }

    @Test("a request counts against every candidate until one fires; the observer hears each firing")
    func orderAndObserver() {
        let board = FaultBoard([
            Fault(service: .token, kind: .throttle, after: 1), Fault(service: .token, kind: .disconnect),
        ])
        let heard = Mutex<[String]>([])
        board.observe { fired in heard.withLock { $0.append("\(fired.id) on \(fired.on)") } }
        let first = board.fire(cloud: nil, on: "password") { _ in true }
        let second = board.fire(cloud: nil, on: "refresh_token") { _ in true }
        #expect(first?.id == "f2" && second?.id == "f1")
        #expect(heard.withLock { $0 } == ["f2 on password", "f1 on refresh_token"])
        #expect(board.remove(id: "f1") && board.remove(id: "f2"))
        #expect(board.fire(cloud: nil, on: "password") { _ in true } == nil, "an empty board fires nothing")
    }
}
