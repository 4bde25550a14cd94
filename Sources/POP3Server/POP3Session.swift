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
    public internal(set) var state: State = .authorization(user: nil)
    public internal(set) var tlsActive: Bool
    /// The principal behind a pending grant (between `authenticated` and `maildropOpened`).
    var pendingGrant: MailGrant?

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
}
