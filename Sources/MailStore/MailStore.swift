import Determinism
import ExomockLimits
import Foundation
import ScenarioModel
import Synchronization

// The mail store of one running scenario: every mailbox, its folders and messages, shared by IMAP,
// POP3 and the admin API. All state sits behind one Mutex; callers get values (snapshots), never
// references into the store. Change notifications (for IMAP IDLE) are delivered outside the lock.

/// A folder as one moment saw it.
public struct FolderSnapshot: Sendable, Equatable {
    /// The folder's name as the store spells it (`Inbox`, `Sent Items`, `Projects/2026`).
    public var name: String
    public var uidValidity: UInt32
    public var uidNext: UInt32
    public var subscribed: Bool
    /// Messages in ascending UID order; IMAP message sequence number n is `messages[n - 1]`.
    public var messages: [StoredMessage]

    public init(name: String, uidValidity: UInt32, uidNext: UInt32, subscribed: Bool, messages: [StoredMessage]) {
        self.name = name
        self.uidValidity = uidValidity
        self.uidNext = uidNext
        self.subscribed = subscribed
        self.messages = messages
    }

    public var unseenCount: Int { messages.filter { !$0.hasFlag("\\Seen") }.count }
}

/// A folder's name and attributes for `LIST`.
public struct FolderInfo: Sendable, Equatable {
    public var name: String
    public var subscribed: Bool
    /// True if another folder's name starts with this name and the hierarchy delimiter.
    public var hasChildren: Bool
    /// Exchange's special-use role (`\Sent`, `\Drafts`, `\Trash`, `\Junk`, `\Archive`), if any.
    public var specialUse: String?

    public init(name: String, subscribed: Bool, hasChildren: Bool, specialUse: String?) {
        self.name = name
        self.subscribed = subscribed
        self.hasChildren = hasChildren
        self.specialUse = specialUse
    }
}

/// A mailbox as the login and protocol layers see it.
public struct MailboxInfo: Sendable, Equatable {
    /// Primary SMTP address, as the scenario declares it.
    public var address: String
    public var kind: Mailbox.Kind
    public var imapEnabled: Bool
    public var popEnabled: Bool

    public init(address: String, kind: Mailbox.Kind, imapEnabled: Bool, popEnabled: Bool) {
        self.address = address
        self.kind = kind
        self.imapEnabled = imapEnabled
        self.popEnabled = popEnabled
    }
}

/// What changed in a folder (delivered to subscribers, e.g. IMAP sessions in IDLE).
public enum FolderChange: Sendable, Equatable {
    /// New messages with these UIDs arrived (APPEND, COPY, MOVE, admin API).
    case appended(uids: [UInt32])
    /// These UIDs were removed (EXPUNGE, MOVE, POP3 UPDATE).
    case expunged(uids: [UInt32])
    /// These UIDs' flags changed.
    case flagsChanged(uids: [UInt32])
    /// The folder was deleted or renamed away.
    case folderGone
}

/// Why a store operation failed. `description` is a sentence for the protocol's error text.
public enum MailStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    case mailboxNotFound(String)
    case folderNotFound(String)
    case folderExists(String)
    /// Inbox and Exchange's default folders cannot be deleted or renamed away.
    case folderProtected(String)
    case invalidFolderName(String)
    case messageTooLarge(size: Int, limit: Int)
    case tooManyGeneratedMessages(count: Int, limit: Int)
    case messageFileUnreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .mailboxNotFound(let m): "Mailbox \(m) does not exist."
        case .folderNotFound(let f): "The folder \(f) doesn't exist."
        case .folderExists(let f): "A folder named \(f) already exists."
        case .folderProtected(let f): "The folder \(f) is a default folder and can't be deleted or renamed."
        case .invalidFolderName(let f):
            "The folder name \"\(f)\" is not valid: it must be non-empty, without empty levels or control characters."
        case .messageTooLarge(let size, let limit):
            "The message is \(size) bytes; the limit is \(limit) bytes (Limits.scenarioMaximumMessageSize)."
        case .tooManyGeneratedMessages(let count, let limit):
            "A folder asks for \(count) generated messages; the limit is \(limit) (Limits.scenarioMaximumGeneratedMessages)."
        case .messageFileUnreadable(let path, let reason):
            "The message file \(path) could not be read: \(reason). Check the path in the scenario."
        }
    }
}

/// A token returned by `subscribe`; pass it to `unsubscribe`.
public struct ChangeSubscription: Sendable, Hashable {
    public let id: Int
}

/// The mail store of one running scenario (one per cloud or one shared; the runtime decides).
public final class MailStore: Sendable {
    /// Exchange's hierarchy delimiter.
    public static let delimiter: Character = "/"

