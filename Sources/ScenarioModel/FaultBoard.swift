import Determinism
import Foundation
import MicrosoftClouds
import Synchronization

/// The faults in force while a scenario is served: the scenario's `faults:` entries, then those added
/// over the admin API (`POST /faults`), each with an id, in that order. Every service reads it on each
/// request, command or connection, so a fault added takes effect on the next one and stops when removed.
///
/// When a fault fires is decided here once, for every service (`fire`):
/// 1. A fault is a candidate when the caller says it could apply (service, cloud, kind, `match`), its
///    `user` and `client_id` (when given) name the occurrence's (case-insensitive; an occurrence without a
///    user, such as a command before authentication, matches no fault with `user`), and the virtual clock
///    is within `from` ..< `until`.
/// 2. Each candidate counts the occurrence: the first `after` are skipped; once the fault fired `count`
///    times it stops.
/// 3. A fault with `probability` then draws from its own stream, seeded by the scenario seed, the fault's
///    id and the cloud: one draw per counted occurrence past `after`, in counting order. It fires when
///    the draw is below `probability`.
/// 4. The first candidate that fires wins; later faults do not count the occurrence.
///
/// Counts, fired counts and streams are kept per fault and per cloud (each cloud's servers count on their
/// own, as a scenario with two clouds expects), so the same scenario and seed, driven by the same requests,
/// fire the same faults in the same order.
public final class FaultBoard: Sendable {
    /// A fault with its id (`f1`, `f2`, … in the order they were added; the scenario's come first) and
    /// whether it came from the scenario file or the admin API.
    public struct Entry: Sendable, Equatable {
        public enum Origin: String, Sendable, Codable { case scenario, admin }
        public var id: String
        public var fault: Fault
        public var origin: Origin
        /// How many times it fired so far (every cloud).
        public var fired: Int
    }

    /// One request, command or connection a fault may fire on.
    public struct Occurrence: Sendable, Equatable {
        public var cloud: CloudName?
        /// The grant type, endpoint or command name (`connection` for a network fault).
        public var on: String
        /// The user or mailbox it is for (nil: not known, e.g. before authentication).
        public var user: String?
        /// The app it comes from (token: `client_id`; mail: the token's `appid`).
        public var clientID: String?

        public init(cloud: CloudName?, on: String, user: String? = nil, clientID: String? = nil) {
            self.cloud = cloud
            self.on = on
            self.user = user
            self.clientID = clientID
        }
    }

    /// A fault that fired, for the journal.
    public struct Fired: Sendable, Equatable {
        public var id: String
        public var fault: Fault
        public var cloud: CloudName?
        /// The request or command it fired on (a grant type, an endpoint or a command name).
        public var on: String
        /// The occurrence's user, when known.
        public var user: String?
        /// The virtual instant it fired at.
        public var at: Date
    }

    /// Counts of one fault in one cloud.
    struct Key: Hashable {
        var id: String
        var cloud: CloudName?
    }

    private struct Counter {
        /// Candidate occurrences seen.
        var seen = 0
        /// Times fired.
        var fired = 0
        /// The fault's seeded stream for `probability`.
        var stream: SplitMix64
    }

    private struct State {
        var entries: [Entry] = []
        var nextNumber = 1
        var counters: [Key: Counter] = [:]
        var observer: (@Sendable (Fired) -> Void)?
    }

    private let state: Mutex<State>
    /// How many faults are in force, read without the lock so a command costs no lock while there are none.
    private let count: Atomic<Int>
    private let seed: UInt64
    /// The scenario's clock: `from` and `until` are instants of virtual time.
    private let clock: VirtualClock

    /// The scenario's faults, ids `f1` … `fN` in file order; `seed` seeds `probability` draws, `clock` is the
    /// scenario's virtual clock (`from`, `until`).
    public init(
        _ faults: [Fault] = [], seed: UInt64 = 1, clock: VirtualClock = VirtualClock(start: ClockSettings().start)
    ) {
        var state = State()
        for fault in faults {
            state.entries.append(Entry(id: "f\(state.nextNumber)", fault: fault, origin: .scenario, fired: 0))
            state.nextNumber += 1
        }
        self.count = Atomic(state.entries.count)
        self.state = Mutex(state)
        self.seed = seed
        self.clock = clock
    }

