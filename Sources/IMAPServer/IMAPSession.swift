import Foundation
import IMAPWire
import Journal
import ListenerSupport
import MailAuthentication
import MailStore
import MicrosoftClouds
import ScenarioModel
import Synchronization

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

/// The session's answer to one input.
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

/// Counts IMAP sessions per mailbox so a login past `Limits.imapSessionsPerMailbox` is refused the way
/// Exchange refuses it (authenticated but not connected).
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

/// One IMAP connection's protocol state: a value that takes inputs (framed commands, SASL lines, store
/// changes, timeouts) and returns responses and what to do next. It reads the store and asks the
/// authenticator synchronously (both are in-memory); it never touches a channel.
public struct IMAPSession {
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

    public private(set) var state: State = .notAuthenticated
    public private(set) var selected: Selected?
    public private(set) var tlsActive: Bool
    /// The mailbox holding a slot in the session counter (released on logout/close).
    public private(set) var countedMailbox: String?

    let store: MailStore
    let authenticator: any MailAuthenticating
    let settings: ExchangeSettings
    let counter: IMAPSessionCounter
    let parser = IMAPParser()

    public init(
        store: MailStore, authenticator: any MailAuthenticating, settings: ExchangeSettings, tlsMode: TLSMode,
        counter: IMAPSessionCounter
    ) {
        self.store = store
        self.authenticator = authenticator
        self.settings = settings
        self.counter = counter
        self.tlsActive = tlsMode == .implicit
    }

