import ExomockLimits
import Foundation

/// `application/x-www-form-urlencoded` parsing (bodies and query strings) into raw parameters, as
/// Microsoft reads them: `+` is a space, percent escapes decode as UTF-8, the first value of a repeated
/// name wins. Validation happens later, parameter by parameter, so a missing `client_id` gets its own
/// AADSTS code instead of a generic decoding error.
enum FormParameters {
    enum Problem: Error, Equatable {
        /// A value longer than `Limits.tokenParameterMaximumLength`.
        case tooLong(String)
    }

    static func parse(_ text: String) -> Result<[String: String], Problem> {
        var result: [String: String] = [:]
        for pair in split(text[...], at: "&", omittingEmptySubsequences: true) {
            let parts = split(pair, at: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = decode(parts[0])
            let value = parts.count > 1 ? decode(parts[1]) : ""
            if value.utf8.count > Limits.tokenParameterMaximumLength
                || name.utf8.count > Limits.tokenParameterMaximumLength
            {
                return .failure(.tooLong(String(name.prefix(64))))
            }
            if result[name] == nil { result[name] = value }
        }
        return .success(result)
    }

    /// `text` split at `separator` as `Substring.split(separator:maxSplits:omittingEmptySubsequences:)`
    /// splits it. ASCII text (what clients send) by bytes: splitting by Characters was 1 % of a refresh
    /// grant's CPU. Other text by Characters, as before (a separator followed by a combining mark is none).
    static func split(
        _ text: Substring, at separator: Unicode.Scalar, maxSplits: Int = .max, omittingEmptySubsequences: Bool
    ) -> [Substring] {
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else {
            return text.split(
                separator: Character(separator), maxSplits: maxSplits,
                omittingEmptySubsequences: omittingEmptySubsequences)
        }
        return text.utf8.split(
            separator: UInt8(separator.value), maxSplits: maxSplits,
            omittingEmptySubsequences: omittingEmptySubsequences
        ).map { Substring($0) }
    }

    /// `+` as a space, then percent escapes as UTF-8, as Foundation's `replacingOccurrences` and
    /// `removingPercentEncoding` decode them. ASCII text whose escapes are well formed and spell UTF-8
    /// (what clients send) is decoded in one pass over its bytes: Foundation's passes were 3 % of a
    /// refresh grant's CPU. Anything else takes Foundation's path, whose answers for bad escapes and bytes
    /// that are not UTF-8 are its own (nil for `%80`, U+FFFD for `%A9`).
    static func decode(_ part: Substring) -> String {
        // Most names and values (grant types, ids, tokens) carry neither: nothing to decode.
        if !part.utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) { return String(part) }
        return decodeASCII(part) ?? foundationDecode(part)
    }

    /// Foundation's decoding: for what `decodeASCII` leaves, and the reference it is tested against.
    static func foundationDecode(_ part: Substring) -> String {
        let spaced = part.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// `decode` for ASCII text with well-formed escapes that decode to UTF-8; nil for anything else.
    static func decodeASCII(_ part: Substring) -> String? {
        var decoded = [UInt8]()
        decoded.reserveCapacity(part.utf8.count)
        var pending = 0  // hex digits still expected after a `%`
        var escaped: UInt8 = 0
        for byte in part.utf8 {
            if byte >= 0x80 { return nil }
            if pending > 0 {
                guard let digit = hexValue(byte) else { return nil }
                escaped = escaped << 4 | digit
                pending -= 1
                if pending == 0 { decoded.append(escaped) }
            } else if byte == UInt8(ascii: "%") {
                pending = 2
                escaped = 0
            } else {
                decoded.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            }
        }
        guard pending == 0 else { return nil }
        return String(validating: decoded, as: UTF8.self)
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Percent-encodes a value for a query string or form body (RFC 3986 unreserved characters kept).
    static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(
            CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }
}

/// HTML escaping for the login pages.
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
