import Synchronization

// The POP3 view of a mailbox (RFC 1939 "maildrop"): the Inbox, held by POP3 sessions (one at a time, or
// up to a number at once: `MaildropSharing`), with deletions applied only when a session enters UPDATE.
//
// POP3 talks to the store only through `MaildropProviding`, so the POP3 server can be tested against a
// small in-memory store and run against `MailStore` once `MailStore` conforms (see the end of this file).

/// One message of a maildrop, as POP3 numbers and sends it.
public struct MaildropMessage: Sendable, Equatable {
    /// The Inbox UID (IMAP): with the UIDVALIDITY it makes the POP3 `UIDL` id, stable across sessions.
    public var uid: UInt32
    /// The bytes, kept or generated on read.
    public var body: MessageBody

    public init(uid: UInt32, content: [UInt8]) {
        self.init(uid: uid, body: .stored(content))
    }

    public init(uid: UInt32, body: MessageBody) {
        self.uid = uid
        self.body = body
    }

    /// The RFC 5322 bytes with CRLF line ends, exactly as RETR sends them (before byte-stuffing). A
    /// generated message's are made on each read.
    public var content: [UInt8] { body.bytes }

    /// Size in octets as `STAT`/`LIST` report it (RFC 1939: CRLF counted, byte-stuffing not), known
    /// without making the bytes.
    public var size: Int { body.size }
}

/// The maildrop as it was when the POP3 session locked it. Messages arriving later are not shown to
/// that session (RFC 1939 numbers messages once, at the start of the TRANSACTION state).
public struct MaildropSnapshot: Sendable, Equatable {
    public var uidValidity: UInt32
    /// In Inbox order (ascending UID); POP3 message number n is `messages[n - 1]`.
    public var messages: [MaildropMessage]

    public init(uidValidity: UInt32, messages: [MaildropMessage]) {
        self.uidValidity = uidValidity
        self.messages = messages
    }

    /// The `UIDL` unique-id of a message: `<UIDVALIDITY>-<UID>`. Printable ASCII (RFC 1939 §7:
    /// 0x21–0x7E, at most 70 characters) and the same in every session while the Inbox keeps its
    /// UIDVALIDITY.
    public func uniqueID(of message: MaildropMessage) -> String { "\(uidValidity)-\(message.uid)" }
}

/// How many POP3 sessions may hold one maildrop at once.
public enum MaildropSharing: Sendable, Equatable {
    /// RFC 1939's exclusive lock: one session.
    case exclusive
    /// Up to `limit` sessions, each with its own snapshot (Exchange Online documents 20 POP connections).
    case shared(limit: Int)
}

/// Why a maildrop could not be opened.
public enum MaildropOpenFailure: Error, Sendable, Equatable {
    /// Another POP3 session holds the exclusive maildrop lock.
    case locked(holder: String)
    /// The maildrop is shared and already has `limit` sessions.
    case tooManySessions(limit: Int)
    /// The store has no such mailbox (or no Inbox in it).
    case mailboxNotFound(String)
}

/// What the POP3 server needs from the mail store.
public protocol MaildropProviding: Sendable {
    /// Takes a hold on the mailbox's Inbox for the POP3 session `session` and returns its snapshot, or fails
    /// when `sharing` allows no further session.
    func openMaildrop(
        _ mailbox: String, session: String, sharing: MaildropSharing
    ) -> Result<MaildropSnapshot, MaildropOpenFailure>
    /// UPDATE state: expunges the messages with these Inbox UIDs (IMAP sees them gone afterwards).
    /// Returns how many were removed (a UID already gone, e.g. expunged by IMAP meanwhile, is skipped).
    @discardableResult
    func expungeMaildrop(_ mailbox: String, session: String, uids: [UInt32]) -> Int
    /// Releases the hold (QUIT, dropped connection, idle timeout). A no-op if `session` is not a holder.
    func closeMaildrop(_ mailbox: String, session: String)
}

extension MaildropProviding {
    /// Opens the maildrop with RFC 1939's exclusive lock.
    public func openMaildrop(_ mailbox: String, session: String) -> Result<MaildropSnapshot, MaildropOpenFailure> {
        openMaildrop(mailbox, session: session, sharing: .exclusive)
    }
}

/// The POP3 sessions holding each maildrop of one store, oldest first. Keys are mailbox addresses,
/// case-insensitive.
public final class MaildropLocks: Sendable {
    private let holders = Mutex<[String: [String]]>([:])

    public init() {}

    /// Takes a hold for `session` as `sharing` allows. Returns nil on success, or why not.
    public func acquire(_ mailbox: String, session: String, sharing: MaildropSharing = .exclusive)
        -> MaildropOpenFailure?
    {
        holders.withLock { holders in
            let key = mailbox.lowercased()
            let current = holders[key] ?? []
            if current.contains(session) { return nil }
            switch sharing {
            case .exclusive:
                if let holder = current.first { return .locked(holder: holder) }
            case .shared(let limit):
                if current.count >= limit { return .tooManySessions(limit: limit) }
            }
            holders[key] = current + [session]
            return nil
        }
    }

    /// Releases `session`'s hold, if it has one.
    public func release(_ mailbox: String, session: String) {
        holders.withLock { holders in
            let key = mailbox.lowercased()
            let rest = (holders[key] ?? []).filter { $0 != session }
            holders[key] = rest.isEmpty ? nil : rest
        }
    }

    /// The oldest session holding the mailbox, if any.
    public func holder(of mailbox: String) -> String? { holders(of: mailbox).first }

    /// Every session holding the mailbox, oldest first.
    public func holders(of mailbox: String) -> [String] {
        holders.withLock { $0[mailbox.lowercased()] ?? [] }
    }
}

// MARK: The store's POP3 view

extension MailStore: MaildropProviding {
    /// Takes a hold on the mailbox's maildrop, then snapshots its Inbox (in that order, so a previous
    /// exclusive holder's UPDATE is complete before the snapshot is taken).
    public func openMaildrop(
        _ mailbox: String, session: String, sharing: MaildropSharing
    ) -> Result<MaildropSnapshot, MaildropOpenFailure> {
        guard self.mailbox(mailbox) != nil else { return .failure(.mailboxNotFound(mailbox)) }
        if let refused = maildropLocks.acquire(mailbox, session: session, sharing: sharing) { return .failure(refused) }
        do {
            let inbox = try snapshot(mailbox: mailbox, folder: "Inbox")
            return .success(
                MaildropSnapshot(
                    uidValidity: inbox.uidValidity,
                    messages: inbox.messages.map { MaildropMessage(uid: $0.uid, body: $0.body) }
                )
            )
        } catch {
            maildropLocks.release(mailbox, session: session)
            return .failure(.mailboxNotFound(mailbox))
        }
    }

    /// POP3 UPDATE: removes the UIDs from the Inbox (IMAP sessions see them expunged). Only a holder may
    /// do this; a UID another session removed meanwhile is skipped.
    @discardableResult
    public func expungeMaildrop(_ mailbox: String, session: String, uids: [UInt32]) -> Int {
        guard maildropLocks.holders(of: mailbox).contains(session) else { return 0 }
        return (try? remove(mailbox: mailbox, folder: "Inbox", uids: uids).count) ?? 0
    }

    public func closeMaildrop(_ mailbox: String, session: String) {
        maildropLocks.release(mailbox, session: session)
    }
}
