import ExomockLimits

// Just enough RFC 5322 / MIME (RFC 2045, 2046) parsing for IMAP's ENVELOPE, BODYSTRUCTURE and
// BODY[section]: header fields, content types with parameters, multipart boundaries, and
// message/rfc822 encapsulation. Works on byte offsets into the raw message; never copies bodies.
// Malformed input never traps: a part that cannot be split is treated as a single opaque part.

/// One header field, unfolded (CRLF + WSP joined into one line), name as written.
public struct HeaderField: Sendable, Equatable {
    public var name: String
    public var value: String
}

/// A MIME entity: a whole message, a body part, or the message inside a message/rfc822 part.
public struct MIMEEntity: Sendable, Equatable {
    /// Byte range of the header block, including the blank line that ends it (if present).
    public var headerRange: Range<Int>
    /// Byte range of the body.
    public var bodyRange: Range<Int>
    public var fields: [HeaderField]
    /// Lower-cased type and subtype; defaults `text/plain` (or `message/rfc822` inside multipart/digest).
    public var type: String
    public var subtype: String
    /// Content-Type parameters in order, names lower-cased.
    public var parameters: [(String, String)]
    /// Sub-parts of a multipart entity.
    public var parts: [MIMEEntity]
    /// The encapsulated message of a message/rfc822 entity.
    public var encapsulated: [MIMEEntity]

    public static func == (a: MIMEEntity, b: MIMEEntity) -> Bool {
        a.headerRange == b.headerRange && a.bodyRange == b.bodyRange && a.fields == b.fields && a.type == b.type
            && a.subtype == b.subtype && a.parameters.map(\.0) == b.parameters.map(\.0)
            && a.parameters.map(\.1) == b.parameters.map(\.1) && a.parts == b.parts && a.encapsulated == b.encapsulated
    }

    public var isMultipart: Bool { type == "multipart" }
    public var isMessage: Bool { type == "message" && subtype == "rfc822" }

    /// The first field with this name (case-insensitive), unfolded.
    public func field(_ name: String) -> String? {
        let lower = name.lowercased()
        return fields.first { $0.name.lowercased() == lower }?.value
    }

    public func parameter(_ name: String) -> String? {
        parameters.first { $0.0 == name.lowercased() }?.1
    }

    /// Content-Transfer-Encoding, upper-cased as IMAP shows it; `7BIT` by default.
    public var transferEncoding: String { (field("Content-Transfer-Encoding")?.trimmed ?? "7bit").uppercased() }

    /// Parses a whole message.
    public static func parse(_ raw: [UInt8], maximumDepth: Int = Limits.mimeMaximumNestingDepth) -> MIMEEntity {
        parse(raw, range: 0..<raw.count, defaultType: ("text", "plain"), depth: 0, maximumDepth: maximumDepth)
    }

    static func parse(_ raw: [UInt8], range: Range<Int>, defaultType: (String, String), depth: Int, maximumDepth: Int)
        -> MIMEEntity
    {
        let headerEnd = findHeaderEnd(raw, range)
        let fields = parseFields(raw, range.lowerBound..<headerEnd.fieldsEnd)
        var entity = MIMEEntity(
            headerRange: range.lowerBound..<headerEnd.bodyStart, bodyRange: headerEnd.bodyStart..<range.upperBound,
            fields: fields, type: defaultType.0, subtype: defaultType.1, parameters: [], parts: [], encapsulated: [])
        if let contentType = entity.field("Content-Type") {
            let parsed = parseContentType(contentType)
            if !parsed.type.isEmpty, !parsed.subtype.isEmpty {
                entity.type = parsed.type
                entity.subtype = parsed.subtype
            }
            entity.parameters = parsed.parameters
        }
        if entity.type == "text", entity.parameter("charset") == nil {
            // RFC 2045 §5.2: text without a charset is US-ASCII; BODYSTRUCTURE shows it, as Dovecot does.
            entity.parameters.append(("charset", "us-ascii"))
        }
        guard depth < maximumDepth else { return entity.leaf() }
        if entity.isMultipart, let boundary = entity.parameter("boundary"), !boundary.isEmpty {
            let childDefault = entity.subtype == "digest" ? ("message", "rfc822") : ("text", "plain")
            for partRange in splitMultipart(raw, entity.bodyRange, boundary: Array(boundary.utf8)) {
                entity.parts.append(
                    parse(
                        raw, range: partRange, defaultType: childDefault, depth: depth + 1, maximumDepth: maximumDepth))
            }
            if entity.parts.isEmpty {
                // A multipart with no parts is not allowed; show the body as one empty text part.
                entity.parts.append(
                    MIMEEntity(
                        headerRange: entity.bodyRange.lowerBound..<entity.bodyRange.lowerBound,
                        bodyRange: entity.bodyRange,
                        fields: [], type: "text", subtype: "plain", parameters: [("charset", "us-ascii")], parts: [],
                        encapsulated: []))
            }
        } else if entity.isMultipart {
            entity.type = "text"
            entity.subtype = "plain"
        } else if entity.isMessage {
            entity.encapsulated = [
                parse(
                    raw, range: entity.bodyRange, defaultType: ("text", "plain"), depth: depth + 1,
                    maximumDepth: maximumDepth)
            ]
        }
        return entity
    }

