import Foundation
import MicrosoftClouds

/// The SASL XOAUTH2 initial response: `base64("user=" + user + "\\x01auth=Bearer " + token + "\\x01\\x01")`.
public struct XOAUTH2Credentials: Sendable, Equatable {
    /// The mailbox to open (the SASL `user=`).
    public var user: String
    /// The bearer token, as sent.
    public var token: String

    public init(user: String, token: String) {
        self.user = user
        self.token = token
    }

    /// Why a SASL string is not an XOAUTH2 initial response.
    public enum ParseError: String, Error, Sendable, Equatable {
        /// Not valid base64.
        case invalidBase64 = "invalid base64"
        /// No `user=` field.
        case missingUser = "missing user="
        /// No `auth=Bearer <token>` field.
        case missingBearer = "missing auth=Bearer"
    }

    /// Decodes a base64 initial response. Accepts padding or none, and the trailing `\\x01\\x01`
    /// or a single `\\x01` as clients send them.
    public static func parse(base64 text: String) -> Result<XOAUTH2Credentials, ParseError> {
        var text = text
        return text.withUTF8 { parse(base64Bytes: $0) }
    }

    /// Parses the decoded form `user=...\\x01auth=Bearer ...\\x01\\x01`.
    public static func parse(decoded: String) -> Result<XOAUTH2Credentials, ParseError> {
        var user: String?
        var token: String?
        for field in decoded.split(separator: "\u{01}", omittingEmptySubsequences: true) {
            if field.hasPrefix("user=") {
                user = String(field.dropFirst(5))
            } else if field.hasPrefix("auth=") {
                let value = field.dropFirst(5)
                let parts = value.split(separator: " ", maxSplits: 1)
                if parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty {
                    token = String(parts[1])
                }
            }
        }
        guard let user, !user.isEmpty else { return .failure(.missingUser) }
        guard let token else { return .failure(.missingBearer) }
        return .success(XOAUTH2Credentials(user: user, token: token))
    }

    /// The base64 initial response a client would send.
    public var initialResponse: String {
        Data("user=\(user)\u{01}auth=Bearer \(token)\u{01}\u{01}".utf8).base64EncodedString()
    }
}

/// Why a mail login did not lead to an open mailbox. Each is a distinct reason in the journal.
public enum MailAuthFailure: String, Sendable, Equatable, CaseIterable {
    case malformedSASL = "malformed_sasl"
    case missingBearer = "missing_bearer"
    case tokenMalformed = "token_malformed"
    case signatureInvalid = "signature_invalid"
    case wrongIssuer = "wrong_issuer"
    case wrongAudience = "wrong_audience"
    case tokenExpired = "token_expired"
    case tokenNotYetValid = "token_not_yet_valid"
    case missingPermission = "missing_permission"
    case mailboxNotFound = "mailbox_not_found"
    case noMailboxAccess = "no_mailbox_access"
    case protocolDisabled = "protocol_disabled"
    case basicAuthDisabled = "basic_auth_disabled"
    case badPassword = "bad_password"
    case tooManySessions = "too_many_sessions"
    /// SMTP AUTH off for the mailbox's tenant (`Set-TransportConfig -SmtpClientAuthenticationDisabled`).
    case smtpAuthDisabledForTenant = "smtp_auth_disabled_tenant"
    /// SMTP AUTH off for the mailbox (`Set-CASMailbox -SmtpClientAuthenticationDisabled`).
    case smtpAuthDisabledForMailbox = "smtp_auth_disabled_mailbox"
}

/// A login that opened a mailbox.
public struct MailGrant: Sendable, Equatable {
    /// The mailbox address (the SASL `user=`, normalised to its declared spelling).
    public var mailbox: String
    /// Who logged in: a UPN for delegated tokens, the app's client id for app-only ones.
    public var principal: String
    /// True for app-only (client credentials) tokens.
    public var appOnly: Bool
    /// The token's `appid` (the application that obtained it; what a fault's `client_id` matches); nil for
    /// a password login.
    public var clientID: String?

    public init(mailbox: String, principal: String, appOnly: Bool, clientID: String? = nil) {
        self.mailbox = mailbox
        self.principal = principal
        self.appOnly = appOnly
        self.clientID = clientID
    }
}

/// What the server does with a login, the way Exchange Online does it.
public enum MailAccessDecision: Sendable, Equatable {
    /// `OK AUTHENTICATE completed.` / `+OK User successfully authenticated.`; the mailbox is open.
    case granted(MailGrant)
    /// The login itself fails (`NO AUTHENTICATE failed.`, `-ERR Authentication failure: ...`).
    case rejected(MailAuthFailure, detail: String)
    /// The login succeeds on the wire but no mailbox is connected: Exchange answers the next
    /// mailbox command with `BAD User is authenticated but not connected.` (IMAP).
    case authenticatedNotConnected(MailAuthFailure, detail: String)
}

/// Decides mail logins for one cloud's IMAP and POP3 servers. Both protocols call the same
/// implementation, so a token is judged the same way on either.
public protocol MailAuthenticating: Sendable {
    /// SASL XOAUTH2: checks the token against this cloud's keys, issuer, audience, the virtual clock,
    /// the permission for `service`, and the mailbox named by `user=`.
    func authenticate(_ credentials: XOAUTH2Credentials, service: MailService) -> MailAccessDecision
    /// LOGIN / AUTHENTICATE PLAIN / USER+PASS. Rejected with `.basicAuthDisabled` unless the
    /// scenario turns basic authentication on.
    func authenticateBasic(user: String, password: String, service: MailService) -> MailAccessDecision
    /// SMTP `MAIL FROM`: may the login behind `grant` send as `address`? (Send As, `Add-RecipientPermission`.)
    func maySend(as address: String, grant: MailGrant) -> Bool
}

extension MailAuthenticating {
    /// Only the authenticated mailbox itself (test doubles that know no Send As permissions).
    public func maySend(as address: String, grant: MailGrant) -> Bool {
        address.lowercased() == grant.mailbox.lowercased()
    }
}
