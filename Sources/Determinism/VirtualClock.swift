import Foundation
import Synchronization

/// The one clock of a running scenario. Every component reads time here; nothing in a protocol
/// decision reads the wall clock. It only moves when told to (`advance(by:)`), so a scenario can
/// skip 90 days in a millisecond and two runs see the same instants.
public final class VirtualClock: Sendable {
    private let current: Mutex<Date>

    public init(start: Date) { current = Mutex(start) }

    /// The current virtual instant.
    public func now() -> Date { current.withLock { $0 } }

    /// Moves time forward. Negative amounts are refused: time never runs backwards.
    @discardableResult
    public func advance(by seconds: TimeInterval) -> Date {
        precondition(seconds >= 0, "VirtualClock.advance(by:) takes a non-negative interval")
        return current.withLock { now in
            now = now.addingTimeInterval(seconds)
            return now
        }
    }

    /// The default start instant of a scenario that names none: fixed, so transcripts repeat.
    public static let defaultStart = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z
}

/// Formats instants the way exomock writes them everywhere: RFC 3339, UTC, whole seconds.
public enum Timestamps {
    public static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    /// Parses RFC 3339 with or without fractional seconds.
    public static func parseRFC3339(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let d = plain.date(from: text) { return d }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }

    /// Microsoft's error-body timestamp: `2016-01-09 02:02:12Z`.
    public static func microsoftErrorTimestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss'Z'"
        return formatter.string(from: date)
    }
}
