import Determinism
import ExomockLimits
import Foundation
import Synchronization

/// One thing that happened in a running scenario, stamped with virtual time.
///
/// Every service writes here: the token service (request, decision, AADSTS code), IMAP and POP3
/// (connection, command, authentication decision with its reason), the admin API (clock moves).
/// Tests and the flow runner assert on these events; `GET /journal` serves them as JSON lines.
public struct JournalEvent: Codable, Sendable, Equatable {
    /// Position in the journal, from 1, in the order events were recorded.
    public var seq: Int
    /// Virtual time, RFC 3339.
    public var time: String
    /// Cloud name (`gcc-high`), or nil for events of the whole scenario.
    public var cloud: String?
    /// `token`, `imap`, `pop3`, `admin`, `scenario`.
    public var service: String
    /// Connection or request id (`imap-3`, `token-12`), seeded and stable across runs.
    public var connection: String?
    /// What happened, a short dotted name: `auth.failed`, `token.issued`, `clock.advanced`.
    public var event: String
    /// Details, all strings: `reason`, `code`, `user`, `mailbox`, `command` ...
    public var detail: [String: String]

    public init(
        seq: Int = 0,
        time: String = "",
        cloud: String?,
        service: String,
        connection: String?,
        event: String,
        detail: [String: String] = [:]
    ) {
        self.seq = seq
        self.time = time
        self.cloud = cloud
        self.service = service
        self.connection = connection
        self.event = event
        self.detail = detail
    }

    /// The event as one JSON line with sorted keys (byte-stable across runs).
    public func jsonLine() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}

/// The journal of one running scenario: an append-only, bounded, thread-safe event list.
public final class Journal: Sendable {
    /// Events kept; older ones are dropped (and counted) past this, so memory stays bounded under load.
    public let capacity: Int
    private let clock: VirtualClock
    private let state: Mutex<State>

    /// A ring: `events` grows to `capacity`, then each new event overwrites the oldest at `oldest`.
    /// (Removing the first element of a full array instead cost O(capacity) per event and slowed
    /// every connection once a load test had filled the journal.)
    struct State {
        var events: [JournalEvent] = []
        var counts: [EventKind: Int] = [:]
        var oldest = 0
        var nextSeq = 1
        var dropped = 0

        /// Oldest first.
        func inOrder(after seq: Int) -> [JournalEvent] {
            events[oldest...].filter { $0.seq > seq } + events[..<oldest].filter { $0.seq > seq }
        }
    }

    public init(clock: VirtualClock, capacity: Int = Limits.journalCapacity) {
        self.clock = clock
        self.capacity = capacity
        self.state = Mutex(State())
    }

    /// Records an event, stamping it with the next sequence number and the virtual time.
    @discardableResult
    public func record(
        cloud: String?,
        service: String,
        connection: String? = nil,
        event: String,
        detail: [String: String] = [:]
    ) -> JournalEvent {
        let time = Timestamps.rfc3339(clock.now())
        return state.withLock { state in
            let stamped = JournalEvent(
                seq: state.nextSeq,
                time: time,
                cloud: cloud,
                service: service,
                connection: connection,
                event: event,
                detail: detail
            )
            state.nextSeq += 1
            var kind = EventKind(cloud: cloud, service: service, event: event)
            if state.counts[kind] == nil, state.counts.count >= Limits.journalCountedKinds {
                kind.event = "other"
            }
            state.counts[kind, default: 0] += 1
            if state.events.count < capacity {
                state.events.append(stamped)
            } else if capacity > 0 {
                state.events[state.oldest] = stamped
                state.oldest = (state.oldest + 1) % capacity
                state.dropped += 1
            } else {
                state.dropped += 1
            }
            return stamped
        }
    }

    /// Events with `seq` greater than `after`, oldest first.
    public func events(after: Int = 0) -> [JournalEvent] {
        state.withLock { state in state.inOrder(after: after) }
    }

    /// What a count in `eventCounts()` is of.
    public struct EventKind: Hashable, Sendable {
        public var cloud: String?
        public var service: String
        public var event: String

        public init(cloud: String?, service: String, event: String) {
            self.cloud = cloud
            self.service = service
            self.event = event
        }
    }

    /// Every event recorded since the start, dropped ones included, by kind (for `GET /metrics`).
    public func eventCounts() -> [EventKind: Int] { state.withLock { $0.counts } }

    /// Events recorded since the start, dropped ones included.
    public var recordedCount: Int { state.withLock { $0.nextSeq - 1 } }

    /// How many events were dropped because the journal was full.
    public var droppedCount: Int { state.withLock { $0.dropped } }

    /// All kept events as JSON lines, one per line, each ending in `\n`.
    public func jsonLines(after: Int = 0) -> String {
        events(after: after).map { $0.jsonLine() + "\n" }.joined()
    }
}

