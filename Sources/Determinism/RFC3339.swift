import Foundation

/// A strict RFC 3339 `date-time` reader (`2026-01-01T09:30:00.25-05:00`), by hand: one pass over the
/// bytes, no formatter objects, every field range-checked (month 01–12, the month's days with leap
/// years, hour 00–23, minute 00–59, second 00–60, zone offset up to ±23:59). Years are the four digits
/// RFC 3339 allows, 0001–9999; a fraction has at most `maximumFractionDigits` digits. `T`/`t`/space and
/// `Z`/`z` are accepted as RFC 3339 §5.6 notes.
public enum RFC3339 {
    /// Digits of a fractional second kept (nanoseconds); a longer fraction is refused, not rounded.
    public static let maximumFractionDigits = 9

    /// The latest instant RFC 3339 can write: 9999-12-31T23:59:59Z. The virtual clock stops short of it.
    public static let latestInstant = Date(timeIntervalSince1970: 253_402_300_799)

    /// The earliest instant RFC 3339 can write: 0001-01-01T00:00:00Z.
    public static let earliestInstant = Date(timeIntervalSince1970: -62_135_596_800)

    /// Why a text is not an RFC 3339 date-time, in words for a located error.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// The instant `text` names, or what is wrong with it.
    public static func parse(_ text: String) -> Result<Date, Problem> {
        var reader = Reader(bytes: Array(text.utf8.prefix(64)))
        guard text.utf8.count <= 64 else {
            return .failure(Problem(description: "it is longer than an RFC 3339 date-time can be"))
        }
        return reader.dateTime()
    }

    private struct Reader {
        let bytes: [UInt8]
        var at = 0

        mutating func number(_ digits: Int, _ field: String) -> Result<Int, Problem> {
            var value = 0
            for _ in 0..<digits {
                guard at < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[at]) else {
                    return .failure(Problem(description: "the \(field) must be \(digits) digits"))
                }
                value = value * 10 + Int(bytes[at] - UInt8(ascii: "0"))
                at += 1
            }
            return .success(value)
        }

        mutating func expect(_ characters: String, after field: String) -> Problem? {
            guard at < bytes.count, characters.utf8.contains(bytes[at]) else {
                let wanted = characters.map { "'\($0)'" }.joined(separator: " or ")
                return Problem(description: "expected \(wanted) after the \(field)")
            }
            at += 1
            return nil
        }

        mutating func field(_ digits: Int, _ name: String, _ range: ClosedRange<Int>) -> Result<Int, Problem> {
            number(digits, name).flatMap { value in
                range.contains(value)
                    ? .success(value)
                    : .failure(
                        Problem(
                            description: "the \(name) \(value) is out of range \(range.lowerBound)–\(range.upperBound)")
                    )
            }
        }

        mutating func dateTime() -> Result<Date, Problem> {
            do throws(Problem) {
                let year = try field(4, "year", 1...9999).get()
                if let p = expect("-", after: "year") { throw p }
                let month = try field(2, "month", 1...12).get()
                if let p = expect("-", after: "month") { throw p }
                let day = try field(2, "day", 1...RFC3339.days(inMonth: month, of: year)).get()
                if let p = expect("Tt ", after: "date") { throw p }
                let hour = try field(2, "hour", 0...23).get()
                if let p = expect(":", after: "hour") { throw p }
                let minute = try field(2, "minute", 0...59).get()
                if let p = expect(":", after: "minute") { throw p }
                let second = try field(2, "second", 0...60).get()
                var fraction = 0.0
                if at < bytes.count, bytes[at] == UInt8(ascii: ".") {
                    at += 1
                    let start = at
                    while at < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[at]) { at += 1 }
                    let digits = at - start
                    guard digits > 0 else { throw Problem(description: "the fraction after '.' has no digits") }
                    guard digits <= RFC3339.maximumFractionDigits else {
                        throw Problem(
                            description:
                                "the fractional second has \(digits) digits; at most \(RFC3339.maximumFractionDigits) are read"
                        )
                    }
                    var nanoseconds = 0
                    for i in start..<at { nanoseconds = nanoseconds * 10 + Int(bytes[i] - UInt8(ascii: "0")) }
                    for _ in digits..<RFC3339.maximumFractionDigits { nanoseconds *= 10 }
                    fraction = Double(nanoseconds) / 1e9
                }
                guard at < bytes.count else { throw Problem(description: "the time zone is missing (Z or ±hh:mm)") }
                var offset = 0
                switch bytes[at] {
                case UInt8(ascii: "Z"), UInt8(ascii: "z"):
                    at += 1
                case UInt8(ascii: "+"), UInt8(ascii: "-"):
                    let sign = bytes[at] == UInt8(ascii: "-") ? -1 : 1
                    at += 1
                    let hours = try field(2, "offset hour", 0...23).get()
                    if let p = expect(":", after: "offset hour") { throw p }
                    let minutes = try field(2, "offset minute", 0...59).get()
                    offset = sign * (hours * 3_600 + minutes * 60)
                default:
                    throw Problem(description: "the time zone must be Z or ±hh:mm")
                }
                guard at == bytes.count else { throw Problem(description: "unexpected text after the time zone") }
                let days = RFC3339.daysSinceEpoch(year: year, month: month, day: day)
                let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset
                // A leap second (second 60) or an offset can carry a date written in range past either end.
                let instant = Date(timeIntervalSince1970: Double(seconds) + fraction)
                guard instant <= RFC3339.latestInstant else {
                    throw Problem(
                        description: "the instant is after 9999-12-31T23:59:59Z, the latest RFC 3339 can write")
                }
                guard instant >= RFC3339.earliestInstant else {
                    throw Problem(
                        description: "the instant is before 0001-01-01T00:00:00Z, the earliest RFC 3339 can write")
                }
                return .success(instant)
            } catch {
                return .failure(error)
            }
        }
    }

    /// Days in `month` (1–12) of `year`, Gregorian.
    static func days(inMonth month: Int, of year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to the date (proleptic Gregorian; Howard Hinnant's `days_from_civil`).
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
