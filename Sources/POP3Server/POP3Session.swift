import ExomockLimits
import Foundation
import Journal
import MailAuthentication
import MailStore
import POP3Wire
import ScenarioModel

/// One POP3 connection's protocol state (RFC 1939 AUTHORIZATION → TRANSACTION → UPDATE), as a value.
///
/// It never touches a channel, the clock, the store or a token. It returns `Effect`s (send a line,
/// check a token, open or update the maildrop, start TLS, close), and the driver feeds the answers back
/// (`authenticated`, `maildropOpened`). Deletions are only marks until QUIT in TRANSACTION; a drop
/// before that (`connectionDropped`, `idleTimedOut`) releases the maildrop without touching it.
public struct POP3Session: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// Shown in the greeting as base64 UTF-16LE.
        public var serverName: String
        /// Basic authentication (USER/PASS, AUTH PLAIN) allowed by the scenario.
        public var basicAuth: Bool
        /// The listener is plain text and offers STLS (port 110 style).
        public var offersSTLS: Bool
        /// The answer to `AUTH XOAUTH2 <initial response>` on one line (RFC 5034): Exchange Online's is
        /// UNCONFIRMED (one report of `-ERR Protocol error`, the scenario default); `accept` takes it like
        /// the two-line form (`exchange.pop3_xoauth2_initial_response`).
        public var xoauth2InitialResponse: ExchangeSettings.POP3InitialResponse

        public init(
            serverName: String, basicAuth: Bool, offersSTLS: Bool,
            xoauth2InitialResponse: ExchangeSettings.POP3InitialResponse
        ) {
            self.serverName = serverName
            self.basicAuth = basicAuth
            self.offersSTLS = offersSTLS
            self.xoauth2InitialResponse = xoauth2InitialResponse
        }
    }

    public enum Mechanism: String, Sendable, Equatable {
        case xoauth2 = "XOAUTH2"
        case plain = "PLAIN"
    }

    /// A maildrop in TRANSACTION state, with this session's deletion marks (message numbers, from 1).
    public struct Transaction: Sendable, Equatable {
        public var mailbox: String
        /// The token's `appid` (nil for a password login): what a fault's `client_id` matches.
        public var clientID: String?
        public var snapshot: MaildropSnapshot
        public var deleted: Set<Int>
    }

    public enum State: Sendable, Equatable {
        /// AUTHORIZATION; `user` after a successful `USER`.
        case authorization(user: String?)
        /// AUTH sent without an initial response: the next line is the SASL response (or `*`).
        case awaitingSASL(Mechanism)
        /// Waiting for the driver's answer to an `.authenticate…` or `.openMaildrop` effect.
        case authenticating(method: String)
        case transaction(Transaction)
        /// QUIT in TRANSACTION: the deletions are being applied, then the connection closes.
        case update
        case closed
    }

    public enum Effect: Sendable, Equatable {
        case send(POP3Response)
        /// A journal event (`auth.failed` with `reason`, ...).
        case record(JournalEvent.Name, [String: String])
        /// The `+OK` for STLS has been sent: put TLS in front and discard buffered plaintext.
        case startTLS
        case authenticateXOAUTH2(XOAUTH2Credentials)
        case authenticateBasic(user: String, password: String)
        /// Lock the mailbox's Inbox for this session and answer with `maildropOpened`.
        case openMaildrop(mailbox: String)
        /// UPDATE: remove these Inbox UIDs from the store.
        case expunge(mailbox: String, uids: [UInt32])
        /// Release the maildrop lock.
        case releaseMaildrop(mailbox: String)
        case close
    }

    public let configuration: Configuration
    public private(set) var state: State = .authorization(user: nil)
    public private(set) var tlsActive: Bool
    /// The principal behind a pending grant (between `authenticated` and `maildropOpened`).
    private var pendingGrant: MailGrant?

    public init(configuration: Configuration, tlsActive: Bool) {
        self.configuration = configuration
        self.tlsActive = tlsActive
    }

    /// True while the next line is a SASL response, not a command.
    public var isAwaitingSASL: Bool {
        if case .awaitingSASL = state { return true }
        return false
    }

    public var greeting: POP3Response { .ok(POP3Texts.greeting(serverName: configuration.serverName)) }

    /// The CAPA list: Exchange Online's (`TOP`, `UIDL`, `SASL PLAIN XOAUTH2`, `USER`; no `PIPELINING`, so
    /// Jakarta Mail does not pipeline during SASL), plus `STLS` on a plain listener before TLS.
    public var capabilities: [String] {
        var lines = ["TOP", "UIDL", "SASL PLAIN XOAUTH2", "USER"]
        if configuration.offersSTLS && !tlsActive { lines.append("STLS") }
        return lines
    }

    // MARK: Input

    public mutating func received(_ frame: POP3Frame) -> [Effect] {
        switch frame {
        case .lineTooLong(let length):
            var effects: [Effect] = [.record(.commandTooLong, ["length": String(length)])]
            if case .awaitingSASL = state { state = .authorization(user: nil) }
            effects.append(.send(.err(POP3Texts.lineTooLong(limit: Limits.pop3MaximumLineLength))))
            return effects
        case .authenticateLineTooLong(let length):
            var effects: [Effect] = [.record(.commandTooLong, ["length": String(length), "sasl": "true"])]
            if case .awaitingSASL(let mechanism) = state {
                state = .authorization(user: nil)
                effects = [
                    .record(
                        .authFailed,
                        [
                            "reason": MailAuthFailure.malformedSASL.rawValue, "method": mechanism.rawValue,
                            "detail":
                                "SASL response of \(length) bytes is over Limits.pop3MaximumAuthenticateLineLength",
                        ])
                ]
            }
            effects.append(
                .send(.err(POP3Texts.authenticateLineTooLong(limit: Limits.pop3MaximumAuthenticateLineLength))))
            return effects
        case .line(let bytes):
            if case .awaitingSASL(let mechanism) = state {
                return saslResponse(POP3SASLResponse.parse(bytes), mechanism: mechanism)
            }
            switch POP3CommandParser.parse(bytes) {
            case .failure(let error):
                return [.record(.commandInvalid, ["problem": error.explanation]), .send(.err(POP3Texts.protocolError))]
            case .success(let command):
                return received(command)
            }
        }
    }

    public mutating func received(_ command: POP3Command) -> [Effect] {
        switch state {
        case .closed, .update, .authenticating:
            return []
        case .awaitingSASL(let mechanism):
            // Only reachable when a caller bypasses the frame path; treat the command as the response.
            return saslResponse(.response(command.description), mechanism: mechanism)
        case .authorization(let user):
            return authorization(command, user: user)
        case .transaction(let transaction):
            return self.transaction(command, transaction)
        }
    }

    // MARK: AUTHORIZATION

    private mutating func authorization(_ command: POP3Command, user: String?) -> [Effect] {
        switch command {
        case .capa:
            return [.send(.multiline("", lines: capabilities))]
        case .noop:
            return [.send(.ok(""))]
        case .quit:
            state = .closed
            return [.send(.ok(POP3Texts.signingOff)), .close]
        case .stls:
            guard configuration.offersSTLS, !tlsActive else { return [.send(.err(POP3Texts.invalidState))] }
            tlsActive = true
            return [.send(.ok(POP3Texts.beginTLS)), .startTLS, .record(.tlsStarted, [:])]
        case .user(let name):
            state = .authorization(user: name)
            return [.send(.ok(""))]
        case .pass(let password):
            guard let user else { return [.send(.err(POP3Texts.invalidState))] }
            state = .authorization(user: nil)
            guard configuration.basicAuth else {
                return [
                    .record(
                        .authFailed,
                        ["reason": MailAuthFailure.basicAuthDisabled.rawValue, "method": "USER", "user": user]),
                    .send(.err(POP3Texts.logonFailure)),
                ]
            }
            state = .authenticating(method: "USER")
            return [.authenticateBasic(user: user, password: password)]
        case .auth(let mechanism, let initialResponse):
            state = .authorization(user: nil)
            guard let name = mechanism else { return [.send(.err(POP3Texts.protocolError))] }
            guard let mechanism = Mechanism(rawValue: name) else {
                return [
                    .record(.authFailed, ["reason": "unknown_mechanism", "method": name]),
                    .send(.err(POP3Texts.unknownMechanism)),
                ]
            }
            guard let initialResponse else {
                state = .awaitingSASL(mechanism)
                return [.send(.challenge(""))]
            }
            if mechanism == .xoauth2, configuration.xoauth2InitialResponse == .protocolError {
                return [
                    .record(
                        .commandInvalid,
                        [
                            "problem":
                                "one-line AUTH XOAUTH2 with an initial response (exchange.pop3_xoauth2_initial_response)"
                        ]),
                    .send(.err(POP3Texts.protocolError)),
                ]
            }
            // RFC 5034: "=" is an empty initial response.
            return saslResponse(.response(initialResponse == "=" ? "" : initialResponse), mechanism: mechanism)
        case .stat, .list, .uidl, .retr, .top, .dele, .rset:
            return [.send(.err(POP3Texts.invalidState))]
        }
    }

    private mutating func saslResponse(_ response: POP3SASLResponse, mechanism: Mechanism) -> [Effect] {
        switch response {
        case .cancel:
            state = .authorization(user: nil)
            return [
                .record(.authCanceled, ["method": mechanism.rawValue]), .send(.err(POP3Texts.authenticationCanceled)),
            ]
        case .response(let text):
            switch mechanism {
            case .xoauth2:
                switch XOAUTH2Credentials.parse(base64: text) {
                case .success(let credentials):
                    state = .authenticating(method: "XOAUTH2")
                    return [.authenticateXOAUTH2(credentials)]
                case .failure(let error):
                    state = .authorization(user: nil)
                    let reason: MailAuthFailure = error == .missingBearer ? .missingBearer : .malformedSASL
                    return [
                        .record(
                            .authFailed, ["reason": reason.rawValue, "method": "XOAUTH2", "detail": error.rawValue]),
                        .send(.err(POP3Texts.authenticationFailure)),
                    ]
                }
            case .plain:
                let plain: SASLPlain
                switch SASLPlain.parse(base64: text) {
                case .success(let parsed):
                    plain = parsed
                case .failure(let failure):
                    state = .authorization(user: nil)
                    return [
                        .record(
                            .authFailed,
                            [
                                "reason": MailAuthFailure.malformedSASL.rawValue, "method": "PLAIN",
                                "detail": failure.rawValue,
                            ]),
                        .send(.err(POP3Texts.authenticationFailure)),
                    ]
                }
                let user = plain.user
                guard configuration.basicAuth else {
                    state = .authorization(user: nil)
                    return [
                        .record(
                            .authFailed,
                            ["reason": MailAuthFailure.basicAuthDisabled.rawValue, "method": "PLAIN", "user": user]),
                        .send(.err(POP3Texts.authenticationFailure)),
                    ]
                }
                state = .authenticating(method: "PLAIN")
                return [.authenticateBasic(user: user, password: plain.password)]
            }
        }
    }

    /// The driver's answer to `.authenticateXOAUTH2` / `.authenticateBasic`.
    public mutating func authenticated(_ decision: MailAccessDecision) -> [Effect] {
        guard case .authenticating(let method) = state else { return [] }
        let failureLine = method == "USER" ? POP3Texts.logonFailure : POP3Texts.authenticationFailure
        switch decision {
        case .granted(let grant):
            pendingGrant = grant
            return [.openMaildrop(mailbox: grant.mailbox)]
        case .rejected(let reason, let detail):
            state = .authorization(user: nil)
            return [
                .record(.authFailed, ["reason": reason.rawValue, "method": method, "detail": detail]),
                .send(.err(failureLine)),
            ]
        case .authenticatedNotConnected(let reason, let detail):
            // POP3 has no "authenticated but not connected" state: exomock answers like a failed login
            // (UNCONFIRMED for Exchange Online) and journals the reason.
            state = .authorization(user: nil)
            return [
                .record(
                    .authFailed,
                    [
                        "reason": reason.rawValue, "method": method, "detail": detail,
                        "note": "authenticated_not_connected",
                    ]
                ),
                .send(.err(failureLine)),
            ]
        }
    }

    /// The driver's answer to `.openMaildrop`.
    public mutating func maildropOpened(_ result: Result<MaildropSnapshot, MaildropOpenFailure>) -> [Effect] {
        guard case .authenticating(let method) = state, let grant = pendingGrant else { return [] }
        pendingGrant = nil
        switch result {
        case .success(let snapshot):
            state = .transaction(
                Transaction(mailbox: grant.mailbox, clientID: grant.clientID, snapshot: snapshot, deleted: []))
            return [
                .record(
                    .authSucceeded,
                    [
                        "method": method, "mailbox": grant.mailbox, "principal": grant.principal,
                        "messages": String(snapshot.messages.count),
                    ]
                ),
                .send(.ok(POP3Texts.authenticated)),
            ]
        case .failure(.locked(let holder)):
            state = .authorization(user: nil)
            return [
                .record(
                    .authFailed,
                    [
                        "reason": MailAuthFailure.tooManySessions.rawValue, "method": method, "mailbox": grant.mailbox,
                        "detail": "maildrop locked by \(holder)",
                    ]),
                .send(.err(POP3Texts.maildropLocked)),
            ]
        case .failure(.tooManySessions(let limit)):
            state = .authorization(user: nil)
            return [
                .record(
                    .authFailed,
                    [
                        "reason": MailAuthFailure.tooManySessions.rawValue, "method": method, "mailbox": grant.mailbox,
                        "detail":
                            "more than \(limit) POP3 sessions on the mailbox (exchange.pop3_sessions_per_mailbox)",
                    ]),
                .send(.err(POP3Texts.authenticationFailure)),
            ]
        case .failure(.mailboxNotFound(let mailbox)):
            state = .authorization(user: nil)
            return [
                .record(
                    .authFailed,
                    ["reason": MailAuthFailure.mailboxNotFound.rawValue, "method": method, "mailbox": mailbox]),
                .send(.err(POP3Texts.authenticationFailure)),
            ]
        }
    }

    // MARK: TRANSACTION

    private mutating func transaction(_ command: POP3Command, _ current: Transaction) -> [Effect] {
        var t = current
        let messages = t.snapshot.messages
        /// The message `n`, or the -ERR to send.
        func message(_ n: Int) -> Lookup {
            guard n >= 1, n <= messages.count else { return .refused(.err(POP3Texts.outOfRange)) }
            guard !t.deleted.contains(n) else { return .refused(.err(POP3Texts.alreadyDeleted)) }
            return .found(messages[n - 1])
        }
        /// Indices of the messages not marked deleted: worked out for STAT, LIST and UIDL only, not for
        /// every RETR (a pass over the whole maildrop per message, a few percent of a RETR loop).
        func liveIndices() -> [Int] { messages.indices.filter { !t.deleted.contains($0 + 1) } }

        switch command {
        case .capa:
            return [.send(.multiline("", lines: capabilities))]
        case .noop:
            return [.send(.ok(""))]
        case .stat:
            let live = liveIndices()
            let size = live.reduce(0) { $0 + messages[$1].size }
            return [.send(.ok("\(live.count) \(size)"))]
        case .list(nil):
            let live = liveIndices()
            let size = live.reduce(0) { $0 + messages[$1].size }
            return [
                .send(
                    .multiline(
                        "\(live.count) messages (\(size) octets)", lines: live.map { "\($0 + 1) \(messages[$0].size)" })
                )
            ]
        case .list(let n?):
            switch message(n) {
            case .found(let m): return [.send(.ok("\(n) \(m.size)"))]
            case .refused(let err): return [.send(err)]
            }
        case .uidl(nil):
            return [
                .send(.multiline("", lines: liveIndices().map { "\($0 + 1) \(t.snapshot.uniqueID(of: messages[$0]))" }))
            ]
        case .uidl(let n?):
            switch message(n) {
            case .found(let m): return [.send(.ok("\(n) \(t.snapshot.uniqueID(of: m))"))]
            case .refused(let err): return [.send(err)]
            }
        case .retr(let n):
            switch message(n) {
            case .found(let m): return [.send(.message("", content: m.content))]
            case .refused(let err): return [.send(err)]
            }
        case .top(let n, let lines):
            switch message(n) {
            case .found(let m):
                return [.send(.message("", content: POP3MessageText.top(of: m.content, bodyLines: lines)))]
            case .refused(let err): return [.send(err)]
            }
        case .dele(let n):
            switch message(n) {
            case .found:
                t.deleted.insert(n)
                state = .transaction(t)
                return [.send(.ok(""))]
            case .refused(let err): return [.send(err)]
            }
        case .rset:
            t.deleted = []
            state = .transaction(t)
            return [.send(.ok(""))]
        case .quit:
            state = .update
            let uids = t.deleted.sorted().map { messages[$0 - 1].uid }
            var effects: [Effect] = []
            if !uids.isEmpty {
                effects.append(.expunge(mailbox: t.mailbox, uids: uids))
            }
            effects += [
                .record(.pop3Update, ["mailbox": t.mailbox, "deleted": String(uids.count)]),
                .releaseMaildrop(mailbox: t.mailbox),
                .send(.ok(POP3Texts.signingOff)),
                .close,
            ]
            state = .closed
            return effects
        case .user, .pass, .auth, .stls:
            return [.send(.err(POP3Texts.invalidState))]
        }
    }

    // MARK: Endings without QUIT

    /// The connection closed (client drop, server shutdown): no UPDATE, deletion marks are lost.
    public mutating func connectionDropped() -> [Effect] {
        defer { state = .closed }
        if case .transaction(let t) = state {
            return [
                .record(.pop3Dropped, ["mailbox": t.mailbox, "discarded_deletions": String(t.deleted.count)]),
                .releaseMaildrop(mailbox: t.mailbox),
            ]
        }
        if case .authenticating = state, let grant = pendingGrant {
            pendingGrant = nil
            return [.releaseMaildrop(mailbox: grant.mailbox)]
        }
        return []
    }

    /// The idle timer fired: RFC 1939 autologout, which closes without entering UPDATE.
    public mutating func idleTimedOut(after seconds: Double) -> [Effect] {
        guard state != .closed else { return [] }
        let timeout: [Effect] = [.record(.sessionIdleTimeout, ["seconds": String(format: "%g", seconds)])]
        return timeout + connectionDropped() + [.close]
    }
}

/// A message number looked up in TRANSACTION: the message, or the `-ERR` to answer.
private enum Lookup {
    case found(MaildropMessage)
    case refused(POP3Response)
}
