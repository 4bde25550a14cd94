/// IMAP's modified UTF-7 for mailbox names (RFC 3501 §5.1.3), as Exchange uses for non-ASCII folder names:
/// printable ASCII stands for itself (`&` as `&-`); anything else is UTF-16 in modified base64
/// (`,` for `/`, no padding) between `&` and `-`.
public enum ModifiedUTF7 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,".utf8)

    public static func encode(_ text: String) -> String {
        var out: [UInt8] = []
        var pending: [UInt16] = []
        func flush() {
            guard !pending.isEmpty else { return }
            var bytes: [UInt8] = []
            for unit in pending {
                bytes.append(UInt8(unit >> 8))
                bytes.append(UInt8(unit & 0xFF))
            }
            out.append(UInt8(ascii: "&"))
            var i = 0
            while i < bytes.count {
                let b0 = bytes[i]
                let b1 = i + 1 < bytes.count ? bytes[i + 1] : 0
                let b2 = i + 2 < bytes.count ? bytes[i + 2] : 0
                let n = min(3, bytes.count - i)
                out.append(alphabet[Int(b0 >> 2)])
                out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
                if n > 1 { out.append(alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)]) }
                if n > 2 { out.append(alphabet[Int(b2 & 0x3F)]) }
                i += 3
            }
            out.append(UInt8(ascii: "-"))
            pending = []
        }
        for scalar in text.unicodeScalars {
            if scalar.value >= 0x20, scalar.value <= 0x7E {
                flush()
                if scalar == "&" { out.append(contentsOf: Array("&-".utf8)) } else { out.append(UInt8(scalar.value)) }
            } else {
                pending.append(contentsOf: Array(String(scalar).utf16))
            }
        }
        flush()
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes a modified UTF-7 name, or nil if it is not valid modified UTF-7.
    public static func decode(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        var units: [UInt16] = []
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            guard b >= 0x20, b <= 0x7E else { return nil }
            if b != UInt8(ascii: "&") {
                units.append(UInt16(b))
                i += 1
                continue
            }
            guard let end = bytes[(i + 1)...].firstIndex(of: UInt8(ascii: "-")) else { return nil }
            if end == i + 1 {
                units.append(UInt16(UInt8(ascii: "&")))
                i = end + 1
                continue
            }
            var bits: UInt32 = 0
            var count = 0
            var decoded: [UInt8] = []
            for c in bytes[(i + 1)..<end] {
                guard let v = alphabet.firstIndex(of: c) else { return nil }
                bits = bits << 6 | UInt32(v)
                count += 6
                if count >= 8 {
                    count -= 8
                    decoded.append(UInt8((bits >> UInt32(count)) & 0xFF))
                }
            }
            guard decoded.count % 2 == 0, !decoded.isEmpty else { return nil }
            for j in stride(from: 0, to: decoded.count, by: 2) {
                units.append(UInt16(decoded[j]) << 8 | UInt16(decoded[j + 1]))
            }
            i = end + 1
        }
        var result = ""
        for scalar in Unicode.UTF16.decode(units) { result.unicodeScalars.append(scalar) }
        return result
    }
}

extension Unicode.UTF16 {
    /// Decodes UTF-16 code units, replacing unpaired surrogates with U+FFFD.
    static func decode(_ units: [UInt16]) -> [Unicode.Scalar] {
        var scalars: [Unicode.Scalar] = []
        var iterator = units.makeIterator()
        var decoder = Unicode.UTF16()
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let s): scalars.append(s)
            case .emptyInput: break loop
            case .error: scalars.append("\u{FFFD}")
            }
        }
        return scalars
    }
}
