import Foundation
import IMAPWire
import MailAuthentication
import MailStore
import ScenarioModel

/// One IMAP connection's protocol state, as a value (postgres-nio's `AuthenticationStateMachine` is the
/// model; `POP3Session` does the same for POP3). It takes inputs (framed commands, SASL lines, store
/// changes, timeouts) and returns `Action`s: responses, journal notes, what to do after them, and requests
/// to check a token, take a session slot, or read or change the mailbox. It never touches a store, an
/// authenticator, a clock or a channel: its driver (`IMAPSession`) performs the requests and feeds the
/// answers back (`authenticated`, `slotAnswered`, `mailboxAnswered`), so it is tested with answers alone.
///
/// Files: inputs and dispatch here; `+Authentication` (STARTTLS, AUTHENTICATE, LOGIN, the slot),
/// `+Mailboxes` (SELECT, LIST, STATUS, APPEND, folder commands), `+Selected` (SEARCH, STORE, EXPUNGE,
/// COPY, MOVE, CLOSE, the view's sync), `+Fetch`.
public struct IMAPSessionStateMachine: Sendable {
    public enum State: Sendable, Equatable {
        case notAuthenticated
        /// AUTHENTICATE sent `+ `; the next line is the SASL response or `*`.
        case awaitingSASL(tag: String, mechanism: String)
        /// Logged in, but Exchange refused to connect a mailbox (`BAD User is authenticated but not connected.`).
        case authenticatedNotConnected(reason: MailAuthFailure)
        case authenticated(mailbox: String)
        case selected(mailbox: String)
        /// In IDLE with this tag, selected or not.
        case idling(tag: String, mailbox: String)
        case loggedOut
    }

    /// The folder a session has selected: its name in the store and the session's view of sequence numbers.
    public struct Selected: Sendable, Equatable {
        public var folder: String
        public var readOnly: Bool
        public var uidValidity: UInt32
        /// UIDs in sequence-number order, as this session has reported them.
        public var uids: [UInt32]
    }

    /// A login waiting for its answers: which command, for which text and journal detail.
    struct Login: Sendable, Equatable {
        var tag: String
        /// `LOGIN` or `AUTHENTICATE`.
        var command: String
        var user: String
        var failedText: String { command == "LOGIN" ? IMAPTexts.loginFailed : IMAPTexts.authenticateFailed }
        var completedText: String { command == "LOGIN" ? IMAPTexts.loginCompleted : IMAPTexts.authenticateCompleted }
    }

    /// The request the machine waits on; its answer continues the command.
    enum Pending: Sendable, Equatable {
        case authentication(Login)
        case slot(Login, MailGrant)
        case mailbox(MailboxStep)
    }

    public internal(set) var state: State = .notAuthenticated
    public internal(set) var selected: Selected?
    public internal(set) var tlsActive: Bool
    /// The mailbox holding a slot in the session counter (released on logout/close).
    public internal(set) var countedMailbox: String?
    /// The token's `appid` once a login connected a mailbox (nil for a password login): what a fault's
    /// `client_id` matches.
    public internal(set) var clientID: String?
    var pending: Pending?
    let settings: ExchangeSettings
    let parser = IMAPParser()

    public init(settings: ExchangeSettings, tlsActive: Bool) {
        self.settings = settings
        self.tlsActive = tlsActive
    }

    /// Responses, notes and an `after` as actions (notes first; the driver records them as it goes).
    static func answer(_ responses: [IMAPResponse], after: IMAPAfter = .none, notes: [IMAPJournalNote] = [])
        -> [Action]
    {
        var actions = notes.map(Action.record) + responses.map(Action.send)
        if after != .none { actions.append(.after(after)) }
        return actions
    }

    public func greeting() -> [Action] {
        Self.answer([.untaggedStatus("OK", code: nil, text: IMAPTexts.greeting(serverName: settings.serverName))])
    }

    public var capabilities: [String] {
        switch state {
        case .notAuthenticated, .awaitingSASL, .loggedOut:
            if !tlsActive { return IMAPTexts.capabilitiesBeforeStartTLS }
            return settings.basicAuth ? IMAPTexts.capabilitiesImplicitTLSBasicAuth : IMAPTexts.capabilitiesImplicitTLS
        default:
            return IMAPTexts.capabilitiesAuthenticated
        }
    }

    /// True while the next line is a SASL response (the framer allows it the AUTHENTICATE line limit).
    public var isAwaitingSASL: Bool {
        if case .awaitingSASL = state { return true }
        return false
    }

    /// True while the framer's next line is a SASL response or `DONE`, not a command.
    public var expectsRawLine: Bool {
        switch state {
        case .awaitingSASL, .idling: true
        default: false
        }
    }

    /// The mailbox of an authenticated session (selected, idling or not).
    var sessionMailbox: String? {
        switch state {
        case .selected(let m), .idling(_, let m), .authenticated(let m): m
        default: nil
        }
    }

    // MARK: Inputs

