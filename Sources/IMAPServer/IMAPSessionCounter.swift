import Synchronization

/// Counts IMAP sessions per mailbox so a login past `Limits.imapSessionsPerMailbox` is refused the way
/// Exchange refuses it (authenticated but not connected). Shared by the IMAP servers of one scenario;
/// the session's driver takes and gives back slots (`IMAPSessionStateMachine.Action.acquireSlot`).
public final class IMAPSessionCounter: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    public let limit: Int
    public init(limit: Int) { self.limit = limit }

    /// Takes a slot; false when the mailbox already has `limit` sessions.
    public func acquire(_ mailbox: String) -> Bool {
        counts.withLock { counts in
            let key = mailbox.lowercased()
            let n = counts[key] ?? 0
            guard n < limit else { return false }
            counts[key] = n + 1
            return true
        }
    }

    public func release(_ mailbox: String) {
        counts.withLock { counts in
            let key = mailbox.lowercased()
            if let n = counts[key] { counts[key] = n > 1 ? n - 1 : nil }
        }
    }

    public func count(_ mailbox: String) -> Int { counts.withLock { $0[mailbox.lowercased()] ?? 0 } }
}
