import Foundation
import IMAPWire
import MailAuthentication

// Not authenticated: STARTTLS, AUTHENTICATE (XOAUTH2, PLAIN), LOGIN; then the token check and the
// session slot, both asked of the driver.
extension IMAPSessionStateMachine {
    mutating func executeNotAuthenticated(_ tag: String, _ command: IMAPCommand) -> [Action] {
        switch command {
        case .startTLS:
            if tlsActive { return Self.answer([.bad(tag, IMAPTexts.invalidState)]) }
            tlsActive = true
            return Self.answer(
                [.ok(tag, IMAPTexts.beginTLS)], after: .startTLS, notes: [IMAPJournalNote(.tlsStarted)])
        case .authenticate(let mechanism, let initial):
            guard tlsActive else {
                return Self.answer(
                    [.bad(tag, IMAPTexts.invalidState)],
                    notes: [
                        IMAPJournalNote(
                            .authFailed, ["reason": "tls_required", "detail": "AUTHENTICATE before STARTTLS"])
                    ])
            }
            guard mechanism == "XOAUTH2" || mechanism == "PLAIN" else {
                return Self.answer(
                    [.no(tag, IMAPTexts.unsupportedMechanism)],
                    notes: [IMAPJournalNote(.authFailed, ["reason": "unsupported_mechanism", "mechanism": mechanism])])
            }
            guard let initial else {
                state = .awaitingSASL(tag: tag, mechanism: mechanism)
                return Self.answer([.continuation("")])
            }
            return authenticate(tag: tag, mechanism: mechanism, response: initial)
        case .login(let user, let password):
            guard tlsActive else {
                return Self.answer(
                    [.no(tag, IMAPTexts.loginFailed)],
                    notes: [
                        IMAPJournalNote(
                            .authFailed, ["reason": "tls_required", "detail": "LOGIN before STARTTLS (LOGINDISABLED)"])
                    ])
            }
            pending = .authentication(Login(tag: tag, command: "LOGIN", user: user))
            return [.authenticateBasic(user: user, password: password)]
        default:
            return Self.answer([.bad(tag, IMAPTexts.invalidState)])
        }
    }

    /// A SASL response (initial or after `+`): parsed here, checked by the driver.
    mutating func authenticate(tag: String, mechanism: String, response: String) -> [Action] {
        if mechanism == "PLAIN" {
            switch SASLPlain.parse(base64: response) {
            case .failure(let failure):
                return malformedPlain(tag, detail: failure.rawValue)
            case .success(let plain):
                pending = .authentication(Login(tag: tag, command: "AUTHENTICATE", user: plain.user))
                return [.authenticateBasic(user: plain.user, password: plain.password)]
            }
        }
        switch XOAUTH2Credentials.parse(base64: response) {
        case .failure(let error):
            let reason: MailAuthFailure = error == .missingBearer ? .missingBearer : .malformedSASL
            return Self.answer(
                [.no(tag, IMAPTexts.authenticateFailed)],
                notes: [
                    IMAPJournalNote(
                        .authFailed, ["reason": reason.rawValue, "mechanism": "XOAUTH2", "detail": error.rawValue])
                ])
        case .success(let credentials):
            pending = .authentication(Login(tag: tag, command: "AUTHENTICATE", user: credentials.user))
            return [.authenticateXOAUTH2(credentials)]
        }
    }

    func malformedPlain(_ tag: String, detail: String) -> [Action] {
        Self.answer(
            [.no(tag, IMAPTexts.authenticateFailed)],
            notes: [
                IMAPJournalNote(
                    .authFailed,
                    ["reason": MailAuthFailure.malformedSASL.rawValue, "mechanism": "PLAIN", "detail": detail])
            ])
    }

    /// The driver's answer to `.authenticateXOAUTH2` / `.authenticateBasic`. A grant still needs a
    /// session slot (`.acquireSlot`); a refusal or "not connected" answers the command now.
    public mutating func authenticated(_ decision: MailAccessDecision) -> [Action] {
        guard case .authentication(let login) = pending else { return [] }
        pending = nil
        switch decision {
        case .granted(let grant):
            pending = .slot(login, grant)
            return [.acquireSlot(mailbox: grant.mailbox)]
        case .rejected(let failure, let detail):
            return Self.answer(
                [.no(login.tag, login.failedText)],
                notes: [
                    IMAPJournalNote(
                        .authFailed,
                        ["reason": failure.rawValue, "detail": detail, "user": login.user, "command": login.command])
                ])
        case .authenticatedNotConnected(let failure, let detail):
            state = .authenticatedNotConnected(reason: failure)
            return Self.answer(
                [.ok(login.tag, login.completedText)],
                notes: [
                    IMAPJournalNote(
                        .authNotConnected,
                        ["reason": failure.rawValue, "detail": detail, "user": login.user, "command": login.command])
                ])
        }
    }

    /// The driver's answer to `.acquireSlot`: connected, or Exchange's "authenticated but not connected".
    public mutating func slotAnswered(_ answer: SlotAnswer) -> [Action] {
        guard case .slot(let login, let grant) = pending else { return [] }
        pending = nil
        switch answer {
        case .refused(let limit):
            state = .authenticatedNotConnected(reason: .tooManySessions)
            return Self.answer(
                [.ok(login.tag, login.completedText)],
                notes: [
                    IMAPJournalNote(
                        .authNotConnected,
                        [
                            "reason": MailAuthFailure.tooManySessions.rawValue, "mailbox": grant.mailbox,
                            "principal": grant.principal,
                            "detail":
                                "more than \(limit) IMAP sessions on the mailbox (exchange.imap_sessions_per_mailbox)",
                        ])
                ])
        case .acquired:
            countedMailbox = grant.mailbox
            clientID = grant.clientID
            state = .authenticated(mailbox: grant.mailbox)
            return Self.answer(
                [.ok(login.tag, login.completedText)],
                notes: [
                    IMAPJournalNote(
                        .authSucceeded,
                        [
                            "mailbox": grant.mailbox, "principal": grant.principal,
                            "app_only": grant.appOnly ? "true" : "false", "command": login.command,
                        ])
                ])
        }
    }
}
