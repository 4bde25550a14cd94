import Foundation

/// A message's bytes: kept, or made from a generator's seed when read (virtual mail).
public enum MessageBody: Sendable, Equatable {
    /// RFC 5322 bytes with CRLF line ends.
    case stored([UInt8])
    /// A generated message that is produced when read.
    case generated(GeneratedBody)

    public var bytes: [UInt8] {
        switch self {
        case .stored(let bytes): bytes
        case .generated(let body): body.bytes
        }
    }

    /// Octets of `bytes`, without making them.
    public var size: Int {
        switch self {
        case .stored(let bytes): bytes.count
        case .generated(let body): body.size
        }
    }
}

/// One message as the store lists it.
public struct StoredMessage: Sendable, Equatable {
    /// IMAP UID, unique and ascending within its folder for one UIDVALIDITY.
    public var uid: UInt32
    /// System flags (`\Seen`, `\Answered`, `\Flagged`, `\Deleted`, `\Draft`) and keywords.
    public var flags: Set<String>
    /// IMAP INTERNALDATE: when the message reached the store, on the virtual clock.
    public var internalDate: Date
    /// The bytes, kept or generated on read.
    public var body: MessageBody

    public init(uid: UInt32, flags: Set<String>, internalDate: Date, raw: [UInt8]) {
        self.init(uid: uid, flags: flags, internalDate: internalDate, body: .stored(raw))
    }

    public init(uid: UInt32, flags: Set<String>, internalDate: Date, body: MessageBody) {
        self.uid = uid
        self.flags = flags
        self.internalDate = internalDate
        self.body = body
    }

    /// RFC 5322 bytes with CRLF line ends. A generated message's are made on each read: keep the
    /// value rather than reading it twice.
    public var raw: [UInt8] { body.bytes }

    /// RFC822.SIZE: octets of `raw`, known without making them.
    public var size: Int { body.size }

    /// True if the message carries `flag` (system flags compare case-insensitively, as RFC 3501 says).
    public func hasFlag(_ flag: String) -> Bool {
        let lower = flag.lowercased()
        return flags.contains { $0.lowercased() == lower }
    }
}
