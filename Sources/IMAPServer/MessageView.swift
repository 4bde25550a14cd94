import ExomockLimits
import Foundation
import IMAPWire
import MailStore

/// A stored message with its MIME structure, as FETCH and SEARCH see it.
/// The MIME structure is parsed on first use, so FLAGS/UID-only FETCH and flag-only SEARCH never parse bodies.
final class MessageView {
    let message: StoredMessage
    lazy var mime: MIMEEntity = MIMEEntity.parse(message.raw)

    init(_ message: StoredMessage) {
        self.message = message
    }

    var raw: [UInt8] { message.raw }

    // MARK: ENVELOPE (RFC 3501 §7.4.2)

    func envelope() -> IMAPValue { Self.envelope(of: mime) }

    static func envelope(of entity: MIMEEntity) -> IMAPValue {
        func addresses(_ name: String) -> IMAPValue {
            guard let value = entity.field(name) else { return .nil }
            let list = EnvelopeAddress.parseList(value)
            if list.isEmpty { return .nil }
            return .list([
                .adjacent(list.map { .list([.nstring($0.name), .nil, .nstring($0.mailbox), .nstring($0.host)]) })
            ])
        }
        let from = addresses("From")
        let sender = entity.field("Sender") == nil ? from : addresses("Sender")
        let replyTo = entity.field("Reply-To") == nil ? from : addresses("Reply-To")
        return .list([
            .nstring(entity.field("Date")), .nstring(entity.field("Subject")), from, sender, replyTo, addresses("To"),
            addresses("Cc"), addresses("Bcc"), .nstring(entity.field("In-Reply-To")),
            .nstring(entity.field("Message-ID")),
        ])
    }

    // MARK: BODYSTRUCTURE (RFC 3501 §7.4.2)

    func bodyStructure(extensible: Bool) -> IMAPValue { Self.bodyStructure(mime, raw: raw, extensible: extensible) }

    static func parameters(_ list: [(String, String)]) -> IMAPValue {
        list.isEmpty ? .nil : .list(list.flatMap { [IMAPValue.text($0.0.uppercased()), .text($0.1)] })
    }

    /// The body at MIME depth `depth` (the message is 0). The depth rule is the parser's
    /// (`MIMEEntity.leaf()` at `Limits.mimeMaximumNestingDepth`), applied here again so an entity parsed
    /// with a larger limit still renders within `Limits.imapMaximumBodyStructureDepth`.
    static func bodyStructure(_ entity: MIMEEntity, raw: [UInt8], extensible: Bool, depth: Int = 0) -> IMAPValue {
        let e = depth < Limits.mimeMaximumNestingDepth ? entity : entity.leaf()
        if e.isMultipart {
            var items: [IMAPValue] = [
                .adjacent(e.parts.map { bodyStructure($0, raw: raw, extensible: extensible, depth: depth + 1) })
            ]
            items.append(.text(e.subtype.uppercased()))
            if extensible {
                items.append(parameters(e.parameters))
                items.append(disposition(e))
                items.append(.nil)
                items.append(.nil)
            }
            return .list(items)
        }
        var items: [IMAPValue] = [
            .text(e.type.uppercased()), .text(e.subtype.uppercased()), parameters(e.parameters),
            .nstring(e.field("Content-ID")), .nstring(e.field("Content-Description")), .text(e.transferEncoding),
            .number(e.bodyRange.count),
        ]
        if e.isMessage, let inner = e.encapsulated.first {
            items.append(envelope(of: inner))
            items.append(bodyStructure(inner, raw: raw, extensible: extensible, depth: depth + 1))
            items.append(.number(MIMEEntity.lineCount(raw, e.bodyRange)))
        } else if e.type == "text" {
            items.append(.number(MIMEEntity.lineCount(raw, e.bodyRange)))
        }
        if extensible {
            items.append(.nstring(e.field("Content-MD5")))
            items.append(disposition(e))
            items.append(.nil)
            items.append(.nil)
        }
        return .list(items)
    }

    static func disposition(_ e: MIMEEntity) -> IMAPValue {
        guard let (kind, params) = e.disposition else { return .nil }
        return .list([.text(kind.uppercased()), parameters(params)])
    }

