import Synchronization

// The POP3 view of a mailbox (RFC 1939 "maildrop"): the Inbox, locked for one POP3 session at a time,
// with deletions applied only when the session enters the UPDATE state.
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

/// Why a maildrop could not be opened.
public enum MaildropOpenFailure: Error, Sendable, Equatable {
    /// Another POP3 session holds the maildrop lock.
    case locked(holder: String)
    /// The store has no such mailbox (or no Inbox in it).
    case mailboxNotFound(String)
}

/// What the POP3 server needs from the mail store.
public protocol MaildropProviding: Sendable {
    /// Locks the mailbox's Inbox for the POP3 session `session` and returns its snapshot, or fails if
    /// another session holds the lock.
    func openMaildrop(_ mailbox: String, session: String) -> Result<MaildropSnapshot, MaildropOpenFailure>
    /// UPDATE state: expunges the messages with these Inbox UIDs (IMAP sees them gone afterwards).
    /// Returns how many were removed (a UID already gone, e.g. expunged by IMAP meanwhile, is skipped).
    @discardableResult
    func expungeMaildrop(_ mailbox: String, session: String, uids: [UInt32]) -> Int
    /// Releases the lock (QUIT, dropped connection, idle timeout). A no-op if `session` is not the holder.
    func closeMaildrop(_ mailbox: String, session: String)
}

/// The POP3 maildrop locks of one store: at most one POP3 session per mailbox, as Exchange Online
/// refuses a second POP3 session on the same mailbox. Keys are mailbox addresses, case-insensitive.
public final class MaildropLocks: Sendable {
    private let holders = Mutex<[String: String]>([:])

    public init() {}

    /// Takes the lock for `session`. Returns nil on success, or the id of the session holding it.
    public func acquire(_ mailbox: String, session: String) -> String? {
        holders.withLock { holders in
            let key = mailbox.lowercased()
            if let holder = holders[key], holder != session { return holder }
            holders[key] = session
            return nil
        }
    }

    /// Releases the lock if `session` holds it.
    public func release(_ mailbox: String, session: String) {
        holders.withLock { holders in
            let key = mailbox.lowercased()
            if holders[key] == session { holders[key] = nil }
        }
    }

    /// The session holding the mailbox's lock, if any.
    public func holder(of mailbox: String) -> String? {
        holders.withLock { $0[mailbox.lowercased()] }
    }
}

// MARK: The store's POP3 view

extension MailStore: MaildropProviding {
    /// Takes the mailbox's maildrop lock, then snapshots its Inbox (in that order, so a previous
    /// holder's UPDATE is complete before the snapshot is taken).
    public func openMaildrop(_ mailbox: String, session: String) -> Result<MaildropSnapshot, MaildropOpenFailure> {
        guard self.mailbox(mailbox) != nil else { return .failure(.mailboxNotFound(mailbox)) }
        if let holder = maildropLocks.acquire(mailbox, session: session) { return .failure(.locked(holder: holder)) }
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

    /// POP3 UPDATE: removes the UIDs from the Inbox (IMAP sessions see them expunged). Only the lock
    /// holder may do this.
    @discardableResult
    public func expungeMaildrop(_ mailbox: String, session: String, uids: [UInt32]) -> Int {
        guard maildropLocks.holder(of: mailbox) == session else { return 0 }
        return (try? remove(mailbox: mailbox, folder: "Inbox", uids: uids).count) ?? 0
    }

    public func closeMaildrop(_ mailbox: String, session: String) {
        maildropLocks.release(mailbox, session: session)
    }
}
