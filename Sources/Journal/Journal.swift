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
    /// `token`, `imap`, `pop3`, `admin`, `scenario` (`JournalNames.swift`).
    public var service: Service
    /// Connection or request id (`imap-3`, `token-12`), seeded and stable across runs.
    public var connection: String?
    /// What happened, a short dotted name: `auth.failed`, `token.issued`, `clock.advanced` (`JournalNames.swift`).
    public var event: Name
    /// Details, all strings: `reason`, `code`, `user`, `mailbox`, `command` ...
    public var detail: [String: String]

    public init(
        seq: Int = 0,
        time: String = "",
        cloud: String?,
        service: Service,
        connection: String?,
        event: Name,
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

/// Called with each event once it is recorded (see `Journal.setObserver`).
public typealias JournalObserver = @Sendable (JournalEvent) -> Void

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
        var observer: JournalObserver?
        /// The last instant stamped and its text: on the virtual clock most events share their instant,
        /// and formatting it again was 0.5 % of a token grant's CPU.
        var lastStamp: (date: Date, text: String)?

        /// Oldest first. Sequence numbers are consecutive, so the first event after `seq` is found by
        /// arithmetic, and a poller that asks for what is new pays for what is new, not for the whole ring.
        func inOrder(after seq: Int) -> [JournalEvent] {
            let count = events.count
            let oldestSeq = nextSeq - count
            let skip = min(max(seq - oldestSeq + 1, 0), count)
            var out: [JournalEvent] = []
            out.reserveCapacity(count - skip)
            for position in skip..<count { out.append(events[(oldest + position) % count]) }
            return out
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
        service: JournalEvent.Service,
        connection: String? = nil,
        event: JournalEvent.Name,
        detail: [String: String] = [:]
    ) -> JournalEvent {
        let now = clock.now()
        let (stamped, observer) = state.withLock { state in
            let time: String
            if let last = state.lastStamp, last.date == now {
                time = last.text
            } else {
                time = Timestamps.rfc3339(now)
                state.lastStamp = (now, time)
            }
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
                kind.event = .other
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
            return (stamped, state.observer)
        }
        // Outside the lock: an observer that logs (or records) cannot deadlock or stall other writers.
        observer?(stamped)
        return stamped
    }

    /// Sets (or, with nil, removes) the one observer called with every event after it is recorded, on the
    /// recording thread. `exomock serve` logs decision events through it (`JournalEvent.isDecision`).
    /// Keep it quick: it runs inside the services' request and connection handling.
    public func setObserver(_ observer: JournalObserver?) {
        state.withLock { $0.observer = observer }
    }

    /// Events with `seq` greater than `after`, oldest first.
    public func events(after: Int = 0) -> [JournalEvent] {
        state.withLock { state in state.inOrder(after: after) }
    }

    /// What a count in `eventCounts()` is of.
    public struct EventKind: Hashable, Sendable {
        public var cloud: String?
        public var service: JournalEvent.Service
        public var event: JournalEvent.Name

        public init(cloud: String?, service: JournalEvent.Service, event: JournalEvent.Name) {
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

// MARK: Decisions, for the console

extension JournalEvent {
    /// Events that are a decision a user debugging a client wants to see on the console: a token refused or
    /// throttled, a login refused or "authenticated but not connected", a connection refused, an injected fault.
    public static let decisionEvents: Set<Name> = [
        .tokenRejected, .tokenThrottled, .discoveryRejected, .authFailed, .authNotConnected, .connectionRefused,
    ]

    /// Whether this event is a decision (`decisionEvents`, or any `fault.*`).
    public var isDecision: Bool {
        Self.decisionEvents.contains(event) || event.hasPrefix("fault.")
    }

    /// Detail keys whose values are never shown outside the journal, whatever a service records.
    /// (No service records secrets today; this keeps a future one from leaking them to a console or CI log.)
    static let secretKeyFragments = ["password", "secret", "token", "assertion", "authorization", "bearer", "cookie"]

    /// `detail` with the value of every key that names a secret (`password`, `client_secret`,
    /// `refresh_token` ...) replaced by `<redacted>`.
    public var redactedDetail: [String: String] {
        var redacted = detail
        for key in detail.keys {
            let lowered = key.lowercased()
            if Self.secretKeyFragments.contains(where: { lowered.contains($0) }) { redacted[key] = "<redacted>" }
        }
        return redacted
    }

    /// One line for a console: where, what was decided, the rest of the (redacted) detail.
    ///
    /// `gcc-high token token-3: token refused: AADSTS700082 invalid_grant (rule refresh_token_max_age) client=...`
    /// `gcc-high imap imap-2: login refused: token_expired (token rejected: expired) command=AUTHENTICATE user=...`
    public var consoleSummary: String {
        var rest = redactedDetail
        let headline: String
        switch event {
        case .tokenRejected, .discoveryRejected:
            let code = rest.removeValue(forKey: "code").map { "AADSTS\($0)" } ?? "no AADSTS code"
            let error = rest.removeValue(forKey: "error").map { " \($0)" } ?? ""
            let rule = rest.removeValue(forKey: "rule").map { " (rule \($0))" } ?? ""
            let what = event == .tokenRejected ? "token refused" : "discovery refused"
            headline = "\(what): \(code)\(error)\(rule)"
        case .tokenThrottled:
            rest["code"] = nil
            let after = rest.removeValue(forKey: "retry_after").map { ", Retry-After \($0) s" } ?? ""
            let rule = rest.removeValue(forKey: "rule").map { " (rule \($0))" } ?? ""
            headline = "token throttled: HTTP 429\(after)\(rule)"
        case .authFailed, .authNotConnected:
            let reason = rest.removeValue(forKey: "reason") ?? "no reason recorded"
            let why = rest.removeValue(forKey: "detail").map { " (\($0))" } ?? ""
            let what = event == .authFailed ? "login refused" : "authenticated but not connected"
            headline = "\(what): \(reason)\(why)"
        case .connectionRefused:
            headline = "connection refused: \(rest.removeValue(forKey: "reason") ?? "no reason recorded")"
        case let name where name.hasPrefix("fault."):
            headline = "fault injected: \(name.rawValue.dropFirst("fault.".count))"
        default:
            headline = event.rawValue
        }
        let place = [cloud, service.rawValue, connection].compactMap { $0 }.joined(separator: " ")
        let fields = rest.sorted { $0.key < $1.key }.map { key, value in
            value.contains(" ") || value.isEmpty ? "\(key)=\"\(value)\"" : "\(key)=\(value)"
        }
        return ([place + ":", headline] + fields).joined(separator: " ")
    }
}
