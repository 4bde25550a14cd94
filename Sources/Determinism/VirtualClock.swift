import Foundation
import Synchronization

/// The one clock of a running scenario. Every component reads time here; nothing in a protocol
/// decision reads the wall clock. It only moves when told to (`advance(by:)`), so a scenario can
/// skip 90 days in a millisecond and two runs see the same instants.
public final class VirtualClock: Sendable {
    private let current: Mutex<Date>
    /// Wall-clock instant the clock started at, when it follows the wall clock (`realtime` mode).
    private let wallStart: Date?

    /// A clock that moves only when told.
    public init(start: Date) {
        current = Mutex(start)
        wallStart = nil
    }

    /// A clock that starts at `start` and then also follows the wall clock (scenario `clock.mode:
    /// realtime`, for people clicking through the login page by hand). Advances add to it.
    public init(start: Date, followingWallClockFrom wallStart: Date) {
        current = Mutex(start)
        self.wallStart = wallStart
    }

    /// The current virtual instant.
    public func now() -> Date {
        let base = current.withLock { $0 }
        guard let wallStart else { return base }
        return base.addingTimeInterval(max(0, Date().timeIntervalSince(wallStart)))
    }

    /// Moves time forward by `seconds` and returns the new instant, for amounts the caller chose (tests,
    /// flows already checked). Amounts from outside go through `advance(checked:atMost:)`.
    @discardableResult
    public func advance(by seconds: TimeInterval) -> Date {
        switch advance(checked: seconds, atMost: .greatestFiniteMagnitude) {
        case .success(let date): return date
        case .failure(let error): preconditionFailure("VirtualClock.advance(by: \(seconds)): \(error)")
        }
    }

    /// Moves time forward by `seconds`, or says why not, leaving the clock as it was: the amount must be
    /// finite, positive or zero, at most `maximum` (the admin API passes
    /// `Limits.scenarioMaximumDurationSeconds`), and must not carry the clock past `RFC3339.latestInstant`
    /// (the end of year 9999, the last instant RFC 3339 can write).
    public func advance(checked seconds: TimeInterval, atMost maximum: TimeInterval) -> Result<Date, AdvanceError> {
        guard seconds.isFinite, seconds >= 0 else { return .failure(.notAnAmount) }
        guard seconds <= maximum else { return .failure(.tooLong(maximum: maximum)) }
        let moved: Bool = current.withLock { base in
            let wall = wallStart.map { max(0, Date().timeIntervalSince($0)) } ?? 0
            guard base.timeIntervalSince1970 + wall + seconds <= RFC3339.latestInstant.timeIntervalSince1970 else {
                return false
            }
            base = base.addingTimeInterval(seconds)
            return true
        }
        return moved ? .success(now()) : .failure(.pastLatestInstant)
    }

    /// Why `advance(checked:atMost:)` refused an amount.
    public enum AdvanceError: Error, Sendable, Equatable, CustomStringConvertible {
        case notAnAmount
        case tooLong(maximum: TimeInterval)
        case pastLatestInstant

        public var description: String {
            switch self {
            case .notAnAmount: "the amount is not a finite, non-negative number of seconds"
            case .tooLong(let maximum):
                "the amount is longer than \(DurationText.format(seconds: maximum)), the most one advance may move the clock"
            case .pastLatestInstant:
                "the clock would move past 9999-12-31T23:59:59Z, the last instant RFC 3339 can write"
            }
        }

        public var fix: String {
            switch self {
            case .notAnAmount: "Send a duration such as 90d, 1h30m, 15m, 30s or 250ms."
            case .tooLong(let maximum): "Advance by at most \(DurationText.format(seconds: maximum)) at a time."
            case .pastLatestInstant: "Advance by less, or start the scenario's clock earlier."
            }
        }
    }

    /// The default start instant of a scenario that names none: fixed, so transcripts repeat.
    public static let defaultStart = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z
}

/// Formats instants the way exomock writes them everywhere: RFC 3339, UTC, whole seconds.
public enum Timestamps {
    /// swift-foundation's value formatter: no ICU, no per-call formatter object (the old
    /// `ISO8601DateFormatter` per call cost about 8 % of a token grant's CPU).
    public static func rfc3339(_ date: Date) -> String { date.formatted(rfc3339Style) }
    static let rfc3339Style = Date.ISO8601FormatStyle()

    /// Parses RFC 3339 with or without fractional seconds (`RFC3339.parse`, which says why not).
    public static func parseRFC3339(_ text: String) -> Date? { try? RFC3339.parse(text).get() }

    /// `Thu, 01 Jan 2026 00:00:00 +0000`. Built from swift-foundation's ISO 8601 style plus the weekday:
    /// a `DateFormatter` per message made start-up ICU-bound for scenarios with many generated messages.
    public static func rfc5322(_ date: Date) -> String {
        let iso = Array(date.formatted(rfc3339Style).utf8)  // yyyy-MM-ddTHH:mm:ssZ
        func text(_ range: Range<Int>) -> String { String(decoding: iso[range], as: UTF8.self) }
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let weekday = weekdays[((days % 7) + 7 + 4) % 7]  // 1970-01-01 was a Thursday
        let month = months[(Int(text(5..<7)) ?? 1) - 1]
        return "\(weekday), \(text(8..<10)) \(month) \(text(0..<4)) \(text(11..<19)) +0000"
    }
    static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Microsoft's error-body timestamp: `2016-01-09 02:02:12Z`.
    public static func microsoftErrorTimestamp(_ date: Date) -> String { date.formatted(microsoftStyle) }
    static let microsoftStyle = Date.ISO8601FormatStyle(dateTimeSeparator: .space)
}
