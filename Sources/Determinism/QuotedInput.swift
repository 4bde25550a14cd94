/// Text from outside (a client's request, a scenario's value) as an error message quotes it: at most
/// `maximumShown` characters, so a client cannot make an answer as long as its request, and with control
/// characters written as `\u{…}`, so a quoted value cannot break a line or hide a NUL. The one place errors
/// (admin API answers, located scenario problems) make client text printable.
public enum QuotedInput {
    /// The most characters of one value an error quotes; a longer value is cut to `maximumShown - 3` and `...`.
    public static let maximumShown = 40

    /// `text` cut to `maximumShown` characters and escaped: what an error message quotes.
    public static func shown(_ text: String) -> String { escaped(clipped(text)) }

    /// `text` whole when it has at most `maximumShown` characters, else its start and `...`.
    public static func clipped(_ text: String) -> String {
        text.count > maximumShown ? String(text.prefix(maximumShown - 3)) + "..." : text
    }

    /// `text` with every control character (C0, DEL, C1, and the line and paragraph separators) as `\u{hex}`.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
    }
}
