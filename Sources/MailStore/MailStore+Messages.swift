import Determinism
import ExomockLimits
import Foundation
import ScenarioModel
import Synchronization

extension MailStore {
    // MARK: Messages

    /// Appends a message to a folder; returns (UIDVALIDITY, new UID) for UIDPLUS `APPENDUID`.
    @discardableResult
    public func append(
        mailbox: String, folder: String, rawMessage: [UInt8], flags: Set<String> = [], internalDate: Date? = nil
    ) throws(MailStoreError) -> (uidValidity: UInt32, uid: UInt32) {
        guard rawMessage.count <= Limits.scenarioMaximumMessageSize else {
            throw .messageTooLarge(size: rawMessage.count, limit: Limits.scenarioMaximumMessageSize)
        }
        let date = internalDate ?? clock.now()
        return try mutateFolder(mailbox, folder) { f in
            let uid = f.uidNext
            f.uidNext += 1
            f.messages.append(StoredMessage(uid: uid, flags: flags, internalDate: date, raw: rawMessage))
            return ((f.uidValidity, uid), .appended(uids: [uid]))
        }
    }

    /// The admin API's `POST /mailboxes/{upn}/messages[?folder=NAME]`: delivers an RFC 5322 message to
    /// `folder` (the Inbox unless told; names compare case-insensitively), line ends normalised to CRLF,
    /// dated now on the virtual clock, unread. IDLE sessions on that folder hear about it.
    @discardableResult
    public func append(
        toMailbox mailbox: String, folder: String = "Inbox", rawMessage: [UInt8]
    ) throws(MailStoreError) -> (uidValidity: UInt32, uid: UInt32) {
        // Refuse an oversized message before copying it to normalise line ends.
        guard rawMessage.count <= Limits.scenarioMaximumMessageSize else {
            throw .messageTooLarge(size: rawMessage.count, limit: Limits.scenarioMaximumMessageSize)
        }
        return try append(mailbox: mailbox, folder: folder, rawMessage: Self.normalizeLineEnds(rawMessage))
    }

    public enum FlagOperation: Sendable, Equatable {
        case replace, add, remove
    }

    /// Changes the flags of the messages with these UIDs; returns the changed messages (UID order).
    @discardableResult
    public func setFlags(
        mailbox: String, folder: String, uids: [UInt32], _ operation: FlagOperation, _ flags: Set<String>
    ) throws(MailStoreError) -> [StoredMessage] {
        let wanted = Set(uids)
        return try mutateFolder(mailbox, folder) { f in
            f.materialize(wanted)
            var changed: [StoredMessage] = []
            for i in f.messages.indices where wanted.contains(f.messages[i].uid) {
                var m = f.messages[i]
                switch operation {
                case .replace: m.flags = flags
                case .add:
                    for flag in flags where !m.hasFlag(flag) { m.flags.insert(flag) }
                case .remove:
                    let lower = Set(flags.map { $0.lowercased() })
                    m.flags = m.flags.filter { !lower.contains($0.lowercased()) }
                }
                f.messages[i] = m
                changed.append(m)
            }
            return (changed, changed.isEmpty ? nil : .flagsChanged(uids: changed.map(\.uid)))
        }
    }

    /// Removes messages flagged `\Deleted` (restricted to `uids` if given); returns the removed UIDs.
    @discardableResult
    public func expunge(mailbox: String, folder: String, uids: [UInt32]? = nil) throws(MailStoreError) -> [UInt32] {
        let only = uids.map(Set.init)
        return try mutateFolder(mailbox, folder) { f in
            var removed: [UInt32] = []
            f.messages.removeAll { m in
                let hit = m.hasFlag("\\Deleted") && (only?.contains(m.uid) ?? true)
                if hit { removed.append(m.uid) }
                return hit
            }
            return (removed, removed.isEmpty ? nil : .expunged(uids: removed))
        }
    }