    /// Calls `observer` (outside the board's lock) for every fault that fires from now on; the runtime
    /// journals each one, naming the fault's id.
    public func observe(_ observer: @escaping @Sendable (Fired) -> Void) {
        state.withLock { $0.observer = observer }
    }

    /// Every fault in force, in order.
    public var entries: [Entry] { state.withLock { $0.entries } }

    /// Whether any fault is in force (no lock).
    public var isEmpty: Bool { count.load(ordering: .acquiring) == 0 }

    /// Adds `fault` after the others; returns its id.
    @discardableResult
    public func add(_ fault: Fault) -> String {
        state.withLock { state in
            let id = "f\(state.nextNumber)"
            state.nextNumber += 1
            state.entries.append(Entry(id: id, fault: fault, origin: .admin, fired: 0))
            count.store(state.entries.count, ordering: .releasing)
            return id
        }
    }

    /// Removes the fault with this id (from the scenario or the admin API); false when there is none.
    @discardableResult
    public func remove(id: String) -> Bool {
        state.withLock { state in
            guard let index = state.entries.firstIndex(where: { $0.id == id }) else { return false }
            state.entries.remove(at: index)
            state.counters = state.counters.filter { $0.key.id != id }
            count.store(state.entries.count, ordering: .releasing)
            return true
        }
    }

    /// The first fault that fires on `occurrence`, by the board's one rule (see the type's documentation).
    /// `candidate` says whether a fault could apply at all (its service, cloud, kind and `match`).
    public func fire(_ occurrence: Occurrence, candidate: (Fault) -> Bool) -> Fired? {
        guard !isEmpty else { return nil }
        let now = clock.now()
        let (fired, observer): (Fired?, (@Sendable (Fired) -> Void)?) = state.withLock { state in
            for index in state.entries.indices {
                let entry = state.entries[index]
                guard candidate(entry.fault), Self.matches(entry.fault, occurrence, at: now) else { continue }
                let key = Key(id: entry.id, cloud: occurrence.cloud)
                var counter =
                    state.counters[key] ?? Counter(stream: SplitMix64(seed: Self.streamSeed(seed, key)))
                defer { state.counters[key] = counter }
                counter.seen += 1
                guard counter.seen > entry.fault.after else { continue }
                if let count = entry.fault.count, counter.fired >= count { continue }
                if let p = entry.fault.probability, Self.unitDraw(&counter.stream) >= p { continue }
                counter.fired += 1
                state.entries[index].fired += 1
                let fired = Fired(
                    id: entry.id, fault: entry.fault, cloud: occurrence.cloud, on: occurrence.on,
                    user: occurrence.user, at: now)
                return (fired, state.observer)
            }
            return (nil, nil)
        }
        if let fired, let observer { observer(fired) }
        return fired
    }

    /// `fire` for an occurrence known by cloud and name only (no user, no client).
    public func fire(cloud: CloudName?, on name: String, candidate: (Fault) -> Bool) -> Fired? {
        fire(Occurrence(cloud: cloud, on: name), candidate: candidate)
    }

    /// Whether `fault`'s `user`, `client_id` and window admit `occurrence` at `now`.
    static func matches(_ fault: Fault, _ occurrence: Occurrence, at now: Date) -> Bool {
        if let user = fault.user, occurrence.user?.lowercased() != user.lowercased() { return false }
        if let client = fault.clientID, occurrence.clientID?.lowercased() != client.lowercased() { return false }
        if let from = fault.from, now < from { return false }
        if let until = fault.until, now >= until { return false }
        return true
    }

    /// The seed of one fault's stream in one cloud: the scenario seed mixed with the fault id and cloud.
    static func streamSeed(_ seed: UInt64, _ key: Key) -> UInt64 {
        seed ^ SplitMix64.hash("fault \(key.id) \(key.cloud?.rawValue ?? "*")")
    }

    /// A draw in [0, 1) with 53 bits of the stream.
    static func unitDraw(_ stream: inout SplitMix64) -> Double {
        Double(stream.next() >> 11) * 0x1p-53
    }
}
