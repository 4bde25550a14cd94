// Typed IMAP4rev1 commands (RFC 3501 §6) plus the extensions Exchange Online advertises:
// UIDPLUS (RFC 4315), MOVE (RFC 6851), ID (RFC 2971), UNSELECT (RFC 3691), IDLE (RFC 2177),
// NAMESPACE (RFC 2342), SASL-IR (RFC 4959), LITERAL+ (RFC 7888).

/// A number of a sequence set, or `*` (the largest number in use).
public enum SequenceNumber: Sendable, Hashable {
    case number(UInt32)
    case last
}

/// `1:4,7,9:*` (RFC 3501 §9 sequence-set).
public struct SequenceSet: Sendable, Hashable {
    public var ranges: [ClosedRangeOfNumbers]

    public struct ClosedRangeOfNumbers: Sendable, Hashable {
        public var first: SequenceNumber
        public var last: SequenceNumber
        public init(_ first: SequenceNumber, _ last: SequenceNumber) {
            self.first = first
            self.last = last
        }
    }

    public init(_ ranges: [ClosedRangeOfNumbers]) { self.ranges = ranges }

    /// True if `n` is in the set, with `*` meaning `largest` (RFC 3501: `3:*` with largest 2 is `2:3`).
    public func contains(_ n: UInt32, largest: UInt32) -> Bool {
        for r in ranges {
            let a = r.first.resolved(largest)
            let b = r.last.resolved(largest)
            if n >= min(a, b), n <= max(a, b) { return true }
        }
        return false
    }
}

extension SequenceNumber {
    public func resolved(_ largest: UInt32) -> UInt32 {
        switch self {
        case .number(let n): n
        case .last: largest
        }
    }
}

/// An IMAP date (`1-Feb-2026`), for SEARCH SINCE/BEFORE/ON.
public struct IMAPDate: Sendable, Hashable {
    public var year: Int
    public var month: Int
    public var day: Int
    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Comparable key `yyyymmdd`.
    public var key: Int { year * 10_000 + month * 100 + day }
}

/// An IMAP date-time (`"17-Jul-1996 02:44:25 -0700"`), for APPEND.
public struct IMAPDateTime: Sendable, Hashable {
    public var date: IMAPDate
    public var hour: Int
    public var minute: Int
    public var second: Int
    /// Zone offset in minutes east of UTC.
    public var zoneMinutes: Int
    public init(date: IMAPDate, hour: Int, minute: Int, second: Int, zoneMinutes: Int) {
        self.date = date
        self.hour = hour
        self.minute = minute
        self.second = second
        self.zoneMinutes = zoneMinutes
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    public var secondsSince1970: Int64 {
        // Days from civil (Howard Hinnant's algorithm).
        let y = date.month <= 2 ? date.year - 1 : date.year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (date.month + 9) % 12
        let doy = (153 * mp + 2) / 5 + date.day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = Int64(era * 146_097 + doe - 719_468)
        return days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(zoneMinutes * 60)
    }
}

/// SEARCH keys (RFC 3501 §6.4.4).
public indirect enum SearchKey: Sendable, Hashable {
    case all
    case answered, deleted, flagged, seen, draft, recent, new, old
    case unanswered, undeleted, unflagged, unseen, undraft
    case keyword(String)
    case unkeyword(String)
    case since(IMAPDate)
    case before(IMAPDate)
    case on(IMAPDate)
    case sentSince(IMAPDate)
    case sentBefore(IMAPDate)
    case sentOn(IMAPDate)
    case from(String)
    case to(String)
    case cc(String)
    case bcc(String)
    case subject(String)
    case body(String)
    case text(String)
    case header(String, String)
    case larger(Int)
    case smaller(Int)
    case uid(SequenceSet)
    case sequence(SequenceSet)
    case not(SearchKey)
    case or(SearchKey, SearchKey)
    case and([SearchKey])
}

/// The text part of a BODY[section] (RFC 3501 §6.4.5).
public enum SectionText: Sendable, Hashable {
    case header
    case headerFields([String])
    case headerFieldsNot([String])
    case text
    case mime
}

public struct Section: Sendable, Hashable {
    /// Part numbers (`1.2` → [1, 2]); empty for the whole message.
    public var part: [Int]
    public var text: SectionText?
    public init(part: [Int] = [], text: SectionText? = nil) {
        self.part = part
        self.text = text
    }
}

/// FETCH data items (RFC 3501 §6.4.5). Macros ALL, FAST, FULL are expanded by the parser.
public enum FetchAttribute: Sendable, Hashable {
    case flags, uid, internalDate, rfc822Size, envelope, bodyStructure
    /// `BODY` without a section: the non-extensible body structure.
    case bodyStructureNonExtensible
    case rfc822, rfc822Header, rfc822Text
    /// `BODY[section]<offset.count>` or `BODY.PEEK[...]`.
    case body(section: Section, peek: Bool, partial: PartialRange?)
}

public struct PartialRange: Sendable, Hashable {
    public var offset: Int
    public var count: Int
    public init(offset: Int, count: Int) {
        self.offset = offset
        self.count = count
    }
}

public enum StatusAttribute: String, Sendable, Hashable, CaseIterable {
    case messages = "MESSAGES"
    case recent = "RECENT"
    case uidNext = "UIDNEXT"
    case uidValidity = "UIDVALIDITY"
    case unseen = "UNSEEN"
}

public enum StoreMode: Sendable, Hashable {
    case replace, add, remove
}

/// One parsed command.
public enum IMAPCommand: Sendable, Hashable {
    case capability, noop, logout, startTLS, namespace, idle, check, close, unselect, expunge
    /// `ID NIL` (nil) or `ID ("name" "x" ...)`, pairs in order.
    case id([IDPair]?)
    case authenticate(mechanism: String, initialResponse: String?)
    case login(user: String, password: String)
    case select(String)
    case examine(String)
    case create(String)
    case delete(String)
    case subscribe(String)
    case unsubscribe(String)
    case rename(from: String, to: String)
    case list(reference: String, pattern: String)
    case lsub(reference: String, pattern: String)
    case status(String, [StatusAttribute])
    case append(mailbox: String, flags: [String], date: IMAPDateTime?, message: [UInt8])
    case search(charset: String?, SearchKey, uid: Bool)
    case fetch(SequenceSet, [FetchAttribute], uid: Bool)
    case store(SequenceSet, StoreMode, silent: Bool, flags: [String], uid: Bool)
    case copy(SequenceSet, String, uid: Bool)
    case move(SequenceSet, String, uid: Bool)
    /// `UID EXPUNGE set` (UIDPLUS).
    case uidExpunge(SequenceSet)

