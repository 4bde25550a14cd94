import Synchronization
import Testing

@testable import LoadGenerator

/// An instant on `JumpClock`: an offset from its start.
struct FakeInstant: InstantProtocol {
    var offset: Duration
    func advanced(by duration: Duration) -> FakeInstant { FakeInstant(offset: offset + duration) }
    func duration(to other: FakeInstant) -> Duration { other.offset - offset }
    static func < (a: FakeInstant, b: FakeInstant) -> Bool { a.offset < b.offset }
}

/// A clock that never waits: sleeping moves it straight to the deadline (never backwards).
final class JumpClock: Clock {
    private let current = Mutex(FakeInstant(offset: .zero))
    var now: FakeInstant { current.withLock { $0 } }
    var minimumResolution: Duration { .nanoseconds(1) }

    func sleep(until deadline: FakeInstant, tolerance: Duration?) async throws {
        current.withLock { $0 = max($0, deadline) }
        await Task.yield()
    }
}

@Suite struct LoadLoopTests {
    /// What each operation saw: its number, the instant it counts from, its latency.
    final class Log: Sendable {
        let entries = Mutex<[(n: Int, started: Duration, latency: Duration)]>([])
        func add(_ n: Int, _ started: FakeInstant, _ latency: Duration) {
            entries.withLock { $0.append((n, started.offset, latency)) }
        }
        var sorted: [(n: Int, started: Duration, latency: Duration)] { entries.withLock { $0.sorted { $0.n < $1.n } } }
    }

    /// Operation 0 stalls for a second, the others take a millisecond.
    static func stallingOperation(_ clock: JumpClock, _ log: Log) -> LoadLoop<JumpClock>.Operation<Int> {
        { _, n, started in
            let takes: Duration = n == 0 ? .seconds(1) : .milliseconds(1)
            try? await clock.sleep(until: clock.now.advanced(by: takes), tolerance: nil)
            log.add(n, started, started.duration(to: clock.now))
        }
    }

    /// One handler, one operation due every 100 ms; operation 0 stalls for a second.
    @Test func openLoopLatencyCountsFromTheIntendedStart() async {
        let clock = JumpClock()
        let log = Log()
        let start = clock.now
        await LoadLoop(clock: clock).open(
            handlers: [0], start: start, interval: .milliseconds(100), end: start.advanced(by: .milliseconds(500)),
            Self.stallingOperation(clock, log))
        let ops = log.sorted
        #expect(ops.map(\.n) == [0, 1, 2, 3, 4])
        // Each operation counts from when it was due, not from when the stalled handler came free...
        #expect(ops.map(\.started) == [0, 100, 200, 300, 400].map { Duration.milliseconds($0) })
        // ...so the stall shows in every operation queued behind it.
        #expect(ops[0].latency >= .seconds(1))
        #expect(ops[1].latency >= .milliseconds(900))
        #expect(ops[4].latency >= .milliseconds(600))
    }

    @Test func closedLoopCountsFromTheRealStart() async {
        let clock = JumpClock()
        let log = Log()
        // Ends just after the stall: operation 1 starts at 1 s and is the last.
        let end = clock.now.advanced(by: .microseconds(1_000_500))
        await LoadLoop(clock: clock).closed(handlers: [0], end: end, Self.stallingOperation(clock, log))
        let ops = log.sorted
        #expect(ops.count == 2)
        #expect(ops[0].latency >= .seconds(1))
        // The closed loop hides the stall from the next operation: what the open loop exists to avoid.
        #expect(ops[1].started >= .seconds(1))
        #expect(ops[1].latency == .milliseconds(1))
    }

    @Test func openLoopStartsNothingAtOrAfterTheEnd() async {
        let clock = JumpClock()
        let log = Log()
        let start = clock.now
        await LoadLoop(clock: clock).open(
            handlers: [0, 1], start: start, interval: .milliseconds(250), end: start.advanced(by: .seconds(1))
        ) { _, n, started in log.add(n, started, .zero) }
        #expect(log.sorted.map(\.n) == [0, 1, 2, 3])
    }
}
