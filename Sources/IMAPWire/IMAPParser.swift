import ExomockLimits

// Parses one framed command (literals inline) into a `TaggedCommand`. The tag is read first, so any
// later failure becomes `<tag> BAD <text>`. Nesting (parenthesised lists, SEARCH NOT/OR) is capped at
// `Limits.imapMaximumNestingDepth`; nothing recurses on client input beyond that.
//
// Error texts: Exchange Online answers unknown commands with `BAD Command Error. 12` and bad arguments
// with `BAD Command Argument Error. 11` (UNCONFIRMED, from client logs); exomock keeps those prefixes
// and adds what was wrong.

public struct IMAPParser: Sendable {
    public let maximumDepth: Int

    public init(maximumDepth: Int = Limits.imapMaximumNestingDepth) {
        self.maximumDepth = maximumDepth
    }

    public static let unknownCommandPrefix = "Command Error. 12"
    public static let argumentErrorPrefix = "Command Argument Error. 11"

    public func parse(_ bytes: [UInt8]) -> Result<TaggedCommand, IMAPParseError> {
        var cursor = Cursor(bytes: bytes, maximumDepth: maximumDepth)
        let tagBytes = cursor.take { IMAPGrammar.isTagChar($0) }
        guard !tagBytes.isEmpty else {
            return .failure(
                IMAPParseError(
                    tag: "*",
                    text:
                        "\(Self.unknownCommandPrefix) The command has no tag; start each command with a tag such as a1."
                ))
        }
        let tag = String(decoding: tagBytes, as: UTF8.self)
        guard cursor.skipSpace() else {
            return .failure(
                IMAPParseError(
                    tag: tag, text: "\(Self.unknownCommandPrefix) Expected a space and a command after the tag."))
        }
        do throws(Failure) {
            let command = try parseCommand(&cursor)
            guard cursor.atEnd else {
                throw Failure.argument("unexpected text after the command's arguments")
            }
            return .success(TaggedCommand(tag: tag, command: command))
        } catch {
            switch error {
            case .unknown(let name):
                return .failure(IMAPParseError(tag: tag, text: "\(Self.unknownCommandPrefix) Unknown command \(name)."))
            case .argument(let text):
                return .failure(
                    IMAPParseError(
                        tag: tag, text: "\(Self.argumentErrorPrefix) \(text.prefix(1).uppercased() + text.dropFirst())."
                    ))
            case .tooDeep:
                return .failure(
                    IMAPParseError(
                        tag: tag,
                        text:
                            "\(Self.argumentErrorPrefix) Nesting deeper than \(maximumDepth) levels (Limits.imapMaximumNestingDepth)."
                    ))
            }
        }
    }

    /// Client text quoted in a BAD sentence: at most `maximumShownLength` characters, then `...`. Only atoms
    /// are quoted (no CR, LF, NUL or 8-bit byte can be in one), and this bound keeps the reply one short line.
    static func shown(_ text: some StringProtocol) -> String {
        text.count > maximumShownLength ? text.prefix(maximumShownLength) + "..." : String(text)
    }

    static let maximumShownLength = 32

    enum Failure: Error {
        case unknown(String)
        case argument(String)
        case tooDeep
    }

    struct Cursor {
        let bytes: [UInt8]
        var index = 0
        var depth = 0
        let maximumDepth: Int

        init(bytes: [UInt8], maximumDepth: Int) {
            self.bytes = bytes
            self.maximumDepth = maximumDepth
        }

        var atEnd: Bool { index >= bytes.count }
        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func take(while predicate: (UInt8) -> Bool) -> ArraySlice<UInt8> {
            let start = index
            while index < bytes.count, predicate(bytes[index]) { index += 1 }
            return bytes[start..<index]
        }

        mutating func skipSpace() -> Bool {
            guard peek == 32 else { return false }
            index += 1
            return true
        }

        mutating func expectSpace(_ what: String) throws(Failure) {
            guard skipSpace() else { throw .argument("expected a space before \(what)") }
        }

        mutating func consume(_ byte: UInt8) -> Bool {
            guard peek == byte else { return false }
            index += 1
            return true
        }

        /// Case-insensitive keyword match (does not consume on mismatch).
        mutating func consumeKeyword(_ word: String) -> Bool {
            let w = Array(word.utf8)
            guard index + w.count <= bytes.count else { return false }
            for (i, c) in w.enumerated() where Self.upper(bytes[index + i]) != c { return false }
            index += w.count
            return true
        }

