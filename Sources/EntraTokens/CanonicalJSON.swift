import Foundation

/// A JSON value whose objects keep their keys in the order they were written.
///
/// Everything exomock's token service puts on the wire (JWT headers and claims, token responses,
/// AADSTS error bodies, discovery documents, JWKS) is written through this type, so the bytes follow
/// Microsoft's field order and repeat across runs. `JSONEncoder` on Linux orders keys differently in
/// each process (swift-server-patterns.md, pitfall 13).
public indirect enum CanonicalJSON: Sendable, Equatable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case null
    case array([CanonicalJSON])
    case object([(String, CanonicalJSON)])

    public static func == (lhs: CanonicalJSON, rhs: CanonicalJSON) -> Bool { lhs.serialized == rhs.serialized }

    /// The compact JSON text (no spaces, `/` not escaped, as Microsoft writes it).
    public var serialized: String { String(decoding: bytes, as: UTF8.self) }

    /// `serialized` as UTF-8. Written as bytes: appending to a `String` piece by piece was 2 % of a
    /// token grant's CPU.
    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(512)
        write(into: &out)
        return out
    }

    func write(into out: inout [UInt8]) {
        switch self {
        case .string(let s): Self.writeString(s, into: &out)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .null: out.append(contentsOf: "null".utf8)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            out.append(UInt8(ascii: "{"))
            for (i, (key, value)) in fields.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most strings (claims, ids, URLs) need no escaping: append them whole rather than scalar
        // by scalar (the scalar loop was 8 % of a token grant's CPU).
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out.append(contentsOf: s.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        var escaped = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                escaped += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        out.append(contentsOf: escaped.utf8)
        out.append(UInt8(ascii: "\""))
    }
}

/// Builds a `CanonicalJSON.object` field by field, skipping absent optionals.
public struct OrderedFields: Sendable {
    public private(set) var fields: [(String, CanonicalJSON)] = []

    public init() {}

    public mutating func add(_ key: String, _ value: String?) {
        if let value { fields.append((key, .string(value))) }
    }
    public mutating func add(_ key: String, _ value: Int?) {
        if let value { fields.append((key, .int(value))) }
    }
    public mutating func add(_ key: String, _ value: Bool?) {
        if let value { fields.append((key, .bool(value))) }
    }
    public mutating func add(_ key: String, strings: [String]?) {
        if let strings { fields.append((key, .array(strings.map(CanonicalJSON.string)))) }
    }
    public mutating func add(_ key: String, json: CanonicalJSON) { fields.append((key, json)) }

    public var json: CanonicalJSON { .object(fields) }
}

/// base64url without padding (RFC 7515 §2).
public enum Base64URL {
    /// RFC 4648 §5's alphabet.
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Encodes in one pass over the bytes, straight into the URL alphabet without padding (Foundation's
    /// base64 and a byte-by-byte rewrite of its output were 1.5 % of a refresh grant's CPU).
    public static func encode<D: DataProtocol>(_ data: D) -> String {
        if let text = data.withContiguousStorageIfAvailable({ encode(bytes: $0) }) { return text }
        return Array(data).withUnsafeBufferPointer { encode(bytes: $0) }
    }

    static func encode(bytes input: UnsafeBufferPointer<UInt8>) -> String {
        let count = input.count
        let length = count / 3 * 4 + (count % 3 == 0 ? 0 : count % 3 + 1)
        return alphabet.withUnsafeBufferPointer { table in
            String(unsafeUninitializedCapacity: length) { out in
                var i = 0
                var o = 0
                while i + 3 <= count {
                    let v = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                    out[o] = table[Int(v >> 18)]
                    out[o + 1] = table[Int(v >> 12 & 63)]
                    out[o + 2] = table[Int(v >> 6 & 63)]
                    out[o + 3] = table[Int(v & 63)]
                    i += 3
                    o += 4
                }
                switch count - i {
                case 1:
                    let v = UInt32(input[i]) << 16
                    out[o] = table[Int(v >> 18)]
                    out[o + 1] = table[Int(v >> 12 & 63)]
                case 2:
                    let v = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
                    out[o] = table[Int(v >> 18)]
                    out[o + 1] = table[Int(v >> 12 & 63)]
                    out[o + 2] = table[Int(v >> 6 & 63)]
                default: break
                }
                return length
            }
        }
    }

    public static func encode(_ text: String) -> String {
        var text = text
        return text.withUTF8 { encode(bytes: $0) }
    }

    /// Decodes base64url with or without padding; nil for anything else. Byte by byte: the
    /// `replacingOccurrences` passes this replaces were 18 % of an IMAP login's CPU.
    public static func decode(_ text: some StringProtocol) -> Data? {
        var standard = [UInt8]()
        standard.reserveCapacity(text.utf8.count + 2)
        for b in text.utf8 {
            switch b {
            case 0x41...0x5A, 0x61...0x7A, 0x30...0x39: standard.append(b)
            case UInt8(ascii: "-"): standard.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): standard.append(UInt8(ascii: "/"))
            case UInt8(ascii: "="): continue
            default: return nil
            }
        }
        switch standard.count % 4 {
        case 0: break
        case 2: standard.append(contentsOf: [UInt8(ascii: "="), UInt8(ascii: "=")])
        case 3: standard.append(UInt8(ascii: "="))
        default: return nil
        }
        return Data(base64Encoded: Data(standard))
    }
}
