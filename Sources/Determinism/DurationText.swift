import Foundation

/// Durations as scenarios write them: `90d`, `1h30m`, `15m`, `3600s`, `250ms`, or a bare number
/// of seconds. Parsed into seconds.
public enum DurationText {
    /// Seconds for a duration string, or nil when it is not one.
    public static func parse(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return nil }
        if let seconds = Double(trimmed), seconds >= 0 { return seconds }
        var total = 0.0
        var number = ""
        var index = trimmed.startIndex
        var sawUnit = false
        while index < trimmed.endIndex {
            let c = trimmed[index]
            if c.isNumber || c == "." {
                number.append(c)
                index = trimmed.index(after: index)
                continue
            }
            guard let value = Double(number) else { return nil }
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
            total += value * unit
            number = ""
            sawUnit = true
        }
        return number.isEmpty && sawUnit ? total : nil
    }

    /// The shortest text that parses back to the same whole number of seconds (`91d`, `1h30m`).
    public static func format(seconds: Double) -> String {
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