        static func upper(_ b: UInt8) -> UInt8 { b >= 97 && b <= 122 ? b - 32 : b }

        mutating func enter() throws(Failure) {
            depth += 1
            if depth > maximumDepth { throw .tooDeep }
        }

        mutating func leave() { depth -= 1 }

        mutating func atom() throws(Failure) -> String {
            let a = take { IMAPGrammar.isAtomChar($0) }
            guard !a.isEmpty else { throw .argument("expected an atom at byte \(index + 1)") }
            return String(decoding: a, as: UTF8.self)
        }

        /// quoted: `"..."` with `\"` and `\\` escapes; no CR/LF.
        mutating func quoted() throws(Failure) -> [UInt8] {
            guard consume(34) else { throw .argument("expected a quoted string") }
            var out: [UInt8] = []
            while let b = peek {
                index += 1
                switch b {
                case 34: return out
                case 92:
                    guard let e = peek, e == 34 || e == 92 else { throw .argument("bad escape in a quoted string") }
                    out.append(e)
                    index += 1
                case 13, 10: throw .argument("line break inside a quoted string")
                default: out.append(b)
                }
            }
            throw .argument("unterminated quoted string")
        }

        /// literal: `{n}` or `{n+}` CRLF then n bytes (the framer has checked n against the limit).
        mutating func literal() throws(Failure) -> [UInt8] {
            guard consume(UInt8(ascii: "{")) else { throw .argument("expected a literal") }
            let digits = take { $0 >= 48 && $0 <= 57 }
            _ = consume(UInt8(ascii: "+"))
            guard !digits.isEmpty, digits.count <= 10, consume(UInt8(ascii: "}")) else {
                throw .argument("bad literal header")
            }
            _ = consume(13)
            guard consume(10) else { throw .argument("literal header not followed by CRLF") }
            let n = digits.reduce(0) { $0 * 10 + Int($1 - 48) }
            guard index + n <= bytes.count else { throw .argument("literal shorter than announced") }
            defer { index += n }
            return Array(bytes[index..<(index + n)])
        }

        mutating func string() throws(Failure) -> [UInt8] {
            if peek == 34 { return try quoted() }
            if peek == UInt8(ascii: "{") { return try literal() }
            throw .argument("expected a string")
        }

        mutating func astring() throws(Failure) -> String {
            if peek == 34 || peek == UInt8(ascii: "{") { return String(decoding: try string(), as: UTF8.self) }
            let a = take { IMAPGrammar.isAStringChar($0) }
            guard !a.isEmpty else { throw .argument("expected a name or string at byte \(index + 1)") }
            return String(decoding: a, as: UTF8.self)
        }

        mutating func nstring() throws(Failure) -> String? {
            if consumeKeyword("NIL") { return nil }
            return String(decoding: try string(), as: UTF8.self)
        }

        /// list-mailbox: atom with `%` and `*` allowed, or a string.
        mutating func listMailbox() throws(Failure) -> String {
            if peek == 34 || peek == UInt8(ascii: "{") { return String(decoding: try string(), as: UTF8.self) }
            let a = take { IMAPGrammar.isAStringChar($0) || $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "*") }
            guard !a.isEmpty else { throw .argument("expected a mailbox pattern") }
            return String(decoding: a, as: UTF8.self)
        }

        mutating func number() throws(Failure) -> Int {
            let d = take { $0 >= 48 && $0 <= 57 }
            guard !d.isEmpty, d.count <= 10 else { throw .argument("expected a number") }
            let n = d.reduce(0) { $0 * 10 + Int($1 - 48) }
            guard n <= Int(UInt32.max) else { throw .argument("number out of range") }
            return n
        }

        mutating func nzNumber() throws(Failure) -> UInt32 {
            let n = try number()
            guard n > 0 else { throw .argument("message numbers and UIDs start at 1") }
            return UInt32(n)
        }

        mutating func sequenceSet() throws(Failure) -> SequenceSet {
            var ranges: [SequenceSet.ClosedRangeOfNumbers] = []
            repeat {
                let first = try seqNumber()
                var last = first
                if consume(UInt8(ascii: ":")) { last = try seqNumber() }
                ranges.append(.init(first, last))
            } while consume(UInt8(ascii: ","))
            return SequenceSet(ranges)
        }