    /// The command's name as written on the wire (for the journal; never includes arguments).
    public var name: String {
        switch self {
        case .capability: "CAPABILITY"
        case .noop: "NOOP"
        case .logout: "LOGOUT"
        case .startTLS: "STARTTLS"
        case .namespace: "NAMESPACE"
        case .idle: "IDLE"
        case .check: "CHECK"
        case .close: "CLOSE"
        case .unselect: "UNSELECT"
        case .expunge: "EXPUNGE"
        case .id: "ID"
        case .authenticate: "AUTHENTICATE"
        case .login: "LOGIN"
        case .select: "SELECT"
        case .examine: "EXAMINE"
        case .create: "CREATE"
        case .delete: "DELETE"
        case .subscribe: "SUBSCRIBE"
        case .unsubscribe: "UNSUBSCRIBE"
        case .rename: "RENAME"
        case .list: "LIST"
        case .lsub: "LSUB"
        case .status: "STATUS"
        case .append: "APPEND"
        case .search(_, _, let uid): uid ? "UID SEARCH" : "SEARCH"
        case .fetch(_, _, let uid): uid ? "UID FETCH" : "FETCH"
        case .store(_, _, _, _, let uid): uid ? "UID STORE" : "STORE"
        case .copy(_, _, let uid): uid ? "UID COPY" : "COPY"
        case .move(_, _, let uid): uid ? "UID MOVE" : "MOVE"
        case .uidExpunge: "UID EXPUNGE"
        }
    }
}

public struct IDPair: Sendable, Hashable {
    public var key: String
    public var value: String?
    public init(key: String, value: String?) {
        self.key = key
        self.value = value
    }
}

public struct TaggedCommand: Sendable, Hashable {
    public var tag: String
    public var command: IMAPCommand
    public init(tag: String, command: IMAPCommand) {
        self.tag = tag
        self.command = command
    }
}

/// A command that did not parse: answer `<tag> BAD <text>` (`tag` is `*` when none could be read).
public struct IMAPParseError: Error, Sendable, Hashable {
    public var tag: String
    public var text: String
    public init(tag: String, text: String) {
        self.tag = tag
        self.text = text
    }
}
