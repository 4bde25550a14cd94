import NIOCore

// Typed server responses (RFC 3501 §7) and their encoder. The encoder is the only place that turns a
// response into bytes; descriptions for logs use the same encoder with literal contents elided.

/// A value inside a response: what ENVELOPE, BODYSTRUCTURE, ID and STATUS are built from.
public indirect enum IMAPValue: Sendable, Hashable {
    case `nil`
    /// An atom written as is (`\Seen`, `FLAGS`, `7BIT` unquoted only where the grammar says atom).
    case atom(String)
    case number(Int)
    /// A string: quoted when it is short, 7-bit and has no CR/LF, a literal otherwise.
    case string([UInt8])
    /// Always a literal `{n}` (message bodies, as every server sends them).
    case literal([UInt8])
    case list([IMAPValue])
    /// Items written back to back with no separator and no parentheses: RFC 3501's `1*address` inside an
    /// address list and `1*body` of a multipart body structure.
    case adjacent([IMAPValue])

    public static func text(_ s: String) -> IMAPValue { .string(Array(s.utf8)) }
    public static func nstring(_ s: String?) -> IMAPValue { s.map { .text($0) } ?? .nil }
}

public enum IMAPStatus: String, Sendable, Hashable {
    case ok = "OK"
    case no = "NO"
    case bad = "BAD"
}

/// One data item of a FETCH response.
public struct FetchItem: Sendable, Hashable {
    /// `FLAGS`, `UID`, `BODY[1.HEADER]<0>` ...
    public var name: String
    public var value: IMAPValue
    public init(_ name: String, _ value: IMAPValue) {
        self.name = name
        self.value = value
    }
}

public enum IMAPResponse: Sendable, Hashable {
    /// `* OK|NO|BAD|PREAUTH|BYE [code] text`
    case untaggedStatus(String, code: String?, text: String)
    /// `<tag> OK|NO|BAD [code] text`
    case tagged(String, IMAPStatus, code: String?, text: String)
    /// `+ text` (text may be empty: `+ `).
    case continuation(String)
    case capability([String])
    case exists(Int)
    case recent(Int)
    case expunge(Int)
    case flags([String])
    case list(attributes: [String], delimiter: String?, name: String)
    case lsub(attributes: [String], delimiter: String?, name: String)
    case status(name: String, [(StatusAttribute, Int)])
    case search([UInt32])
    case fetch(Int, [FetchItem])
    case id([IDPair]?)
    /// `* NAMESPACE` with its three parts written verbatim (`(("" "/")) NIL NIL`).
    case namespace(String)

    public static func == (a: IMAPResponse, b: IMAPResponse) -> Bool { a.encoded() == b.encoded() }
    public func hash(into hasher: inout Hasher) { hasher.combine(encoded()) }

    public static func ok(_ tag: String, _ text: String, code: String? = nil) -> IMAPResponse {
        .tagged(tag, .ok, code: code, text: text)
    }
    public static func no(_ tag: String, _ text: String, code: String? = nil) -> IMAPResponse {
        .tagged(tag, .no, code: code, text: text)
    }
    public static func bad(_ tag: String, _ text: String, code: String? = nil) -> IMAPResponse {
        .tagged(tag, .bad, code: code, text: text)
    }
    public static func bye(_ text: String) -> IMAPResponse { .untaggedStatus("BYE", code: nil, text: text) }

    /// The bytes on the wire, CRLF included.
    public func encoded() -> [UInt8] {
        var w = IMAPResponseWriter()
        w.write(self)
        return w.bytes
    }

    /// Appends the same bytes as `encoded()` to `buffer`, copying each literal's contents (a message body)
    /// once, straight from the value, instead of through an intermediate array.
    public func encode(into buffer: inout ByteBuffer) {
        var w = IMAPResponseWriter(deferLiterals: true)
        w.write(self)
        var start = 0
        for literal in w.deferred {
            buffer.writeBytes(w.bytes[start..<literal.offset])
            buffer.writeBytes(literal.content)
            start = literal.offset
        }
        buffer.writeBytes(w.bytes[start...])
    }
}

extension IMAPResponse: CustomStringConvertible {
    /// The wire text with literal contents replaced by `[n bytes]` (for logs and test failures).
    public var description: String {
        var w = IMAPResponseWriter(elideLiterals: true)
        w.write(self)
        return String(decoding: w.bytes, as: UTF8.self)
    }
}