    /// Where the header fields end and the body starts.
    static func findHeaderEnd(_ raw: [UInt8], _ range: Range<Int>) -> (fieldsEnd: Int, bodyStart: Int) {
        var i = range.lowerBound
        // An entity starting with CRLF has no header fields.
        if i + 1 < range.upperBound, raw[i] == 13, raw[i + 1] == 10 { return (i, i + 2) }
        while i + 3 < range.upperBound {
            if raw[i] == 13, raw[i + 1] == 10, raw[i + 2] == 13, raw[i + 3] == 10 { return (i + 2, i + 4) }
            i += 1
        }
        return (range.upperBound, range.upperBound)
    }

    static func parseFields(_ raw: [UInt8], _ range: Range<Int>) -> [HeaderField] {
        var fields: [HeaderField] = []
        var current: String?
        for line in lines(raw, range) {
            let text = String(decoding: line, as: UTF8.self)
            if let first = line.first, first == 32 || first == 9 {
                if current != nil { current! += " " + text.trimmed }
                continue
            }
            if let c = current { fields.append(field(from: c)) }
            current = text
        }
        if let c = current { fields.append(field(from: c)) }
        return fields.filter { !$0.name.isEmpty }
    }

    static func field(from line: String) -> HeaderField {
        guard let colon = line.firstIndex(of: ":") else { return HeaderField(name: "", value: "") }
        return HeaderField(
            name: String(line[..<colon]).trimmed, value: String(line[line.index(after: colon)...]).trimmed)
    }

    /// Lines in `range`, without their CRLF.
    public static func lines(_ raw: [UInt8], _ range: Range<Int>) -> [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var start = range.lowerBound
        var i = range.lowerBound
        while i < range.upperBound {
            if raw[i] == 10 {
                let end = i > start && raw[i - 1] == 13 ? i - 1 : i
                result.append(raw[start..<end])
                start = i + 1
            }
            i += 1
        }
        if start < range.upperBound { result.append(raw[start..<range.upperBound]) }
        return result
    }

    /// Number of lines in `range` (for BODYSTRUCTURE's body-fld-lines).
    public static func lineCount(_ raw: [UInt8], _ range: Range<Int>) -> Int {
        var n = 0
        for i in range where raw[i] == 10 { n += 1 }
        if let last = range.last, raw[last] != 10 { n += 1 }
        return n
    }

