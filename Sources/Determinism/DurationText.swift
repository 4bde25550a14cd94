import Foundation

/// Durations as scenarios write them: `90d`, `1h30m`, `15m`, `3600s`, `250ms`, or a bare number
/// of seconds. Parsed into seconds.
public enum DurationText {
    /// Seconds for a duration string, or nil when it is not one. Numbers are ASCII digits with at most
    /// one `.`, followed by a digit (`5.m` is not a number; no sign, exponent, hex, `inf` or `nan`); units
    /// come largest first, each at most once (`1h30m`, not `30m1h` or `1h1h`); at most `maximumLength`
    /// characters in all, and the total is finite; callers check it against their own limit.
    public static func parse(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed.utf8.count > maximumLength { return nil }
        if isNumber(trimmed[...]) { return Double(trimmed) }
        var total = 0.0
        var number = ""
        var index = trimmed.startIndex
        var sawUnit = false
        // The size of the last unit read: the next must be smaller (so each appears once, largest first).
        var previousUnit = Double.infinity
        while index < trimmed.endIndex {
            let c = trimmed[index]
            if c.isASCII && (c.isNumber || c == ".") {
                number.append(c)
                index = trimmed.index(after: index)
                continue
            }
            guard isNumber(number[...]), let value = Double(number) else { return nil }
            let rest = trimmed[index...]
            let unit: Double
            if rest.hasPrefix("ms") {
                unit = 0.001
                index = trimmed.index(index, offsetBy: 2)
            } else {
                switch c {
                case "w": unit = 604_800
                case "d": unit = 86_400
                case "h": unit = 3_600
                case "m": unit = 60
                case "s": unit = 1
                default: return nil
                }
                index = trimmed.index(after: index)
            }
            guard unit < previousUnit else { return nil }
            previousUnit = unit
            total += value * unit
            number = ""
            sawUnit = true
        }
        return number.isEmpty && sawUnit && total.isFinite ? total : nil
    }

    /// Longest duration text read: `36500d` is six characters, `1w2d3h4m5s250ms` fifteen.
    public static let maximumLength = 64

    /// ASCII digits with at most one `.`, at least one digit, and a digit after the `.` (`5.` is not one).
    static func isNumber(_ text: Substring) -> Bool {
        var digits = 0
        var dots = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: ".") {
                dots += 1
            } else if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                digits += 1
            } else {
                return false
            }
        }
        return digits > 0 && dots <= 1 && text.utf8.last != UInt8(ascii: ".")
    }

    /// The shortest text that parses back to the same whole number of seconds (`91d`, `1h30m`).
    public static func format(seconds: Double) -> String {
        guard seconds.isFinite, abs(seconds) < 1e15 else { return "\(seconds)s" }
        if seconds < 1, seconds > 0 { return "\(Int((seconds * 1000).rounded()))ms" }
        var rest = Int(seconds.rounded())
        if rest == 0 { return "0s" }
        var parts = ""
        for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] where rest >= size {
            parts += "\(rest / size)\(unit)"
            rest %= size
        }
        return parts
    }
}
