import MicrosoftClouds
import Synchronization

/// The faults in force while a scenario is served: the scenario's `faults:` entries, then those added
/// over the admin API (`POST /faults`), each with an id, in that order. Every service reads it on each
/// request or command, so a fault added takes effect on the next one and stops when removed.
///
/// The counting rule for `after` and `count` is written here once: a request or command counts against
/// every fault that could apply to it, in order, until one applies. Counts are kept per fault and per
/// cloud (each cloud's servers count on their own, as a scenario with two clouds expects).
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

    /// A fault that fired, for the journal.
    public struct Fired: Sendable, Equatable {
        public var id: String
        public var fault: Fault
        public var cloud: CloudName?
        /// The request or command it fired on (a grant type, an endpoint or a command name).
        public var on: String
    }

    private struct State {
        var entries: [Entry] = []
        var nextNumber = 1
        /// Matches seen, by fault id and cloud.
        var seen: [String: [CloudName?: Int]] = [:]
        var observer: (@Sendable (Fired) -> Void)?
    }

    private let state: Mutex<State>
    /// How many faults are in force, read without the lock so a command costs no lock while there are none.
    private let count: Atomic<Int>

    /// The scenario's faults, ids `f1` … `fN` in file order.
    public init(_ faults: [Fault] = []) {
        var state = State()
        for fault in faults {
            state.entries.append(Entry(id: "f\(state.nextNumber)", fault: fault, origin: .scenario, fired: 0))
            state.nextNumber += 1
        }
        self.count = Atomic(state.entries.count)
        self.state = Mutex(state)
    }

    /// Calls `observer` (outside the board's lock) for every fault that fires from now on; the runtime
    /// journals each one, naming the fault's id.
    public func observe(_ observer: @escaping @Sendable (Fired) -> Void) {
        state.withLock { $0.observer = observer }
    }

    /// Every fault in force, in order.
    public var entries: [Entry] { state.withLock { $0.entries } }

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
            state.seen[id] = nil
            count.store(state.entries.count, ordering: .releasing)
            return true
        }
    }

    /// The first fault that applies to a request or command named `name` in `cloud`, counted.
    ///
    /// `candidate` says whether a fault could apply at all (its service, cloud, kind and `match`); each
    /// candidate counts this request, and the first whose count is past `after` (and within `count`) fires.
    public func fire(cloud: CloudName?, on name: String, candidate: (Fault) -> Bool) -> Fired? {
        guard count.load(ordering: .acquiring) > 0 else { return nil }
        let (fired, observer): (Fired?, (@Sendable (Fired) -> Void)?) = state.withLock { state in
            for index in state.entries.indices where candidate(state.entries[index].fault) {
                let entry = state.entries[index]
                let n = state.seen[entry.id, default: [:]][cloud, default: 0]
                state.seen[entry.id, default: [:]][cloud] = n + 1
                guard n >= entry.fault.after else { continue }
                if let count = entry.fault.count, n >= entry.fault.after + count { continue }
                state.entries[index].fired += 1
                return (Fired(id: entry.id, fault: entry.fault, cloud: cloud, on: name), state.observer)
            }
            return (nil, nil)
        }
        if let fired, let observer { observer(fired) }
        return fired
    }
}