        mutating func seqNumber() throws(Failure) -> SequenceNumber {
            if consume(UInt8(ascii: "*")) { return .last }
            guard let p = peek, p >= 48, p <= 57 else { throw .argument("bad sequence set: expected a number or *") }
            return .number(try nzNumber())
        }

        static let months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]

        /// date: `1-Feb-1994` or `"1-Feb-1994"`.
        mutating func date() throws(Failure) -> IMAPDate {
            let q = consume(34)
            let d = try dateText()
            if q, !consume(34) { throw .argument("unterminated quoted date") }
            return d
        }

        mutating func dateText() throws(Failure) -> IMAPDate {
            let day = take { $0 >= 48 && $0 <= 57 }
            guard (1...2).contains(day.count), consume(UInt8(ascii: "-")) else {
                throw .argument("bad date: use d-Mon-yyyy, e.g. 1-Feb-2026")
            }
            let mon = take { ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) }
            guard let m = Self.months.firstIndex(of: String(decoding: mon.map(Self.upper), as: UTF8.self)),
                consume(UInt8(ascii: "-"))
            else { throw .argument("bad date: use d-Mon-yyyy, e.g. 1-Feb-2026") }
            let year = take { $0 >= 48 && $0 <= 57 }
            guard year.count == 4 else { throw .argument("bad date: use d-Mon-yyyy, e.g. 1-Feb-2026") }
            let dd = day.reduce(0) { $0 * 10 + Int($1 - 48) }
            guard (1...31).contains(dd) else { throw .argument("bad date: day out of range") }
            return IMAPDate(year: year.reduce(0) { $0 * 10 + Int($1 - 48) }, month: m + 1, day: dd)
        }

        /// date-time: `"dd-Mon-yyyy hh:mm:ss +zzzz"` (day may be space-padded).
        mutating func dateTime() throws(Failure) -> IMAPDateTime {
            let text = try quoted()
            var inner = Cursor(bytes: text.first == 32 ? Array(text.dropFirst()) : text, maximumDepth: 1)
            let bad = Failure.argument("bad date-time: use \"dd-Mon-yyyy hh:mm:ss +zzzz\"")
            guard let date = try? inner.dateText(), inner.consume(32) else { throw bad }
            func two(_ c: inout Cursor) throws(Failure) -> Int {
                let d = c.take { $0 >= 48 && $0 <= 57 }
                guard d.count == 2 else { throw bad }
                return d.reduce(0) { $0 * 10 + Int($1 - 48) }
            }
            let h = try two(&inner)
            guard inner.consume(58) else { throw bad }
            let mi = try two(&inner)
            guard inner.consume(58) else { throw bad }
            let s = try two(&inner)
            guard inner.consume(32), let sign = inner.peek, sign == 43 || sign == 45 else { throw bad }
            inner.index += 1
            let z = inner.take { $0 >= 48 && $0 <= 57 }
            guard z.count == 4, inner.atEnd, h < 24, mi < 60, s < 61 else { throw bad }
            let zv = z.reduce(0) { $0 * 10 + Int($1 - 48) }
            // `+9999` is four digits but no zone: hours past 23 or minutes past 59 are refused.
            guard zv / 100 < 24, zv % 100 < 60 else { throw bad }
            let minutes = (zv / 100) * 60 + zv % 100
            return IMAPDateTime(
                date: date, hour: h, minute: mi, second: s, zoneMinutes: sign == 45 ? -minutes : minutes)
        }

        mutating func flagList() throws(Failure) -> [String] {
            guard consume(UInt8(ascii: "(")) else { throw .argument("expected a parenthesised flag list") }
            var flags: [String] = []
            while !consume(UInt8(ascii: ")")) {
                if !flags.isEmpty { try expectSpace("the next flag") }
                flags.append(try flag())
            }
            return flags
        }

        mutating func flag() throws(Failure) -> String {
            let backslash = consume(92)
            let a = take { IMAPGrammar.isAtomChar($0) }
            guard !a.isEmpty else { throw .argument("expected a flag such as \\Seen") }
            return (backslash ? "\\" : "") + String(decoding: a, as: UTF8.self)
        }
    }
}