    // MARK: BODY[section]

    /// The bytes a section names, or nil when the part does not exist (then FETCH returns an empty string,
    /// as RFC 3501 allows for a non-existent part).
    func sectionBytes(_ section: Section) -> [UInt8]? {
        // BODY[] / BODY.PEEK[], what mail handlers fetch most, is the whole message: no MIME parse.
        if section.part.isEmpty && section.text == nil { return raw }
        guard let entity = mime.part(section.part) else { return nil }
        // Text specifiers after a part number apply to the encapsulated message of a message/rfc822 part.
        let target: MIMEEntity
        if !section.part.isEmpty, section.text != nil, section.text != .mime {
            guard entity.isMessage, let inner = entity.encapsulated.first else {
                return section.text == .text || section.text == .header ? nil : nil
            }
            target = inner
        } else {
            target = entity
        }
        switch section.text {
        case nil:
            if section.part.isEmpty { return raw }
            return Array(raw[entity.bodyRange])
        case .header: return Array(raw[target.headerRange])
        case .text: return Array(raw[target.bodyRange])
        case .mime: return Array(raw[entity.headerRange])
        case .headerFields(let names): return headerLines(target, names: names, not: false)
        case .headerFieldsNot(let names): return headerLines(target, names: names, not: true)
        }
    }

    /// The raw header lines (with folding) whose names are (or are not) in `names`, then a blank line.
    func headerLines(_ e: MIMEEntity, names: [String], not: Bool) -> [UInt8] {
        let wanted = Set(names.map { $0.lowercased() })
        var out: [UInt8] = []
        var keep = false
        for line in MIMEEntity.lines(raw, e.headerRange) {
            if line.isEmpty { break }
            if let first = line.first, first != 32, first != 9 {
                let name =
                    line.firstIndex(of: 58).map {
                        String(decoding: line[line.startIndex..<$0], as: UTF8.self).lowercased()
                    } ?? ""
                keep = wanted.contains(name.trimmingCharacters(in: CharacterSet.whitespaces)) != not
            }
            if keep {
                out.append(contentsOf: line)
                out.append(contentsOf: [13, 10])
            }
        }
        out.append(contentsOf: [13, 10])
        return out
    }

    static func sectionName(_ section: Section) -> String {
        var s = section.part.map(String.init).joined(separator: ".")
        if let text = section.text {
            if !s.isEmpty { s += "." }
            switch text {
            case .header: s += "HEADER"
            case .text: s += "TEXT"
            case .mime: s += "MIME"
            case .headerFields(let f): s += "HEADER.FIELDS (" + f.map { $0.uppercased() }.joined(separator: " ") + ")"
            case .headerFieldsNot(let f):
                s += "HEADER.FIELDS.NOT (" + f.map { $0.uppercased() }.joined(separator: " ") + ")"
            }
        }
        return "BODY[\(s)]"
    }

    // MARK: SEARCH

