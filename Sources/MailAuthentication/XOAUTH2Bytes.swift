import Foundation

// XOAUTH2 initial responses read on bytes: the base64 decoded in one pass into a byte array and the fields
// found by scanning for 0x01, `user=` and `auth=`, with no String split and no Foundation base64. Parsing
// through Strings (Foundation's base64, a Character split, `hasPrefix`, `lowercased`) was a quarter of an
// IMAP login's CPU. Anything unusual goes the Foundation/String way (`parseWithFoundation`), so the results
// are the same by construction: base64 that is not canonical (a character outside the alphabet, `=` inside,
// non-zero unused bits, a length of 4n+1) and decoded text that is not ASCII (where Character comparisons
// could differ from byte comparisons).
extension XOAUTH2Credentials {
    /// `parse(base64:)` on the response's bytes (a command's word as read, no String made first).
    public static func parse(base64Bytes input: UnsafeBufferPointer<UInt8>) -> Result<XOAUTH2Credentials, ParseError> {
        var start = 0
        var end = input.count
        while end > start, input[end - 1] == 0x20 || input[end - 1] == 0x09 { end -= 1 }
        while start < end, input[start] == 0x20 || input[start] == 0x09 { start += 1 }
        let body = UnsafeBufferPointer(rebasing: input[start..<end])
        guard let decoded = Base64Bytes.decodeCanonical(body) else { return parseWithFoundation(trimmed: body) }
        return parse(decodedBytes: decoded)
    }

    /// The old way, for what the byte path does not judge: Foundation's base64 after the padding clients
    /// omit, then the String parser.
    static func parseWithFoundation(trimmed body: UnsafeBufferPointer<UInt8>) -> Result<XOAUTH2Credentials, ParseError>
    {
        var b64 = Array(body)
        let remainder = b64.count % 4
        if remainder == 2 { b64 += [0x3D, 0x3D] } else if remainder == 3 { b64.append(0x3D) }
        guard let data = Data(base64Encoded: Data(b64)) else { return .failure(.invalidBase64) }
        return parse(decoded: String(decoding: data, as: UTF8.self))
    }

    /// `parse(decoded:)` on the decoded bytes: fields between 0x01s (empty ones skipped), the last `user=`
    /// and the last well-formed `auth=Bearer <token>` win. Non-ASCII text goes to `parse(decoded:)`.
    static func parse(decodedBytes d: [UInt8]) -> Result<XOAUTH2Credentials, ParseError> {
        if d.contains(where: { $0 >= 0x80 }) { return parse(decoded: String(decoding: d, as: UTF8.self)) }
        return d.withUnsafeBufferPointer { d in
            var user: Range<Int>?
            var token: Range<Int>?
            var fieldStart = 0
            while fieldStart < d.count {
                var fieldEnd = fieldStart
                while fieldEnd < d.count, d[fieldEnd] != 0x01 { fieldEnd += 1 }
                if fieldEnd - fieldStart >= 5 {
                    if has(d, "user=", at: fieldStart) {
                        user = fieldStart + 5..<fieldEnd
                    } else if has(d, "auth=", at: fieldStart), let bearer = bearerToken(d, fieldStart + 5..<fieldEnd) {
                        token = bearer
                    }
                }
                fieldStart = fieldEnd + 1
            }
            guard let user, !user.isEmpty else { return .failure(.missingUser) }
            guard let token else { return .failure(.missingBearer) }
            return .success(XOAUTH2Credentials(user: text(d, user), token: text(d, token)))
        }
    }

    /// `split(separator: " ", maxSplits: 1)` of an `auth=` value: its first word, spaces before it skipped,
    /// must be `bearer` in any case; the token is everything after the one space that ends the word.
    private static func bearerToken(_ d: UnsafeBufferPointer<UInt8>, _ value: Range<Int>) -> Range<Int>? {
        var i = value.lowerBound
        while i < value.upperBound, d[i] == 0x20 { i += 1 }
        let word = i
        while i < value.upperBound, d[i] != 0x20 { i += 1 }
        guard i - word == 6, i + 1 < value.upperBound else { return nil }
        for (offset, letter) in "bearer".utf8.enumerated() {
            let b = d[word + offset]
            guard (0x41...0x5A).contains(b) ? b + 0x20 == letter : b == letter else { return nil }
        }
        return i + 1..<value.upperBound
    }

    private static func has(_ d: UnsafeBufferPointer<UInt8>, _ prefix: StaticString, at index: Int) -> Bool {
        let p = UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
        guard d.count - index >= p.count else { return false }
        for k in 0..<p.count where d[index + k] != p[k] { return false }
        return true
    }

    private static func text(_ d: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: d[range]), as: UTF8.self)
    }
}

/// Standard base64 (RFC 4648 §4) decoded on bytes, for the canonical forms only.
enum Base64Bytes {
    /// Each byte's 6-bit value; 0xFF for bytes outside the alphabet (`=` included).
    static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, byte) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(byte)] = UInt8(value)
        }
        return table
    }()

    /// The bytes `text` encodes, with its padding present, absent or partial (`QQ`, `QQ=`, `QQ==`), when
    /// it is canonical: only alphabet characters before at most two `=` that pad the last group to four, and
    /// zero unused bits. Nil otherwise (not necessarily invalid: Foundation decides those).
    static func decodeCanonical(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard text.count % 4 != 1 else { return nil }
        let padded = (text.count + 3) / 4 * 4
        var n = text.count
        while n > 0, text[n - 1] == UInt8(ascii: "=") { n -= 1 }
        guard padded - n <= 2 else { return nil }
        let whole = n / 4
        let tail = n % 4  // 0, 2 or 3 (padded - n <= 2)
        let count = whole * 3 + (tail == 0 ? 0 : tail - 1)
        return values.withUnsafeBufferPointer { table -> [UInt8]? in
            var valid = true
            let bytes = [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
                var bad: UInt8 = 0
                var i = 0
                var o = 0
                for _ in 0..<whole {
                    let a = table[Int(text[i])]
                    let b = table[Int(text[i + 1])]
                    let c = table[Int(text[i + 2])]
                    let e = table[Int(text[i + 3])]
                    bad |= a | b | c | e
                    let v = UInt32(a & 63) << 18 | UInt32(b & 63) << 12 | UInt32(c & 63) << 6 | UInt32(e & 63)
                    out[o] = UInt8(truncatingIfNeeded: v >> 16)
                    out[o + 1] = UInt8(truncatingIfNeeded: v >> 8)
                    out[o + 2] = UInt8(truncatingIfNeeded: v)
                    i += 4
                    o += 3
                }
                if tail >= 2 {
                    let a = table[Int(text[i])]
                    let b = table[Int(text[i + 1])]
                    let c = tail == 3 ? table[Int(text[i + 2])] : 0
                    bad |= a | b | c
                    let v = UInt32(a & 63) << 18 | UInt32(b & 63) << 12 | UInt32(c & 63) << 6
                    out[o] = UInt8(truncatingIfNeeded: v >> 16)
                    if tail == 3 { out[o + 1] = UInt8(truncatingIfNeeded: v >> 8) }
                    // Unused bits must be zero (a canonical encoding).
                    if (tail == 2 ? v & 0xFFFF : v & 0xFF) != 0 { bad = 0xFF }
                }
                valid = bad & 0xC0 == 0
                initialized = count
            }
            return valid ? bytes : nil
        }
    }
}