    /// Splits a multipart body into its parts' byte ranges (RFC 2046 §5.1.1). The CRLF before each
    /// delimiter belongs to the delimiter.
    static func splitMultipart(_ raw: [UInt8], _ range: Range<Int>, boundary: [UInt8]) -> [Range<Int>] {
        var delimiters: [(start: Int, after: Int, close: Bool)] = []
        var lineStart = range.lowerBound
        while lineStart < range.upperBound {
            var lineEnd = lineStart
            while lineEnd < range.upperBound, raw[lineEnd] != 10 { lineEnd += 1 }
            let next = min(lineEnd + 1, range.upperBound)
            let content = lineStart..<(lineEnd > lineStart && raw[lineEnd - 1] == 13 ? lineEnd - 1 : lineEnd)
            if content.count >= boundary.count + 2, raw[content.lowerBound] == 45, raw[content.lowerBound + 1] == 45,
                raw[(content.lowerBound + 2)..<(content.lowerBound + 2 + boundary.count)].elementsEqual(boundary)
            {
                let rest = content.lowerBound + 2 + boundary.count
                let close = rest + 1 < content.upperBound && raw[rest] == 45 && raw[rest + 1] == 45
                // Only transport padding may follow the boundary (RFC 2046 §5.1.1): `--b1` must not match `--b10`.
                let padding = (close ? rest + 2 : rest)..<content.upperBound
                guard padding.allSatisfy({ raw[$0] == 32 || raw[$0] == 9 }) else {
                    lineStart = next
                    continue
                }
                // The CRLF before the delimiter line belongs to it.
                var start = lineStart
                if start >= range.lowerBound + 2, raw[start - 1] == 10, raw[start - 2] == 13 {
                    start -= 2
                } else if start >= range.lowerBound + 1, raw[start - 1] == 10 {
                    start -= 1
                }
                delimiters.append((max(start, range.lowerBound), next, close))
                if close { break }
            }
            lineStart = next
        }
        var parts: [Range<Int>] = []
        for (i, d) in delimiters.enumerated() where !d.close {
            let end = i + 1 < delimiters.count ? delimiters[i + 1].start : range.upperBound
            if end >= d.after { parts.append(d.after..<end) }
        }
        return parts
    }

    /// `type/subtype; a=b; c="d e"` → ("type", "subtype", [("a","b"),("c","d e")]).
    static func parseContentType(_ value: String) -> (type: String, subtype: String, parameters: [(String, String)]) {
        let pieces = splitParameters(value)
        let main = pieces.first ?? ""
        let slash = main.split(separator: "/", maxSplits: 1).map { String($0).trimmed.lowercased() }
        var parameters: [(String, String)] = []
        for piece in pieces.dropFirst() {
            guard let eq = piece.firstIndex(of: "=") else { continue }
            let name = String(piece[..<eq]).trimmed.lowercased()
            var v = String(piece[piece.index(after: eq)...]).trimmed
            if v.count >= 2, v.hasPrefix("\""), v.hasSuffix("\"") {
                v = String(v.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
            }
            if !name.isEmpty { parameters.append((name, v)) }
        }
        return (slash.first ?? "", slash.count > 1 ? slash[1] : "", parameters)
    }

    /// Splits at `;` outside quotes.
    static func splitParameters(_ value: String) -> [String] {
        var result: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for c in value {
            if escaped {
                current.append(c)
                escaped = false
                continue
            }
            if c == "\\", quoted {
                current.append(c)
                escaped = true
                continue
            }
            if c == "\"" { quoted.toggle() }
            if c == ";", !quoted {
                result.append(current)
                current = ""
                continue
            }
            current.append(c)
        }
        result.append(current)
        return result
    }

    /// A disposition header: (`attachment`, [("filename","x")]).
    public var disposition: (String, [(String, String)])? {
        guard let value = field("Content-Disposition") else { return nil }
        let pieces = Self.splitParameters(value)
        let kind = (pieces.first ?? "").trimmed
        guard !kind.isEmpty else { return nil }
        let parsed = Self.parseContentType("x/x;" + pieces.dropFirst().joined(separator: ";"))
        return (kind, parsed.parameters)
    }

    /// This entity as an opaque leaf: a multipart or message/rfc822 at the depth limit becomes
    /// `application/octet-stream` (its body bytes unparsed), so BODYSTRUCTURE never shows a multipart
    /// without parts (invalid IMAP) nor nests deeper than `Limits.imapMaximumBodyStructureDepth`.
    public func leaf() -> MIMEEntity {
        guard isMultipart || isMessage else { return self }
        var opaque = self
        opaque.type = "application"
        opaque.subtype = "octet-stream"
        opaque.parameters = []
        opaque.parts = []
        opaque.encapsulated = []
        return opaque
    }

    /// The entity a section part path (`[1, 2]`) names, as IMAP numbers parts: a non-multipart
    /// message's only part is 1; the parts of a message/rfc822 part are those of its message.
    public func part(_ path: [Int]) -> MIMEEntity? {
        var entity = self
        for number in path {
            if entity.isMessage, let inner = entity.encapsulated.first { entity = inner }
            if entity.isMultipart {
                guard number >= 1, number <= entity.parts.count else { return nil }
                entity = entity.parts[number - 1]
            } else {
                guard number == 1 else { return nil }
            }
        }
        return entity
    }
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" || f == "\n" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" || l == "\n" { s.removeLast() }
        return String(s)
    }
}