    func matches(_ key: SearchKey, sequence: UInt32, largestSequence: UInt32, largestUID: UInt32) -> Bool {
        let m = message
        switch key {
        case .all: return true
        case .answered: return m.hasFlag("\\Answered")
        case .deleted: return m.hasFlag("\\Deleted")
        case .flagged: return m.hasFlag("\\Flagged")
        case .seen: return m.hasFlag("\\Seen")
        case .draft: return m.hasFlag("\\Draft")
        // exomock reports no \Recent messages (Exchange shows `* 0 RECENT`), so NEW and RECENT match none.
        case .recent, .new: return false
        case .old: return true
        case .unanswered: return !m.hasFlag("\\Answered")
        case .undeleted: return !m.hasFlag("\\Deleted")
        case .unflagged: return !m.hasFlag("\\Flagged")
        case .unseen: return !m.hasFlag("\\Seen")
        case .undraft: return !m.hasFlag("\\Draft")
        case .keyword(let k): return m.hasFlag(k)
        case .unkeyword(let k): return !m.hasFlag(k)
        case .since(let d): return Self.dayKey(m.internalDate) >= d.key
        case .before(let d): return Self.dayKey(m.internalDate) < d.key
        case .on(let d): return Self.dayKey(m.internalDate) == d.key
        case .sentSince(let d): return sentKey().map { $0 >= d.key } ?? false
        case .sentBefore(let d): return sentKey().map { $0 < d.key } ?? false
        case .sentOn(let d): return sentKey().map { $0 == d.key } ?? false
        case .from(let s): return fieldContains("From", s)
        case .to(let s): return fieldContains("To", s)
        case .cc(let s): return fieldContains("Cc", s)
        case .bcc(let s): return fieldContains("Bcc", s)
        case .subject(let s): return fieldContains("Subject", s)
        case .header(let name, let s):
            let lower = name.lowercased()
            return mime.fields.contains { $0.name.lowercased() == lower && (s.isEmpty || Self.contains($0.value, s)) }
        case .body(let s): return Self.bytesContain(raw[mime.bodyRange], s)
        case .text(let s): return Self.bytesContain(raw[...], s)
        case .larger(let n): return m.size > n
        case .smaller(let n): return m.size < n
        case .uid(let set): return set.contains(m.uid, largest: largestUID)
        case .sequence(let set): return set.contains(sequence, largest: largestSequence)
        case .not(let k):
            return !matches(k, sequence: sequence, largestSequence: largestSequence, largestUID: largestUID)
        case .or(let a, let b):
            return matches(a, sequence: sequence, largestSequence: largestSequence, largestUID: largestUID)
                || matches(b, sequence: sequence, largestSequence: largestSequence, largestUID: largestUID)
        case .and(let keys):
            return keys.allSatisfy {
                matches($0, sequence: sequence, largestSequence: largestSequence, largestUID: largestUID)
            }
        }
    }

    func fieldContains(_ name: String, _ s: String) -> Bool {
        let lower = name.lowercased()
        return mime.fields.contains { $0.name.lowercased() == lower && Self.contains($0.value, s) }
    }

    static func contains(_ haystack: String, _ needle: String) -> Bool {
        needle.isEmpty || haystack.range(of: needle, options: [.caseInsensitive]) != nil
    }

    static func bytesContain(_ hay: ArraySlice<UInt8>, _ needle: String) -> Bool {
        let n = Array(needle.utf8).map(lowerASCII)
        if n.isEmpty { return true }
        guard hay.count >= n.count else { return false }
        var i = hay.startIndex
        let end = hay.endIndex - n.count
        while i <= end {
            if lowerASCII(hay[i]) == n[0] {
                var j = 1
                while j < n.count, lowerASCII(hay[i + j]) == n[j] { j += 1 }
                if j == n.count { return true }
            }
            i += 1
        }
        return false
    }

    static func lowerASCII(_ b: UInt8) -> UInt8 { b >= 65 && b <= 90 ? b + 32 : b }

    /// `yyyymmdd` of the Date header (RFC 5322 `[day-name ","] dd Mon yyyy ...`), ignoring the zone.
    func sentKey() -> Int? {
        guard let date = mime.field("Date") else { return nil }
        var words = date.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        if let first = words.first, first.count == 3, Int(first) == nil { words.removeFirst() }
        guard words.count >= 3, let day = Int(words[0]), let year = Int(words[2]),
            let month = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"].firstIndex(
                of: words[1].lowercased())
        else { return nil }
        return year * 10_000 + (month + 1) * 100 + day
    }

    static func civil(_ date: Date) -> (year: Int, month: Int, day: Int, seconds: Int) {
        let total = Int(date.timeIntervalSince1970.rounded(.down))
        let days = total >= 0 ? total / 86_400 : (total - 86_399) / 86_400
        let secs = total - days * 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d, secs)
    }

    static func dayKey(_ date: Date) -> Int {
        let c = civil(date)
        return c.year * 10_000 + c.month * 100 + c.day
    }

    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// INTERNALDATE: `01-Jan-2026 00:00:00 +0000`.
    static func internalDate(_ date: Date) -> String {
        let c = civil(date)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return
            "\(two(c.day))-\(monthNames[c.month - 1])-\(c.year) \(two(c.seconds / 3600)):\(two(c.seconds / 60 % 60)):\(two(c.seconds % 60)) +0000"
    }
}