    /// POP3's maildrop locks (one POP3 session per mailbox), kept with the store they guard.
    public let maildropLocks = MaildropLocks()

    let clock: VirtualClock
    let ids: IdentifierSource
    /// Generated messages' bytes read lately (`Limits.virtualMailCacheBytes`).
    let generatedBodies: GeneratedBodyCache
    let state: Mutex<State>

    struct FolderState {
        var name: String
        var uidValidity: UInt32
        var uidNext: UInt32
        var subscribed: Bool
        /// Messages kept in memory (appended, from files, and generated ones once changed), ascending UID.
        var messages: [StoredMessage]
        /// Generated messages nothing has changed: made when read.
        var virtual = VirtualMessages()

        /// Every message, stored and virtual, in UID order.
        var allMessages: [StoredMessage] { VirtualMessages.merge(messages, virtual.messages()) }

        var snapshot: FolderSnapshot {
            FolderSnapshot(
                name: name, uidValidity: uidValidity, uidNext: uidNext, subscribed: subscribed, messages: allMessages)
        }

        /// Moves the virtual messages among `uids` into `messages` (as they are), so a change can edit them.
        mutating func materialize(_ uids: Set<UInt32>) {
            let taken = virtual.take(uids)
            if taken.isEmpty { return }
            messages = VirtualMessages.merge(messages, taken.sorted { $0.uid < $1.uid })
        }
    }

    struct MailboxState {
        var info: MailboxInfo
        var folders: [FolderState]

        func index(of folder: String) -> Int? {
            let key = MailStore.folderKey(folder)
            return folders.firstIndex { MailStore.folderKey($0.name) == key }
        }
    }

    typealias Callback = @Sendable (FolderChange) -> Void

    struct Subscriber {
        var mailbox: String
        var folder: String
        var callback: Callback
    }

    struct State {
        var mailboxes: [String: MailboxState] = [:]
        var subscribers: [Int: Subscriber] = [:]
        var nextSubscriber = 1
    }

    /// Builds the store from a scenario: its declared mailboxes and every user with a mailbox, each with
    /// Exchange's default folders; `.file` messages are read now (paths must be absolute), `.generated`
    /// ones are made from their seed. Reads no wall clock: internal dates come from `clock`.
    public init(scenario: Scenario, clock: VirtualClock, ids: IdentifierSource) throws {
        self.clock = clock
        self.ids = ids
        let generatedBodies = GeneratedBodyCache()
        self.generatedBodies = generatedBodies
        var state = State()
        let start = clock.now()
        for mailbox in scenario.allMailboxes {
            let info = MailboxInfo(
                address: mailbox.address, kind: mailbox.kind, imapEnabled: mailbox.imapEnabled,
                popEnabled: mailbox.popEnabled)
            var folders: [FolderState] = []
            for folder in mailbox.folders {
                var messages: [StoredMessage] = []
                var virtual = VirtualMessages()
                var uid: UInt32 = 1
                for source in folder.messages {
                    switch source {
                    case .file(let path, let flags):
                        let raw = try Self.readMessageFile(path)
                        messages.append(StoredMessage(uid: uid, flags: Set(flags), internalDate: start, raw: raw))
                        uid += 1
                    case .generated(let count, let size, let seed):
                        guard count <= Limits.scenarioMaximumGeneratedMessages else {
                            throw MailStoreError.tooManyGeneratedMessages(
                                count: count, limit: Limits.scenarioMaximumGeneratedMessages)
                        }
                        guard size <= Limits.scenarioMaximumMessageSize else {
                            throw MailStoreError.messageTooLarge(size: size, limit: Limits.scenarioMaximumMessageSize)
                        }
                        // Virtual: older messages first, about an hour apart, ending at the scenario start;
                        // nothing is made or measured until a client looks.
                        let recipe = MessageRecipe(
                            seed: seed, recipient: mailbox.address, approximateSize: size, count: max(0, count),
                            end: start)
                        if count > 0 {
                            virtual.runs.append(GeneratedRun(recipe: recipe, firstUID: uid, cache: generatedBodies))
                        }
                        uid += UInt32(max(0, count))
                    }
                }
                folders.append(
                    FolderState(
                        name: folder.name, uidValidity: Self.makeUIDValidity(ids), uidNext: uid, subscribed: true,
                        messages: messages,
                        virtual: virtual))
            }
            state.mailboxes[mailbox.address.lowercased()] = MailboxState(info: info, folders: folders)
        }
        self.state = Mutex(state)
    }

