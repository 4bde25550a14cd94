import Foundation
import IMAPWire
import Journal
import MailAuthentication
import MailStore

/// What the connection driver does after sending a session's responses.
public enum IMAPAfter: Sendable, Equatable {
    case none
    /// Write the responses, then put TLS in front and discard any plaintext already read.
    case startTLS
    /// Write the responses, then close.
    case close
    /// Start hearing about changes of this folder (SELECT/EXAMINE).
    case watch(mailbox: String, folder: String)
    /// Stop hearing about folder changes (CLOSE, UNSELECT, a failed SELECT).
    case unwatch
}

/// A journal note the driver records (`context.record(event, detail)`).
public struct IMAPJournalNote: Sendable, Equatable {
    public var event: JournalEvent.Name
    public var detail: [String: String]
    public init(_ event: JournalEvent.Name, _ detail: [String: String] = [:]) {
        self.event = event
        self.detail = detail
    }
}

/// The session's answer to one input, its actions against the store and the authenticator performed.
public struct IMAPOutput: Sendable, Equatable {
    /// Every status, continuation and response-code text here has passed `IMAPResponseText.sanitized`.
    public private(set) var responses: [IMAPResponse]
    public var after: IMAPAfter
    public var notes: [IMAPJournalNote]

    public init(_ responses: [IMAPResponse] = [], after: IMAPAfter = .none, notes: [IMAPJournalNote] = []) {
        self.responses = responses.map(IMAPResponseText.sanitized)
        self.after = after
        self.notes = notes
    }

    /// The responses as wire text (for tests).
    public var wire: String { responses.map { String(decoding: $0.encoded(), as: UTF8.self) }.joined() }
}

extension IMAPSessionStateMachine {
    /// What the state machine asks of its driver, in order. Requests (`authenticate…`, `acquireSlot`,
    /// `mailbox`) are answered by calling back (`authenticated`, `slotAnswered`, `mailboxAnswered`) before
    /// the next input; the answer's actions take the place of the request.
    public enum Action: Sendable, Equatable {
        case send(IMAPResponse)
        case record(IMAPJournalNote)
        /// After the responses before it are written (one per input at most).
        case after(IMAPAfter)
        /// Check an XOAUTH2 token for IMAP; answer with `authenticated(_:)`.
        case authenticateXOAUTH2(XOAUTH2Credentials)
        /// Check a user and password (LOGIN, AUTHENTICATE PLAIN); answer with `authenticated(_:)`.
        case authenticateBasic(user: String, password: String)
        /// Take one of the mailbox's IMAP session slots; answer with `slotAnswered(_:)`.
        case acquireSlot(mailbox: String)
        /// Give the slot back (LOGOUT, the connection closed). Not answered.
        case releaseSlot(mailbox: String)
        /// Read or change the mailbox; answer with `mailboxAnswered(_:)`.
        case mailbox(MailboxRequest)
    }

    /// The answer to `.acquireSlot`.
    public enum SlotAnswer: Sendable, Equatable {
        case acquired
        /// The mailbox already has `limit` sessions (`exchange.imap_sessions_per_mailbox`).
        case refused(limit: Int)
    }

    /// One store operation of a command, and the selected folder to read after it (so the answer brings
    /// the session's view up to date: new messages, expunges).
    public struct MailboxRequest: Sendable, Equatable {
        public var mailbox: String
        public var operation: MailboxOperation
        /// The folder whose snapshot comes back with the answer, after the operation (nil: none).
        public var selectedFolder: String?

        public init(mailbox: String, operation: MailboxOperation, selectedFolder: String?) {
            self.mailbox = mailbox
            self.operation = operation
            self.selectedFolder = selectedFolder
        }
    }

    /// Store operations, named after `MailStore`'s methods; folder names are the store's.
    public enum MailboxOperation: Sendable, Equatable {
        /// Nothing but the selected folder's snapshot (NOOP, CHECK, IDLE, FETCH, SEARCH).
        case read
        case snapshot(folder: String)
        case folders
        case createFolder(String)
        case deleteFolder(String)
        case renameFolder(from: String, to: String)
        case setSubscribed(folder: String, Bool)
        case append(folder: String, message: [UInt8], flags: Set<String>, internalDate: Date?)
        case expunge(folder: String, uids: [UInt32]?)
        case setFlags(folder: String, uids: [UInt32], MailStore.FlagOperation, Set<String>)
        case copy(from: String, uids: [UInt32], to: String)
        case move(from: String, uids: [UInt32], to: String)
    }

    /// What an operation gave back.
    public enum MailboxOutcome: Sendable, Equatable {
        case done
        case snapshot(FolderSnapshot)
        case folders([FolderInfo])
        case appended(uidValidity: UInt32, uid: UInt32)
        case flagsChanged([StoredMessage])
        case copied(MailStore.CopyResult)
    }

    /// The answer to `.mailbox`: the operation's outcome, and the selected folder as it is after it
    /// (nil when none was asked for or it no longer exists).
    public struct MailboxReply: Sendable, Equatable {
        public var outcome: Result<MailboxOutcome, MailStoreError>
        public var selected: FolderSnapshot?

        public init(_ outcome: Result<MailboxOutcome, MailStoreError>, selected: FolderSnapshot? = nil) {
            self.outcome = outcome
            self.selected = selected
        }
    }
}
