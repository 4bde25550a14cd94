import Foundation

/// A strict reading of a JSON text from outside (admin API bodies), before Foundation decodes it:
/// RFC 8259 grammar, no duplicate key in any object (Foundation keeps one of them silently, so
/// `{"by": "1d", "by": "900d"}` would mean whichever it picked), nesting at most `maximumDepth` deep,
/// numbers finite as a `Double`. One pass over the bytes; it builds nothing but each object's key set.
public enum StrictJSON {
    /// Deepest nesting of arrays and objects accepted.
    public static let maximumDepth = 64

    /// What is wrong with a JSON text, for an admin API error body (`error`, `fix`).
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var fix: String
        public var description: String { "\(message). \(fix)" }
    }

    /// Nil when `data` is one strict JSON value (surrounding white space allowed); else what is wrong.
    /// With `keys`, the value must be an object whose keys are all among them (an admin body: an unknown
    /// key is refused, not ignored, so a misspelt field is never silently left out).
    public static func problem(in data: Data, keys: [String]? = nil) -> Problem? {
        var scanner = Scanner(bytes: [UInt8](data), allowedKeys: keys)
        do throws(Problem) {
            scanner.skipSpace()
            if let keys, scanner.at >= scanner.bytes.count || scanner.bytes[scanner.at] != UInt8(ascii: "{") {
                throw Problem(
                    message: "the body must be a JSON object",
                    fix:
                        "Send a JSON object with \(keys.count == 1 ? "the key" : "keys among") \(keys.joined(separator: ", "))."
                )
            }
            try scanner.value(depth: 1, path: "")
            scanner.skipSpace()
            guard scanner.at == scanner.bytes.count else { throw scanner.syntax("text after the JSON value") }
            return nil
        } catch {
            return error
        }
    }

    private struct Scanner {
        let bytes: [UInt8]
        /// The keys the top-level object may have; nil for any.
        let allowedKeys: [String]?
        var at = 0

        func syntax(_ what: String) -> Problem {
            Problem(
                message: "the body is not valid JSON: \(what) at byte \(at)",
                fix: "Send one JSON value, e.g. an object such as {\"key\": \"value\"}.")
        }

        mutating func skipSpace() {
            while at < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[at]) { at += 1 }
        }

        mutating func literal(_ word: String) throws(Problem) {
            let utf8 = Array(word.utf8)
            guard at + utf8.count <= bytes.count, Array(bytes[at..<at + utf8.count]) == utf8 else {
                throw syntax("an unexpected character")
            }
            at += utf8.count
        }

        mutating func value(depth: Int, path: String) throws(Problem) {
            guard at < bytes.count else { throw syntax("the text ends where a value should be") }
            switch bytes[at] {
            case UInt8(ascii: "{"): try object(depth: depth, path: path)
            case UInt8(ascii: "["): try array(depth: depth, path: path)
            case UInt8(ascii: "\""): _ = try string()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            default: try number(path: path)
            }
        }

        mutating func nested(_ depth: Int) throws(Problem) {
            guard depth <= StrictJSON.maximumDepth else {
                throw Problem(
                    message: "the JSON nests deeper than \(StrictJSON.maximumDepth) levels",
                    fix: "Send a flat object, as the admin API documents.")
            }
        }

        mutating func object(depth: Int, path: String) throws(Problem) {
            try nested(depth)
            at += 1
            var keys = Set<String>()
            skipSpace()
            if at < bytes.count, bytes[at] == UInt8(ascii: "}") {
                at += 1
                return
            }
            while true {
                skipSpace()
                guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { throw syntax("expected a key") }
                let key = try string()
                let keyPath = path.isEmpty ? key : "\(path).\(key)"
                if depth == 1, let allowedKeys, !allowedKeys.contains(key) {
                    throw Problem(
                        message: "unknown key '\(QuotedInput.shown(key))'",
                        fix: "Use only these keys: \(allowedKeys.joined(separator: ", ")).")
                }
                guard keys.insert(key).inserted else {
                    throw Problem(
                        message: "the key '\(QuotedInput.shown(keyPath))' is written more than once",
                        fix: "Write each key once.")
                }
                skipSpace()
                guard at < bytes.count, bytes[at] == UInt8(ascii: ":") else { throw syntax("expected ':'") }
                at += 1
                skipSpace()
                try value(depth: depth + 1, path: keyPath)
                skipSpace()
                guard at < bytes.count else { throw syntax("the object is not closed") }
                if bytes[at] == UInt8(ascii: ",") {
                    at += 1
                    continue
                }
                guard bytes[at] == UInt8(ascii: "}") else { throw syntax("expected ',' or '}'") }
                at += 1
                return
            }
        }

        mutating func array(depth: Int, path: String) throws(Problem) {
            try nested(depth)
            at += 1
            skipSpace()
            if at < bytes.count, bytes[at] == UInt8(ascii: "]") {
                at += 1
                return
            }
            var index = 0
            while true {
                skipSpace()
                try value(depth: depth + 1, path: "\(path)[\(index)]")
                index += 1
                skipSpace()
                guard at < bytes.count else { throw syntax("the array is not closed") }
                if bytes[at] == UInt8(ascii: ",") {
                    at += 1
                    continue
                }
                guard bytes[at] == UInt8(ascii: "]") else { throw syntax("expected ',' or ']'") }
                at += 1
                return
            }
        }

        /// A string's decoded text (escapes applied), so `"a"` and `"\u0061"` are the same key.
        mutating func string() throws(Problem) -> String {
            at += 1
            var scalars = String.UnicodeScalarView()
            var run = [UInt8]()
            func flush() {
                scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
                run.removeAll(keepingCapacity: true)
            }
            while at < bytes.count {
                let byte = bytes[at]
                if byte == UInt8(ascii: "\"") {
                    at += 1
                    flush()
                    return String(scalars)
                }
                guard byte >= 0x20 else { throw syntax("a control character inside a string") }
                if byte != UInt8(ascii: "\\") {
                    run.append(byte)
                    at += 1
                    continue
                }
                flush()
                at += 1
                guard at < bytes.count else { break }
                let escape = bytes[at]
                at += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800...0xDBFF).contains(code), at + 1 < bytes.count, bytes[at] == UInt8(ascii: "\\"),
                        bytes[at + 1] == UInt8(ascii: "u")
                    {
                        at += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw syntax("an unpaired surrogate escape") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw syntax("an unpaired surrogate escape") }
                    scalars.append(scalar)
                default:
                    throw syntax("an unknown escape '\\\(Character(Unicode.Scalar(escape)))'")
                }
            }
            throw syntax("the string is not closed")
        }

        mutating func hex4() throws(Problem) -> UInt32 {
            guard at + 4 <= bytes.count else { throw syntax("a short \\u escape") }
            var code: UInt32 = 0
            for byte in bytes[at..<at + 4] {
                guard let digit = Character(Unicode.Scalar(byte)).hexDigitValue else {
                    throw syntax("a \\u escape that is not four hex digits")
                }
                code = code * 16 + UInt32(digit)
            }
            at += 4
            return code
        }

        /// `-? int frac? exp?` (RFC 8259 §6); its value must be finite as a `Double` (no `1e400`).
        mutating func number(path: String) throws(Problem) {
            let start = at
            func digits() -> Int {
                let from = at
                while at < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[at]) { at += 1 }
                return at - from
            }
            if at < bytes.count, bytes[at] == UInt8(ascii: "-") { at += 1 }
            let intStart = at
            let intDigits = digits()
            guard intDigits > 0 else { throw syntax("an unexpected character") }
            guard intDigits == 1 || bytes[intStart] != UInt8(ascii: "0") else {
                throw syntax("a number with a leading zero")
            }
            if at < bytes.count, bytes[at] == UInt8(ascii: ".") {
                at += 1
                guard digits() > 0 else { throw syntax("a number without digits after '.'") }
            }
            if at < bytes.count, bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E") {
                at += 1
                if at < bytes.count, bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-") { at += 1 }
                guard digits() > 0 else { throw syntax("a number without digits in its exponent") }
            }
            let text = String(decoding: bytes[start..<at], as: UTF8.self)
            guard let value = Double(text), value.isFinite else {
                throw Problem(
                    message:
                        "the number '\(QuotedInput.shown(text))' at '\(path.isEmpty ? "(top)" : QuotedInput.shown(path))' is out of range",
                    fix: "Send a number a 64-bit float holds, or the documented string form.")
            }
        }
    }
}