    public func greeting() -> IMAPOutput {
        IMAPOutput([.untaggedStatus("OK", code: nil, text: IMAPTexts.greeting(serverName: settings.serverName))])
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

    // MARK: Inputs

    /// A framed command (or raw line in SASL/IDLE modes).
    public mutating func received(_ bytes: [UInt8]) -> IMAPOutput {
        switch state {
        case .awaitingSASL(let tag, let mechanism):
            state = .notAuthenticated
            let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            if line == "*" {
                return IMAPOutput(
                    [.bad(tag, IMAPTexts.authenticateCancelled)],
                    notes: [IMAPJournalNote(.authCanceled, ["mechanism": mechanism])])
            }
            return authenticate(tag: tag, mechanism: mechanism, response: line)
        case .idling(let tag, let mailbox):
            let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            state = selected == nil ? .authenticated(mailbox: mailbox) : .selected(mailbox: mailbox)
            if line.uppercased() == "DONE" {
                return IMAPOutput(sync(allowExpunge: true) + [.ok(tag, IMAPTexts.completed("IDLE"))])
            }
            return IMAPOutput([.bad(tag, "\(IMAPParser.argumentErrorPrefix) Expected DONE to end IDLE.")])
        case .loggedOut:
            return IMAPOutput()
        default:
            switch parser.parse(bytes) {
            case .failure(let error):
                return IMAPOutput([.bad(error.tag, error.text)])
            case .success(let command):
                return execute(command)
            }
        }
    }

    /// The framer rejected a command (limit crossed).
    /// A SASL response line that is too long ends the AUTHENTICATE exchange with BAD on its tag.
    public mutating func framingRejected(tag: String, reason: IMAPFramingError) -> IMAPOutput {
        if case .awaitingSASL(let saslTag, let mechanism) = state {
            state = .notAuthenticated
            return IMAPOutput(
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
        return IMAPOutput(
            [.bad(tag, reason.description)], notes: [IMAPJournalNote(.commandRejected, ["reason": reason.description])])
    }

    /// The framer cannot resynchronise: BYE and close.
    public mutating func framingFatal(tag: String, reason: IMAPFramingError) -> IMAPOutput {
        state = .loggedOut
        return IMAPOutput(
            [.bye(reason.description)], after: .close,
            notes: [IMAPJournalNote(.connectionFatal, ["reason": reason.description])])
    }

    /// A synchronising literal was announced: `+ Ready for additional command text.`
    public func literalContinuation() -> IMAPOutput { IMAPOutput([.continuation(IMAPTexts.literalContinuation)]) }

    /// The selected folder changed in the store. In IDLE, the news is sent now; otherwise with the next command.
    public mutating func folderChanged() -> IMAPOutput {
        guard case .idling = state else { return IMAPOutput() }
        return IMAPOutput(sync(allowExpunge: true))
    }

    /// Auto-logout (idle timer) or server shutdown.
    public mutating func terminate(reason: String) -> IMAPOutput {
        guard state != .loggedOut else { return IMAPOutput() }
        state = .loggedOut
        return IMAPOutput(
            [.bye(IMAPTexts.connectionClosedBye)], after: .close,
            notes: [IMAPJournalNote(.connectionBye, ["reason": reason])])
    }

    /// The connection closed: release the session slot.
    public mutating func connectionClosed() {
        if let m = countedMailbox { counter.release(m) }
        countedMailbox = nil
        state = .loggedOut
    }

    // MARK: Commands

    mutating func execute(_ tagged: TaggedCommand) -> IMAPOutput {
        let tag = tagged.tag
        let command = tagged.command
        // Commands valid in any state.
        switch command {
        case .capability:
            return IMAPOutput([.capability(capabilities), .ok(tag, IMAPTexts.completed("CAPABILITY"))])
        case .noop:
            return IMAPOutput(sync(allowExpunge: true) + [.ok(tag, IMAPTexts.completed("NOOP"))])
        case .logout:
            let wasLoggedIn = countedMailbox
            connectionClosed()
            return IMAPOutput(
                [.bye(IMAPTexts.logoutBye), .ok(tag, IMAPTexts.completed("LOGOUT"))], after: .close,
                notes: [IMAPJournalNote(.logout, wasLoggedIn.map { ["mailbox": $0] } ?? [:])])
        case .id:
            return IMAPOutput([
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
            return IMAPOutput(
                [.bad(tag, IMAPTexts.notConnected), .bye(IMAPTexts.notConnectedBye)], after: .close,
                notes: [IMAPJournalNote(.commandNotConnected, ["command": command.name, "reason": reason.rawValue])])
        case .authenticated(let mailbox), .selected(let mailbox):
            return executeAuthenticated(tag, command, mailbox: mailbox)
        case .awaitingSASL, .idling, .loggedOut:
            return IMAPOutput()
        }
    }

    mutating func executeNotAuthenticated(_ tag: String, _ command: IMAPCommand) -> IMAPOutput {
        switch command {
        case .startTLS:
            if tlsActive { return IMAPOutput([.bad(tag, IMAPTexts.invalidState)]) }
            tlsActive = true
            return IMAPOutput([.ok(tag, IMAPTexts.beginTLS)], after: .startTLS, notes: [IMAPJournalNote(.tlsStarted)])
        case .authenticate(let mechanism, let initial):
            guard tlsActive else {
                return IMAPOutput(
                    [.bad(tag, IMAPTexts.invalidState)],
                    notes: [
                        IMAPJournalNote(
                            .authFailed, ["reason": "tls_required", "detail": "AUTHENTICATE before STARTTLS"])
                    ])
            }
            guard mechanism == "XOAUTH2" || mechanism == "PLAIN" else {
                return IMAPOutput(
                    [.no(tag, IMAPTexts.unsupportedMechanism)],
                    notes: [IMAPJournalNote(.authFailed, ["reason": "unsupported_mechanism", "mechanism": mechanism])])
            }
            guard let initial else {
                state = .awaitingSASL(tag: tag, mechanism: mechanism)
                return IMAPOutput([.continuation("")])
            }
            return authenticate(tag: tag, mechanism: mechanism, response: initial)
        case .login(let user, let password):
            guard tlsActive else {
                return IMAPOutput(
                    [.no(tag, IMAPTexts.loginFailed)],
                    notes: [
                        IMAPJournalNote(
                            .authFailed, ["reason": "tls_required", "detail": "LOGIN before STARTTLS (LOGINDISABLED)"])
                    ])
            }
            let decision = authenticator.authenticateBasic(user: user, password: password, service: .imap)
            return decide(
                decision, tag: tag, command: "LOGIN", failedText: IMAPTexts.loginFailed,
                completedText: IMAPTexts.loginCompleted, user: user)
        default:
            return IMAPOutput([.bad(tag, IMAPTexts.invalidState)])
        }
    }

    mutating func authenticate(tag: String, mechanism: String, response: String) -> IMAPOutput {
        if mechanism == "PLAIN" {
            // authzid NUL authcid NUL password
            var b64 = response
            while b64.count % 4 != 0 { b64 += "=" }
            guard let data = Data(base64Encoded: b64) else {
                return IMAPOutput(
                    [.no(tag, IMAPTexts.authenticateFailed)],
                    notes: [
                        IMAPJournalNote(
                            .authFailed,
                            [
                                "reason": MailAuthFailure.malformedSASL.rawValue, "mechanism": "PLAIN",
                                "detail": "invalid base64",
                            ])
                    ])
            }
            let parts = data.split(separator: 0, omittingEmptySubsequences: false).map {
                String(decoding: $0, as: UTF8.self)
            }
            guard parts.count == 3 else {
                return IMAPOutput(
                    [.no(tag, IMAPTexts.authenticateFailed)],
                    notes: [
                        IMAPJournalNote(
                            .authFailed,
                            [
                                "reason": MailAuthFailure.malformedSASL.rawValue, "mechanism": "PLAIN",
                                "detail": "not authzid NUL user NUL password",
                            ])
                    ])
            }
            let decision = authenticator.authenticateBasic(user: parts[1], password: parts[2], service: .imap)
            return decide(
                decision, tag: tag, command: "AUTHENTICATE", failedText: IMAPTexts.authenticateFailed,
                completedText: IMAPTexts.authenticateCompleted, user: parts[1])
        }
        switch XOAUTH2Credentials.parse(base64: response) {
        case .failure(let error):
            let reason: MailAuthFailure = error == .missingBearer ? .missingBearer : .malformedSASL
            return IMAPOutput(
                [.no(tag, IMAPTexts.authenticateFailed)],
                notes: [
                    IMAPJournalNote(
                        .authFailed, ["reason": reason.rawValue, "mechanism": "XOAUTH2", "detail": error.rawValue])
                ])
        case .success(let credentials):
            let decision = authenticator.authenticate(credentials, service: .imap)
            return decide(
                decision, tag: tag, command: "AUTHENTICATE", failedText: IMAPTexts.authenticateFailed,
                completedText: IMAPTexts.authenticateCompleted, user: credentials.user)
        }
    }

    mutating func decide(
        _ decision: MailAccessDecision, tag: String, command: String, failedText: String, completedText: String,
        user: String
    ) -> IMAPOutput {
        switch decision {
        case .granted(let grant):
            guard counter.acquire(grant.mailbox) else {
                state = .authenticatedNotConnected(reason: .tooManySessions)
                return IMAPOutput(
                    [.ok(tag, completedText)],
                    notes: [
                        IMAPJournalNote(
                            .authNotConnected,
                            [
                                "reason": MailAuthFailure.tooManySessions.rawValue, "mailbox": grant.mailbox,
                                "principal": grant.principal,
                                "detail":
                                    "more than \(counter.limit) IMAP sessions on the mailbox (exchange.imap_sessions_per_mailbox)",
                            ])
                    ])
            }
            countedMailbox = grant.mailbox
            state = .authenticated(mailbox: grant.mailbox)
            return IMAPOutput(
                [.ok(tag, completedText)],
                notes: [
                    IMAPJournalNote(
                        .authSucceeded,
                        [
                            "mailbox": grant.mailbox, "principal": grant.principal,
                            "app_only": grant.appOnly ? "true" : "false", "command": command,
                        ])
                ])
        case .rejected(let failure, let detail):
            return IMAPOutput(
                [.no(tag, failedText)],
                notes: [
                    IMAPJournalNote(
                        .authFailed, ["reason": failure.rawValue, "detail": detail, "user": user, "command": command])
                ])
        case .authenticatedNotConnected(let failure, let detail):
            state = .authenticatedNotConnected(reason: failure)
            return IMAPOutput(
                [.ok(tag, completedText)],
                notes: [
                    IMAPJournalNote(
                        .authNotConnected,
                        ["reason": failure.rawValue, "detail": detail, "user": user, "command": command])
                ])
        }
    }

    /// Maps a client's mailbox name to the store's: `INBOX` in any case is `Inbox`.
    static func storeName(_ wireName: String) -> String {
        let name = ModifiedUTF7.decode(wireName) ?? wireName
        if name.uppercased() == "INBOX" { return "Inbox" }
        if name.uppercased().hasPrefix("INBOX/") { return "Inbox" + name.dropFirst(5) }
        return name
    }

    /// The name a client sees: the Inbox is `INBOX`.
    static func clientName(_ name: String) -> String {
        name.lowercased() == "inbox" ? "INBOX" : ModifiedUTF7.encode(name)
    }

    mutating func executeAuthenticated(_ tag: String, _ command: IMAPCommand, mailbox: String) -> IMAPOutput {
        switch command {
        case .namespace:
            return IMAPOutput([.namespace(IMAPTexts.namespace), .ok(tag, IMAPTexts.completed("NAMESPACE"))])
        case .startTLS, .authenticate, .login:
            return IMAPOutput([.bad(tag, IMAPTexts.invalidState)])
        case .select(let name), .examine(let name):
            let readOnly: Bool
            if case .examine = command { readOnly = true } else { readOnly = false }
            let verb = readOnly ? "EXAMINE" : "SELECT"
            let folder = Self.storeName(name)
            let snapshot: FolderSnapshot
            do {
                snapshot = try store.snapshot(mailbox: mailbox, folder: folder)
            } catch {
                let wasSelected = selected != nil
                selected = nil
                state = .authenticated(mailbox: mailbox)
                return IMAPOutput(
                    [.no(tag, IMAPResponseText.storeError(error))], after: wasSelected ? .unwatch : .none)
            }
            selected = Selected(
                folder: snapshot.name, readOnly: readOnly, uidValidity: snapshot.uidValidity,
                uids: snapshot.messages.map(\.uid))
            state = .selected(mailbox: mailbox)
            var responses: [IMAPResponse] = [
                .exists(snapshot.messages.count), .recent(0), .flags(IMAPTexts.permanentFlags),
                .untaggedStatus(
                    "OK",
                    code: "PERMANENTFLAGS (" + (readOnly ? "" : IMAPTexts.permanentFlags.joined(separator: " ")) + ")",
                    text: "Permanent flags"),
            ]
            if let first = snapshot.messages.firstIndex(where: { !$0.hasFlag("\\Seen") }) {
                responses.append(
                    .untaggedStatus("OK", code: "UNSEEN \(first + 1)", text: "Is the first unseen message"))
            }
            responses.append(
                .untaggedStatus("OK", code: "UIDVALIDITY \(snapshot.uidValidity)", text: "UIDVALIDITY value"))
            responses.append(
                .untaggedStatus("OK", code: "UIDNEXT \(snapshot.uidNext)", text: "The next unique identifier value"))
            responses.append(.ok(tag, IMAPTexts.completed(verb), code: readOnly ? "READ-ONLY" : "READ-WRITE"))
            return IMAPOutput(responses, after: .watch(mailbox: mailbox, folder: snapshot.name))
        case .create(let name):
            return simple(tag, "CREATE") { () throws(MailStoreError) in
                try store.createFolder(mailbox: mailbox, name: Self.storeName(name))
            }
        case .delete(let name):
            return simple(tag, "DELETE") { () throws(MailStoreError) in
                try store.deleteFolder(mailbox: mailbox, name: Self.storeName(name))
            }
        case .rename(let from, let to):
            return simple(tag, "RENAME") { () throws(MailStoreError) in
                try store.renameFolder(mailbox: mailbox, from: Self.storeName(from), to: Self.storeName(to))
            }
        case .subscribe(let name):
            return simple(tag, "SUBSCRIBE") { () throws(MailStoreError) in
                try store.setSubscribed(mailbox: mailbox, folder: Self.storeName(name), true)
            }
        case .unsubscribe(let name):
            return simple(tag, "UNSUBSCRIBE") { () throws(MailStoreError) in
                try store.setSubscribed(mailbox: mailbox, folder: Self.storeName(name), false)
            }
        case .list(let reference, let pattern), .lsub(let reference, let pattern):
            let isList: Bool
            if case .list = command { isList = true } else { isList = false }
            return list(tag, mailbox: mailbox, reference: reference, pattern: pattern, subscribedOnly: !isList)
        case .status(let name, let items):
            do {
                let s = try store.snapshot(mailbox: mailbox, folder: Self.storeName(name))
                let values: [(StatusAttribute, Int)] = items.map { item in
                    switch item {
                    case .messages: (item, s.messages.count)
                    case .recent: (item, 0)
                    case .uidNext: (item, Int(s.uidNext))
                    case .uidValidity: (item, Int(s.uidValidity))
                    case .unseen: (item, s.unseenCount)
                    }
                }
                return IMAPOutput([
                    .status(name: Self.clientName(s.name), values), .ok(tag, IMAPTexts.completed("STATUS")),
                ])
            } catch {
                return IMAPOutput([.no(tag, IMAPResponseText.storeError(error))])
            }
        case .append(let name, let flags, let date, let message):
            let folder = Self.storeName(name)
            let internalDate = date.map { Date(timeIntervalSince1970: TimeInterval($0.secondsSince1970)) }
            do {
                let (validity, uid) = try store.append(
                    mailbox: mailbox, folder: folder, rawMessage: message, flags: Set(flags), internalDate: internalDate
                )
                return IMAPOutput(
                    sync(allowExpunge: true) + [
                        .ok(tag, IMAPTexts.completed("APPEND"), code: "APPENDUID \(validity) \(uid)")
                    ])
            } catch {
                return IMAPOutput([Self.storeRefusal(tag, error)])
            }
        case .check:
            return IMAPOutput(sync(allowExpunge: true) + [.ok(tag, IMAPTexts.completed("CHECK"))])
        case .idle:
            state = .idling(tag: tag, mailbox: mailbox)
            return IMAPOutput([.continuation(IMAPTexts.idleAccepted)] + sync(allowExpunge: true))
        default:
            guard let current = selected else { return IMAPOutput([.bad(tag, IMAPTexts.invalidState)]) }
            return executeSelected(tag, command, mailbox: mailbox, current: current)
        }
    }

    /// `NO` for a store error, `[TRYCREATE]` when the destination folder does not exist (RFC 3501 §6.3.11).
    static func storeRefusal(_ tag: String, _ error: MailStoreError) -> IMAPResponse {
        if case .folderNotFound = error { return .no(tag, IMAPResponseText.storeError(error), code: "TRYCREATE") }
        return .no(tag, IMAPResponseText.storeError(error))
    }

    func simple(_ tag: String, _ verb: String, _ body: () throws(MailStoreError) -> Void) -> IMAPOutput {
        do {
            try body()
            return IMAPOutput([.ok(tag, IMAPTexts.completed(verb))])
        } catch {
            return IMAPOutput([.no(tag, IMAPResponseText.storeError(error))])
        }
    }

    func list(_ tag: String, mailbox: String, reference: String, pattern: String, subscribedOnly: Bool) -> IMAPOutput {
        let verb = subscribedOnly ? "LSUB" : "LIST"
        if pattern.isEmpty, !subscribedOnly {
            return IMAPOutput([
                .list(attributes: ["\\Noselect", "\\HasChildren"], delimiter: "/", name: ""),
                .ok(tag, IMAPTexts.completed(verb)),
            ])
        }
        guard let folders = try? store.folders(of: mailbox) else {
            return IMAPOutput([.ok(tag, IMAPTexts.completed(verb))])
        }
        let full = reference + pattern
        var responses: [IMAPResponse] = []
        for folder in folders where !subscribedOnly || folder.subscribed {
            let shown = Self.clientName(folder.name)
            guard
                Self.matches(pattern: Array(full.utf8), name: Array(shown.utf8))
                    || (full.uppercased().hasPrefix("INBOX")
                        && Self.matches(pattern: Array(full.uppercased().utf8), name: Array(shown.uppercased().utf8)))
            else { continue }
            var attributes = [folder.hasChildren ? "\\HasChildren" : "\\HasNoChildren"]
            if let special = folder.specialUse { attributes.append(special) }
            responses.append(
                subscribedOnly
                    ? .lsub(attributes: attributes, delimiter: "/", name: shown)
                    : .list(attributes: attributes, delimiter: "/", name: shown))
        }
        return IMAPOutput(responses + [.ok(tag, IMAPTexts.completed(verb))])
    }

    /// LIST wildcards: `*` matches anything, `%` anything but the delimiter. Iterative (no recursion on input).
    static func matches(pattern: [UInt8], name: [UInt8]) -> Bool {
        var p = 0
        var n = 0
        var star: (p: Int, n: Int)?
        var percent: (p: Int, n: Int)?
        while n < name.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                star = (p, n)
                percent = nil
                p += 1
            } else if p < pattern.count, pattern[p] == UInt8(ascii: "%") {
                percent = (p, n)
                p += 1
            } else if p < pattern.count, pattern[p] == name[n] {
                p += 1
                n += 1
            } else if let pc = percent, name[pc.n] != UInt8(ascii: "/") {
                percent = (pc.p, pc.n + 1)
                p = pc.p + 1
                n = pc.n + 1
            } else if let s = star {
                star = (s.p, s.n + 1)
                percent = nil
                p = s.p + 1
                n = s.n + 1
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") || pattern[p] == UInt8(ascii: "%") { p += 1 }
        return p == pattern.count
    }

    // MARK: Selected state

    mutating func executeSelected(_ tag: String, _ command: IMAPCommand, mailbox: String, current: Selected)
        -> IMAPOutput
    {
        guard let snapshot = try? store.snapshot(mailbox: mailbox, folder: current.folder),
            snapshot.uidValidity == current.uidValidity
        else {
            selected = nil
            state = .authenticated(mailbox: mailbox)
            return IMAPOutput([.bye("The selected folder no longer exists.")], after: .close)
        }
        let byUID = Dictionary(snapshot.messages.map { ($0.uid, $0) }, uniquingKeysWith: { a, _ in a })
        switch command {
        case .close, .unselect:
            if case .close = command, !current.readOnly {
                _ = try? store.expunge(mailbox: mailbox, folder: current.folder)
            }
            selected = nil
            state = .authenticated(mailbox: mailbox)
            return IMAPOutput([.ok(tag, IMAPTexts.completed(command.name))], after: .unwatch)
        case .expunge, .uidExpunge:
            if current.readOnly { return IMAPOutput([.no(tag, "The folder is read-only (opened with EXAMINE).")]) }
            var only: [UInt32]?
            if case .uidExpunge(let set) = command {
                only = current.uids.filter { set.contains($0, largest: current.uids.last ?? 0) }
            }
            _ = try? store.expunge(mailbox: mailbox, folder: current.folder, uids: only)
            return IMAPOutput(sync(allowExpunge: true) + [.ok(tag, IMAPTexts.completed(command.name))])
        case .search(let charset, let key, let uid):
            if let charset, !["UTF-8", "US-ASCII"].contains(charset.uppercased()) {
                return IMAPOutput([
                    .no(
                        tag,
                        "The charset \(IMAPResponseText.quoted(charset) ?? "named in the command") is not supported;"
                            + " use UTF-8 or US-ASCII.",
                        code: "BADCHARSET (US-ASCII UTF-8)")
                ])
            }
            var found: [UInt32] = []
            let largestSeq = UInt32(current.uids.count)
            let largestUID = current.uids.last ?? 0
            for (i, u) in current.uids.enumerated() {
                guard let m = byUID[u] else { continue }
                if MessageView(m).matches(
                    key, sequence: UInt32(i + 1), largestSequence: largestSeq, largestUID: largestUID)
                {
                    found.append(uid ? u : UInt32(i + 1))
                }
            }
            return IMAPOutput(sync(allowExpunge: uid) + [.search(found), .ok(tag, IMAPTexts.completed("SEARCH"))])
        case .fetch(let set, let items, let uid):
            return fetch(tag, set: set, items: items, byUID: uid, mailbox: mailbox, current: current, byUIDMap: byUID)
        case .store(let set, let mode, let silent, let flags, let uid):
            if current.readOnly { return IMAPOutput([.no(tag, "The folder is read-only (opened with EXAMINE).")]) }
            let targets = resolve(set, byUID: uid, current)
            let op: MailStore.FlagOperation = mode == .replace ? .replace : mode == .add ? .add : .remove
            let changed =
                (try? store.setFlags(mailbox: mailbox, folder: current.folder, uids: targets.map(\.uid), op, Set(flags)))
                ?? []
            var responses: [IMAPResponse] = []
            if !silent {
                let changedByUID = Dictionary(changed.map { ($0.uid, $0) }, uniquingKeysWith: { a, _ in a })
                for t in targets {
                    guard let m = changedByUID[t.uid] else { continue }
                    var items = [FetchItem("FLAGS", .list(Self.sortedFlags(m.flags).map { .atom($0) }))]
                    if uid { items.append(FetchItem("UID", .number(Int(t.uid)))) }
                    responses.append(.fetch(t.sequence, items))
                }
            }
            return IMAPOutput(sync(allowExpunge: uid) + responses + [.ok(tag, IMAPTexts.completed("STORE"))])
        case .copy(let set, let destination, let uid), .move(let set, let destination, let uid):
            let isMove: Bool
            if case .move = command { isMove = true } else { isMove = false }
            let verb = isMove ? "MOVE" : "COPY"
            if isMove, current.readOnly {
                return IMAPOutput([.no(tag, "The folder is read-only (opened with EXAMINE).")])
            }
            let targets = resolve(set, byUID: uid, current).map(\.uid)
            do {
                let result =
                    isMove
                    ? try store.move(
                        mailbox: mailbox, from: current.folder, uids: targets, to: Self.storeName(destination))
                    : try store.copy(
                        mailbox: mailbox, from: current.folder, uids: targets, to: Self.storeName(destination))
                let code =
                    result.sourceUIDs.isEmpty
                    ? nil
                    : "COPYUID \(result.destinationUIDValidity) \(Self.uidSet(result.sourceUIDs)) \(Self.uidSet(result.destinationUIDs))"
                if isMove {
                    var responses: [IMAPResponse] = []
                    if let code { responses.append(.untaggedStatus("OK", code: code, text: "Moved")) }
                    return IMAPOutput(responses + sync(allowExpunge: true) + [.ok(tag, IMAPTexts.completed(verb))])
                }
                return IMAPOutput(sync(allowExpunge: true) + [.ok(tag, IMAPTexts.completed(verb), code: code)])
            } catch {
                return IMAPOutput([Self.storeRefusal(tag, error)])
            }
        default:
            return IMAPOutput([.bad(tag, IMAPTexts.invalidState)])
        }
    }

    static func sortedFlags(_ flags: Set<String>) -> [String] {
        let order = IMAPTexts.permanentFlags
        return flags.sorted { a, b in
            let ia = order.firstIndex(of: a) ?? Int.max
            let ib = order.firstIndex(of: b) ?? Int.max
            return ia != ib ? ia < ib : a < b
        }
    }

    /// `1,2,3,5` → `1:3,5`.
    static func uidSet(_ uids: [UInt32]) -> String {
        var parts: [String] = []
        var i = 0
        while i < uids.count {
            var j = i
            while j + 1 < uids.count, uids[j + 1] == uids[j] + 1 { j += 1 }
            parts.append(i == j ? "\(uids[i])" : "\(uids[i]):\(uids[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    /// The (sequence number, UID) pairs a set names in the session's view.
    func resolve(_ set: SequenceSet, byUID: Bool, _ current: Selected) -> [(sequence: Int, uid: UInt32)] {
        var out: [(Int, UInt32)] = []
        let largestUID = current.uids.last ?? 0
        let largestSeq = UInt32(current.uids.count)
        for (i, u) in current.uids.enumerated() {
            let hit = byUID ? set.contains(u, largest: largestUID) : set.contains(UInt32(i + 1), largest: largestSeq)
            if hit { out.append((i + 1, u)) }
        }
        return out
    }

    mutating func fetch(
        _ tag: String, set: SequenceSet, items: [FetchAttribute], byUID: Bool, mailbox: String, current: Selected,
        byUIDMap: [UInt32: StoredMessage]
    ) -> IMAPOutput {
        if !byUID {
            // A sequence number past the session's view is an error (RFC 3501 §6.4.5: BAD for invalid numbers).
            let largest = UInt32(current.uids.count)
            for r in set.ranges {
                for n in [r.first, r.last] {
                    if case .number(let v) = n, v > largest {
                        return IMAPOutput([
                            .bad(
                                tag,
                                "\(IMAPParser.argumentErrorPrefix) Message \(v) does not exist; the folder has \(largest) messages."
                            )
                        ])
                    }
                }
            }
        }
        var responses: [IMAPResponse] = []
        var markSeen: [UInt32] = []
        for target in resolve(set, byUID: byUID, current) {
            guard let message = byUIDMap[target.uid] else { continue }
            let view = MessageView(message)
            var out: [FetchItem] = []
            var setsSeen = false
            for item in items {
                switch item {
                case .flags: out.append(FetchItem("FLAGS", .list(Self.sortedFlags(message.flags).map { .atom($0) })))
                case .uid: out.append(FetchItem("UID", .number(Int(message.uid))))
                case .internalDate:
                    out.append(FetchItem("INTERNALDATE", .text(MessageView.internalDate(message.internalDate))))
                case .rfc822Size: out.append(FetchItem("RFC822.SIZE", .number(message.size)))
                case .envelope: out.append(FetchItem("ENVELOPE", view.envelope()))
                case .bodyStructure: out.append(FetchItem("BODYSTRUCTURE", view.bodyStructure(extensible: true)))
                case .bodyStructureNonExtensible: out.append(FetchItem("BODY", view.bodyStructure(extensible: false)))
                case .rfc822:
                    out.append(FetchItem("RFC822", .literal(message.raw)))
                    setsSeen = true
                case .rfc822Header:
                    out.append(FetchItem("RFC822.HEADER", .literal(Array(message.raw[view.mime.headerRange]))))
                case .rfc822Text:
                    out.append(FetchItem("RFC822.TEXT", .literal(Array(message.raw[view.mime.bodyRange]))))
                    setsSeen = true
                case .body(let section, let peek, let partial):
                    var bytes = view.sectionBytes(section) ?? []
                    var name = MessageView.sectionName(section)
                    if let partial {
                        let start = min(partial.offset, bytes.count)
                        let end = min(bytes.count, start + partial.count)
                        bytes = Array(bytes[start..<end])
                        name += "<\(partial.offset)>"
                    }
                    out.append(FetchItem(name, .literal(bytes)))
                    if !peek { setsSeen = true }
                }
            }
            if setsSeen, !current.readOnly, !message.hasFlag("\\Seen") {
                markSeen.append(message.uid)
                var flags = message.flags
                flags.insert("\\Seen")
                let flagItem = FetchItem("FLAGS", .list(Self.sortedFlags(flags).map { .atom($0) }))
                if let i = out.firstIndex(where: { $0.name == "FLAGS" }) {
                    out[i] = flagItem
                } else {
                    out.append(flagItem)
                }
            }
            responses.append(.fetch(target.sequence, out))
        }
        if !markSeen.isEmpty {
            _ = try? store.setFlags(mailbox: mailbox, folder: current.folder, uids: markSeen, .add, ["\\Seen"])
        }
        return IMAPOutput(sync(allowExpunge: byUID) + responses + [.ok(tag, IMAPTexts.completed("FETCH"))])
    }

    /// Brings the session's view of the selected folder up to date: `EXPUNGE` for removed messages (when
    /// allowed: never during FETCH, STORE or SEARCH by sequence number) and `EXISTS` for new ones.
    mutating func sync(allowExpunge: Bool) -> [IMAPResponse] {
        guard var current = selected, let mailbox = selectedMailbox,
            let snapshot = try? store.snapshot(mailbox: mailbox, folder: current.folder)
        else { return [] }
        var responses: [IMAPResponse] = []
        let present = Set(snapshot.messages.map(\.uid))
        if allowExpunge {
            var i = current.uids.count - 1
            while i >= 0 {
                if !present.contains(current.uids[i]) {
                    responses.append(.expunge(i + 1))
                    current.uids.remove(at: i)
                }
                i -= 1
            }
        }
        let highest = current.uids.last ?? 0
        let new = snapshot.messages.filter { $0.uid > highest }.map(\.uid)
        if !new.isEmpty {
            current.uids += new
            responses.append(.exists(current.uids.count))
        }
        selected = current
        return responses
    }

    var selectedMailbox: String? {
        switch state {
        case .selected(let m), .idling(_, let m), .authenticated(let m): m
        default: nil
        }
    }
}