    /// A framed command (or raw line in SASL/IDLE modes).
    public mutating func received(_ bytes: [UInt8]) -> [Action] {
        guard pending == nil else { return [] }
        switch state {
        case .awaitingSASL(let tag, let mechanism):
            state = .notAuthenticated
            let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            if line == "*" {
                return Self.answer(
                    [.bad(tag, IMAPTexts.authenticateCancelled)],
                    notes: [IMAPJournalNote(.authCanceled, ["mechanism": mechanism])])
            }
            return authenticate(tag: tag, mechanism: mechanism, response: line)
        case .idling(let tag, let mailbox):
            let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            state = selected == nil ? .authenticated(mailbox: mailbox) : .selected(mailbox: mailbox)
            if line.uppercased() == "DONE" {
                return sync(allowExpunge: true, then: [.ok(tag, IMAPTexts.completed("IDLE"))])
            }
            return Self.answer([.bad(tag, "\(IMAPParser.argumentErrorPrefix) Expected DONE to end IDLE.")])
        case .loggedOut:
            return []
        default:
            switch parser.parse(bytes) {
            case .failure(let error):
                return Self.answer([.bad(error.tag, error.text)])
            case .success(let command):
                return execute(command)
            }
        }
    }

    /// The framer rejected a command (limit crossed).
    /// A SASL response line that is too long ends the AUTHENTICATE exchange with BAD on its tag.
    public mutating func framingRejected(tag: String, reason: IMAPFramingError) -> [Action] {
        if case .awaitingSASL(let saslTag, let mechanism) = state {
            state = .notAuthenticated
            return Self.answer(
                [.bad(saslTag, reason.description)],
                notes: [
                    IMAPJournalNote(
                        .authFailed,
                        [
                            "reason": MailAuthFailure.malformedSASL.rawValue, "mechanism": mechanism,
                            "detail": reason.description,
                        ])
                ])
        }
        return Self.answer(
            [.bad(tag, reason.description)], notes: [IMAPJournalNote(.commandRejected, ["reason": reason.description])])
    }

    /// The framer cannot resynchronise: BYE and close.
    public mutating func framingFatal(tag: String, reason: IMAPFramingError) -> [Action] {
        state = .loggedOut
        return Self.answer(
            [.bye(reason.description)], after: .close,
            notes: [IMAPJournalNote(.connectionFatal, ["reason": reason.description])])
    }

    /// A synchronising literal was announced: `+ Ready for additional command text.`
    public func literalContinuation() -> [Action] { Self.answer([.continuation(IMAPTexts.literalContinuation)]) }

    /// The selected folder changed in the store. In IDLE, the news is sent now; otherwise with the next command.
    public mutating func folderChanged() -> [Action] {
        guard pending == nil, case .idling = state else { return [] }
        return sync(allowExpunge: true, then: [])
    }

    /// Auto-logout (idle timer) or server shutdown.
    public mutating func terminate(reason: String) -> [Action] {
        guard state != .loggedOut else { return [] }
        state = .loggedOut
        pending = nil
        return Self.answer(
            [.bye(IMAPTexts.connectionClosedBye)], after: .close,
            notes: [IMAPJournalNote(.connectionBye, ["reason": reason])])
    }

    /// The connection closed: give the session slot back.
    public mutating func connectionClosed() -> [Action] {
        defer {
            countedMailbox = nil
            clientID = nil
            state = .loggedOut
            pending = nil
        }
        return countedMailbox.map { [.releaseSlot(mailbox: $0)] } ?? []
    }

    // MARK: Commands

    mutating func execute(_ tagged: TaggedCommand) -> [Action] {
        let tag = tagged.tag
        let command = tagged.command
        // Commands valid in any state.
        switch command {
        case .capability:
            return Self.answer([.capability(capabilities), .ok(tag, IMAPTexts.completed("CAPABILITY"))])
        case .noop:
            return sync(allowExpunge: true, then: [.ok(tag, IMAPTexts.completed("NOOP"))])
        case .logout:
            let wasLoggedIn = countedMailbox
            return connectionClosed()
                + Self.answer(
                    [.bye(IMAPTexts.logoutBye), .ok(tag, IMAPTexts.completed("LOGOUT"))], after: .close,
                    notes: [IMAPJournalNote(.logout, wasLoggedIn.map { ["mailbox": $0] } ?? [:])])
        case .id:
            return Self.answer([
                .id(IMAPTexts.idResponse.map { IDPair(key: $0.0, value: $0.1) }), .ok(tag, IMAPTexts.completed("ID")),
            ])
        default: break
        }

        switch state {
        case .notAuthenticated:
            return executeNotAuthenticated(tag, command)
        case .authenticatedNotConnected(let reason):
            // Exchange Online answers the first mailbox command with BAD, then says BYE and closes (§6.3).
            state = .loggedOut
            return Self.answer(
                [.bad(tag, IMAPTexts.notConnected), .bye(IMAPTexts.notConnectedBye)], after: .close,
                notes: [IMAPJournalNote(.commandNotConnected, ["command": command.name, "reason": reason.rawValue])])
        case .authenticated(let mailbox), .selected(let mailbox):
            return executeAuthenticated(tag, command, mailbox: mailbox)
        case .awaitingSASL, .idling, .loggedOut:
            return []
        }
    }

    /// The driver's answer to `.mailbox`.
    public mutating func mailboxAnswered(_ reply: MailboxReply) -> [Action] {
        guard case .mailbox(let step) = pending else { return [] }
        pending = nil
        return continueMailbox(step, reply)
    }

    /// Asks for a store operation; `step` says how its answer continues the command.
    mutating func request(_ operation: MailboxOperation, mailbox: String, then step: MailboxStep) -> [Action] {
        pending = .mailbox(step)
        return [.mailbox(MailboxRequest(mailbox: mailbox, operation: operation, selectedFolder: selected?.folder))]
    }
}