    /// Removes the messages with these UIDs whatever their flags (POP3 UPDATE, MOVE); returns those removed.
    @discardableResult
    public func remove(mailbox: String, folder: String, uids: [UInt32]) throws(MailStoreError) -> [UInt32] {
        let wanted = Set(uids)
        return try mutateFolder(mailbox, folder) { f in
            f.materialize(wanted)
            var removed: [UInt32] = []
            f.messages.removeAll { m in
                let hit = wanted.contains(m.uid)
                if hit { removed.append(m.uid) }
                return hit
            }
            return (removed, removed.isEmpty ? nil : .expunged(uids: removed))
        }
    }

    /// The result of COPY/MOVE for UIDPLUS `COPYUID`.
    public struct CopyResult: Sendable, Equatable {
        public var destinationUIDValidity: UInt32
        public var sourceUIDs: [UInt32]
        public var destinationUIDs: [UInt32]
    }

    /// Copies the messages with these UIDs (those that still exist, in UID order) into another folder.
    @discardableResult
    public func copy(mailbox: String, from: String, uids: [UInt32], to: String) throws(MailStoreError) -> CopyResult {
        try transfer(mailbox: mailbox, from: from, uids: uids, to: to, removeSource: false)
    }

    /// Moves the messages (RFC 6851): copy, then remove from the source.
    @discardableResult
    public func move(mailbox: String, from: String, uids: [UInt32], to: String) throws(MailStoreError) -> CopyResult {
        try transfer(mailbox: mailbox, from: from, uids: uids, to: to, removeSource: true)
    }

    private func transfer(mailbox: String, from: String, uids: [UInt32], to: String, removeSource: Bool)
        throws(MailStoreError) -> CopyResult
    {
        let wanted = Set(uids)
        let (result, calls): (CopyResult, [(Callback, FolderChange)]) = try mutate(mailbox) {
            box, state throws(MailStoreError) in
            guard let source = box.index(of: from) else { throw .folderNotFound(from) }
            guard let destination = box.index(of: to) else { throw .folderNotFound(to) }
            box.folders[source].materialize(wanted)
            let picked = box.folders[source].messages.filter { wanted.contains($0.uid) }
            var result = CopyResult(
                destinationUIDValidity: box.folders[destination].uidValidity, sourceUIDs: [], destinationUIDs: [])
            for m in picked {
                let uid = box.folders[destination].uidNext
                box.folders[destination].uidNext += 1
                var copy = m
                copy.uid = uid
                copy.flags.remove("\\Recent")
                box.folders[destination].messages.append(copy)
                result.sourceUIDs.append(m.uid)
                result.destinationUIDs.append(uid)
            }
            var calls: [(Callback, FolderChange)] = []
            if !picked.isEmpty {
                for c in Self.subscribers(state, mailbox, box.folders[destination].name) {
                    calls.append((c, .appended(uids: result.destinationUIDs)))
                }
                if removeSource {
                    box.folders[source].messages.removeAll { wanted.contains($0.uid) }
                    for c in Self.subscribers(state, mailbox, box.folders[source].name) {
                        calls.append((c, .expunged(uids: result.sourceUIDs)))
                    }
                }
            }
            return (result, calls)
        }
        for (callback, change) in calls { callback(change) }
        return result
    }

    // MARK: Change notifications

    /// Calls `callback` (on the thread making the change, outside the store's lock) for each change
    /// of the folder. Keep it short; hop to your own event loop inside.
    public func subscribe(mailbox: String, folder: String, _ callback: @escaping @Sendable (FolderChange) -> Void)
        -> ChangeSubscription
    {
        state.withLock { state in
            let id = state.nextSubscriber
            state.nextSubscriber += 1
            state.subscribers[id] = Subscriber(
                mailbox: mailbox.lowercased(), folder: Self.folderKey(folder), callback: callback)
            return ChangeSubscription(id: id)
        }
    }

    public func unsubscribe(_ token: ChangeSubscription) {
        _ = state.withLock { $0.subscribers.removeValue(forKey: token.id) }
    }

    /// Live subscriptions (for tests and leak checks).
    public var subscriptionCount: Int { state.withLock { $0.subscribers.count } }
}
