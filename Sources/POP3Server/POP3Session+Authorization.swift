import ExomockLimits
import Foundation
import Journal
import MailAuthentication
import MailStore
import POP3Wire
import ScenarioModel

extension POP3Session {
    // MARK: AUTHORIZATION

    mutating func authorization(_ command: POP3Command, user: String?) -> [Effect] {
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

    mutating func saslResponse(_ response: POP3SASLResponse, mechanism: Mechanism) -> [Effect] {
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
}