public struct IMAPResponseWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    let elideLiterals: Bool
    /// Literal contents left out of `bytes`, each to go at `offset` in it (`IMAPResponse.encode(into:)`).
    let deferLiterals: Bool
    private(set) var deferred: [(offset: Int, content: [UInt8])] = []

    public init(elideLiterals: Bool = false) { self.init(elideLiterals: elideLiterals, deferLiterals: false) }

    init(elideLiterals: Bool = false, deferLiterals: Bool) {
        self.elideLiterals = elideLiterals
        self.deferLiterals = deferLiterals
    }

    mutating func raw(_ s: String) { bytes.append(contentsOf: s.utf8) }

    public mutating func write(_ response: IMAPResponse) {
        switch response {
        case .untaggedStatus(let kind, let code, let text):
            raw("* \(kind) ")
            writeCodeAndText(code, text)
        case .tagged(let tag, let status, let code, let text):
            raw("\(tag) \(status.rawValue) ")
            writeCodeAndText(code, text)
        case .continuation(let text):
            raw("+ \(text)")
        case .capability(let caps):
            raw("* CAPABILITY " + caps.joined(separator: " "))
        case .exists(let n): raw("* \(n) EXISTS")
        case .recent(let n): raw("* \(n) RECENT")
        case .expunge(let n): raw("* \(n) EXPUNGE")
        case .flags(let flags): raw("* FLAGS (" + flags.joined(separator: " ") + ")")
        case .list(let attributes, let delimiter, let name), .lsub(let attributes, let delimiter, let name):
            if case .list = response { raw("* LIST (") } else { raw("* LSUB (") }
            raw(attributes.joined(separator: " ") + ") ")
            if let delimiter { write(.text(delimiter)) } else { raw("NIL") }
            raw(" ")
            writeMailbox(name)
        case .status(let name, let items):
            raw("* STATUS ")
            writeMailbox(name)
            raw(" (" + items.map { "\($0.0.rawValue) \($0.1)" }.joined(separator: " ") + ")")
        case .search(let numbers):
            raw("* SEARCH")
            for n in numbers { raw(" \(n)") }
        case .fetch(let n, let items):
            raw("* \(n) FETCH (")
            for (i, item) in items.enumerated() {
                if i > 0 { raw(" ") }
                raw(item.name + " ")
                write(item.value)
            }
            raw(")")
        case .id(let pairs):
            raw("* ID ")
            if let pairs {
                write(.list(pairs.flatMap { [IMAPValue.text($0.key), .nstring($0.value)] }))
            } else {
                raw("NIL")
            }
        case .namespace(let text):
            raw("* NAMESPACE " + text)
        }
        raw("\r\n")
    }

    mutating func writeCodeAndText(_ code: String?, _ text: String) {
        if let code { raw("[\(code)] ") }
        raw(text)
    }

    /// Mailbox names: an atom when every byte is an ASTRING-CHAR (Exchange writes `INBOX`, `Drafts`),
    /// otherwise a quoted string (`"Sent Items"`) or a literal.
    mutating func writeMailbox(_ name: String) {
        let b = Array(name.utf8)
        if !b.isEmpty, b.allSatisfy(IMAPGrammar.isAStringChar) {
            bytes.append(contentsOf: b)
        } else {
            write(.string(b))
        }
    }

    mutating func writeLiteral(_ s: [UInt8]) {
        raw("{\(s.count)}\r\n")
        if elideLiterals {
            raw("[\(s.count) bytes]")
        } else if deferLiterals {
            deferred.append((bytes.count, s))
        } else {
            bytes.append(contentsOf: s)
        }
    }

    public mutating func write(_ value: IMAPValue) {
        switch value {
        case .nil: raw("NIL")
        case .atom(let a): raw(a)
        case .number(let n): raw(String(n))
        case .string(let s):
            let quotable = s.count <= 1024 && s.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
            if quotable {
                bytes.append(34)
                for b in s {
                    if b == 34 || b == 92 { bytes.append(92) }
                    bytes.append(b)
                }
                bytes.append(34)
            } else {
                writeLiteral(s)
            }
        case .literal(let s):
            writeLiteral(s)
        case .adjacent(let items):
            for item in items { write(item) }
        case .list(let items):
            raw("(")
            for (i, item) in items.enumerated() {
                if i > 0 { raw(" ") }
                write(item)
            }
            raw(")")
        }
    }
}
