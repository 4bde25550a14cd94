import Foundation
import IMAPWire
import ListenerSupport
import MailAuthentication
import MailStore
import ScenarioModel

/// The driver of one connection's `IMAPSessionStateMachine`: it hands the machine each input, performs
/// the machine's requests against the store, the authenticator and the session counter (all in memory,
/// synchronous), feeds the answers back, and returns what is left for the connection: responses, journal
/// notes and what to do after them. Each input is one call (`received`, `folderChanged`, ...), so the
/// connection handler never sees a request.
public struct IMAPSession {
    public private(set) var machine: IMAPSessionStateMachine
    let store: MailStore
    let authenticator: any MailAuthenticating
    let counter: IMAPSessionCounter

    public init(
        store: MailStore, authenticator: any MailAuthenticating, settings: ExchangeSettings, tlsMode: TLSMode,
        counter: IMAPSessionCounter
    ) {
        self.store = store
        self.authenticator = authenticator
        self.counter = counter
        self.machine = IMAPSessionStateMachine(settings: settings, tlsActive: tlsMode == .implicit)
    }

    public var state: IMAPSessionStateMachine.State { machine.state }
    public var selected: IMAPSessionStateMachine.Selected? { machine.selected }
    public var tlsActive: Bool { machine.tlsActive }
    public var countedMailbox: String? { machine.countedMailbox }
    public var clientID: String? { machine.clientID }
    public var capabilities: [String] { machine.capabilities }
    public var isAwaitingSASL: Bool { machine.isAwaitingSASL }
    public var expectsRawLine: Bool { machine.expectsRawLine }

    // MARK: Inputs (one call each)

    public func greeting() -> IMAPOutput {
        var copy = self
        return copy.run(machine.greeting())
    }

    public mutating func received(_ bytes: [UInt8]) -> IMAPOutput { run(machine.received(bytes)) }

    public mutating func framingRejected(tag: String, reason: IMAPFramingError) -> IMAPOutput {
        run(machine.framingRejected(tag: tag, reason: reason))
    }

    public mutating func framingFatal(tag: String, reason: IMAPFramingError) -> IMAPOutput {
        run(machine.framingFatal(tag: tag, reason: reason))
    }

    public func literalContinuation() -> IMAPOutput {
        var copy = self
        return copy.run(machine.literalContinuation())
    }

    public mutating func folderChanged() -> IMAPOutput { run(machine.folderChanged()) }

    public mutating func terminate(reason: String) -> IMAPOutput { run(machine.terminate(reason: reason)) }

    /// The connection closed: the session slot goes back to the counter.
    public mutating func connectionClosed() { _ = run(machine.connectionClosed()) }

    // MARK: Performing actions

    /// Performs requests until only output is left. An answer's actions run before the rest.
    mutating func run(_ actions: [IMAPSessionStateMachine.Action]) -> IMAPOutput {
        var queue = actions
        var index = 0
        var responses: [IMAPResponse] = []
        var notes: [IMAPJournalNote] = []
        var after = IMAPAfter.none
        while index < queue.count {
            let action = queue[index]
            index += 1
            let answer: [IMAPSessionStateMachine.Action]
            switch action {
            case .send(let response):
                responses.append(response)
                continue
            case .record(let note):
                notes.append(note)
                continue
            case .after(let next):
                after = next
                continue
            case .releaseSlot(let mailbox):
                counter.release(mailbox)
                continue
            case .authenticateXOAUTH2(let credentials):
                answer = machine.authenticated(authenticator.authenticate(credentials, service: .imap))
            case .authenticateBasic(let user, let password):
                answer = machine.authenticated(
                    authenticator.authenticateBasic(user: user, password: password, service: .imap))
            case .acquireSlot(let mailbox):
                answer = machine.slotAnswered(counter.acquire(mailbox) ? .acquired : .refused(limit: counter.limit))
            case .mailbox(let request):
                answer = machine.mailboxAnswered(perform(request))
            }
            queue.replaceSubrange(queue.startIndex..<index, with: [])
            queue.insert(contentsOf: answer, at: 0)
            index = 0
        }
        return IMAPOutput(responses, after: after, notes: notes)
    }

    /// One store operation, then the selected folder's snapshot as it is after it.
    func perform(_ request: IMAPSessionStateMachine.MailboxRequest) -> IMAPSessionStateMachine.MailboxReply {
        let mailbox = request.mailbox
        let outcome: Result<IMAPSessionStateMachine.MailboxOutcome, MailStoreError>
        do throws(MailStoreError) {
            switch request.operation {
            case .read:
                outcome = .success(.done)
            case .snapshot(let folder):
                outcome = .success(.snapshot(try store.snapshot(mailbox: mailbox, folder: folder)))
            case .folders:
                outcome = .success(.folders(try store.folders(of: mailbox)))
            case .createFolder(let name):
                try store.createFolder(mailbox: mailbox, name: name)
                outcome = .success(.done)
            case .deleteFolder(let name):
                try store.deleteFolder(mailbox: mailbox, name: name)
                outcome = .success(.done)
            case .renameFolder(let from, let to):
                try store.renameFolder(mailbox: mailbox, from: from, to: to)
                outcome = .success(.done)
            case .setSubscribed(let folder, let subscribed):
                try store.setSubscribed(mailbox: mailbox, folder: folder, subscribed)
                outcome = .success(.done)
            case .append(let folder, let message, let flags, let internalDate):
                let (validity, uid) = try store.append(
                    mailbox: mailbox, folder: folder, rawMessage: message, flags: flags, internalDate: internalDate)
                outcome = .success(.appended(uidValidity: validity, uid: uid))
            case .expunge(let folder, let uids):
                _ = try store.expunge(mailbox: mailbox, folder: folder, uids: uids)
                outcome = .success(.done)
            case .setFlags(let folder, let uids, let operation, let flags):
                outcome = .success(
                    .flagsChanged(try store.setFlags(mailbox: mailbox, folder: folder, uids: uids, operation, flags)))
            case .copy(let from, let uids, let to):
                outcome = .success(.copied(try store.copy(mailbox: mailbox, from: from, uids: uids, to: to)))
            case .move(let from, let uids, let to):
                outcome = .success(.copied(try store.move(mailbox: mailbox, from: from, uids: uids, to: to)))
            }
        } catch {
            outcome = .failure(error)
        }
        let selected = request.selectedFolder.flatMap { try? store.snapshot(mailbox: mailbox, folder: $0) }
        return IMAPSessionStateMachine.MailboxReply(outcome, selected: selected)
    }
}