    static func readMessageFile(_ path: String) throws -> [UInt8] {
        let url = URL(fileURLWithPath: path)
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw MailStoreError.messageFileUnreadable(path: path, reason: "no such file")
        }
        if let size = attributes[.size] as? Int, size > Limits.scenarioMaximumMessageSize {
            throw MailStoreError.messageTooLarge(size: size, limit: Limits.scenarioMaximumMessageSize)
        }
        guard let data = try? Data(contentsOf: url) else {
            throw MailStoreError.messageFileUnreadable(path: path, reason: "read failed")
        }
        return normalizeLineEnds(Array(data))
    }

    /// Turns bare LF (and bare CR) into CRLF, as IMAP and POP3 send messages.
    public static func normalizeLineEnds(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 40)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == 13 {
                out.append(13)
                out.append(10)
                if i + 1 < bytes.count, bytes[i + 1] == 10 { i += 1 }
            } else if b == 10 {
                out.append(13)
                out.append(10)
            } else {
                out.append(b)
            }
            i += 1
        }
        return out
    }

    static func makeUIDValidity(_ ids: IdentifierSource) -> UInt32 {
        // Seeded, non-zero, below 2^31 so every client's signed 32-bit parsing is happy.
        UInt32(truncatingIfNeeded: ids.next("imap.uidvalidity") % 0x7FFF_FFFE) + 1
    }

    /// Folder names compare case-insensitively, as Exchange does; `INBOX` in any case is the Inbox.
    static func folderKey(_ name: String) -> String { name.lowercased() }

    static func specialUse(of name: String) -> String? {
        switch name.lowercased() {
        case "sent items": "\\Sent"
        case "drafts": "\\Drafts"
        case "deleted items": "\\Trash"
        case "junk email": "\\Junk"
        case "archive": "\\Archive"
        default: nil
        }
    }

    static func isDefaultFolder(_ name: String) -> Bool {
        Mailbox.defaultFolderNames.contains { $0.lowercased() == name.lowercased() }
    }

    static func isValidFolderName(_ name: String) -> Bool {
        if name.isEmpty || name.hasPrefix("/") || name.hasSuffix("/") || name.contains("//") { return false }
        return !name.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }

    // MARK: Mailboxes

    /// The mailbox with this address (case-insensitive), or nil.
    public func mailbox(_ address: String) -> MailboxInfo? {
        state.withLock { $0.mailboxes[address.lowercased()]?.info }
    }

    /// Every mailbox, sorted by address.
    public func allMailboxes() -> [MailboxInfo] {
        state.withLock { $0.mailboxes.values.map(\.info) }.sorted { $0.address.lowercased() < $1.address.lowercased() }
    }

    // MARK: Internals

    static func subscribers(_ state: State, _ mailbox: String, _ folder: String) -> [Callback] {
        let m = mailbox.lowercased()
        let f = folderKey(folder)
        return state.subscribers.sorted { $0.key < $1.key }.filter { $0.value.mailbox == m && $0.value.folder == f }
            .map(\.value.callback)
    }

    func withFolder<T>(_ mailbox: String, _ folder: String, _ body: (FolderState, MailboxState) -> T)
        throws(MailStoreError) -> T
    {
        let result: Result<T, MailStoreError> = state.withLock { state in
            guard let box = state.mailboxes[mailbox.lowercased()] else { return .failure(.mailboxNotFound(mailbox)) }
            guard let index = box.index(of: folder) else { return .failure(.folderNotFound(folder)) }
            return .success(body(box.folders[index], box))
        }
        return try result.get()
    }

    func mutate<T>(_ mailbox: String, _ body: (inout MailboxState, State) throws(MailStoreError) -> T)
        throws(MailStoreError) -> T
    {
        let result: Result<T, MailStoreError> = state.withLock { state in
            // Taken out of the dictionary while edited, so the edit does not copy its folders' messages.
            let key = mailbox.lowercased()
            guard var box = state.mailboxes.removeValue(forKey: key) else { return .failure(.mailboxNotFound(mailbox)) }
            defer { state.mailboxes[key] = box }
            do throws(MailStoreError) {
                return .success(try body(&box, state))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Mutates one folder; `body` returns its result and the change to announce (if any).
    func mutateFolder<T>(
        _ mailbox: String, _ folder: String, _ body: (inout FolderState) -> (T, FolderChange?)
    ) throws(MailStoreError) -> T {
        let (value, change, callbacks): (T, FolderChange?, [Callback]) = try mutate(mailbox) {
            box, state throws(MailStoreError) in
            guard let index = box.index(of: folder) else { throw .folderNotFound(folder) }
            let (value, change) = body(&box.folders[index])
            let callbacks = change == nil ? [] : Self.subscribers(state, mailbox, box.folders[index].name)
            return (value, change, callbacks)
        }
        if let change { for callback in callbacks { callback(change) } }
        return value
    }
}
