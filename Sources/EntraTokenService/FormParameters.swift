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
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
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

    static func decode(_ part: Substring) -> String {
        // Most names and values (grant types, ids, tokens) carry neither: skip Foundation's passes.
        if !part.utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) { return String(part) }
        let spaced = part.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
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
