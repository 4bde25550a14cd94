import EntraTokens
import MicrosoftClouds
import ScenarioModel

/// Exchange Online's login decision for one cloud, shared by IMAP, POP3 and SMTP submission.
///
/// Order of checks, each a distinct `MailAuthFailure` in the journal:
/// 1. the token itself (signature with this cloud's key, issuer, audience, `nbf`/`exp` on the
///    virtual clock) — failures reject the login (`NO AUTHENTICATE failed.`);
/// 2. the permission for the protocol (`scp` has `IMAP.AccessAsUser.All` / `POP.AccessAsUser.All` /
///    `SMTP.Send`, or `roles` has `IMAP.AccessAsApp` / `POP.AccessAsApp` / `SMTP.SendAsApp`) — rejects the login;
/// 3. the mailbox named by `user=`: exists in this cloud, the token's principal may open it
///    (its own, FullAccess, or the app's service principal granted on it; for SMTP also Send As), the
///    protocol is enabled (for SMTP: SMTP AUTH not off for the mailbox or its tenant) — failures let
///    AUTHENTICATE succeed and leave an IMAP session "authenticated but not connected", as Exchange
///    Online does; SMTP answers them with `535` at AUTH.
public struct ExchangeAuthenticator: MailAuthenticating {
    public let cloud: Cloud
    /// The served scenario, changes included: each login reads it once (`Set-CASMailbox`, FullAccess
    /// and password changes apply to the next login, not to sessions already connected).
    let live: LiveScenario
    let verifier: AccessTokenVerifier
    /// Tokens `verifier` accepted (shared by copies of this value).
    let verified = VerifiedTokens()

    public init(cloud: Cloud, scenario: Scenario, verifier: AccessTokenVerifier) {
        self.init(cloud: cloud, live: LiveScenario(scenario), verifier: verifier)
    }

    public init(cloud: Cloud, live: LiveScenario, verifier: AccessTokenVerifier) {
        self.cloud = cloud
        self.live = live
        self.verifier = verifier
    }

    /// The mailbox with this address in this cloud, as `snapshot` has it.
    static func mailbox(_ address: String, in snapshot: LiveSnapshot, cloud: Cloud) -> Mailbox? {
        guard let mailbox = snapshot.mailbox(address: address),
            snapshot.scenario.tenant(forAddress: mailbox.address)?.cloud == cloud.name
        else { return nil }
        return mailbox
    }

    public func authenticate(_ credentials: XOAUTH2Credentials, service: MailService) -> MailAccessDecision {
        let claims: AccessTokenClaims
        switch verified.verify(credentials.token, with: verifier) {
        case .failure(let rejection):
            let failure: MailAuthFailure =
                switch rejection {
                case .malformed: .tokenMalformed
                case .signatureInvalid: .signatureInvalid
                case .wrongIssuer: .wrongIssuer
                case .wrongAudience: .wrongAudience
                case .expired: .tokenExpired
                case .notYetValid: .tokenNotYetValid
                }
            return .rejected(failure, detail: "token rejected: \(rejection.rawValue)")
        case .success(let verified):
            claims = verified
        }

        let appOnly = claims.upn == nil && !claims.roles.isEmpty
        if appOnly {
            guard claims.roles.contains(service.applicationPermission) else {
                return .rejected(
                    .missingPermission, detail: "roles \(claims.roles) lack \(service.applicationPermission)")
            }
        } else {
            guard claims.scp.contains(service.delegatedPermission) else {
                return .rejected(.missingPermission, detail: "scp \(claims.scp) lacks \(service.delegatedPermission)")
            }
        }

        let snapshot = live.snapshot
        let scenario = snapshot.scenario
        guard let mailbox = Self.mailbox(credentials.user, in: snapshot, cloud: cloud) else {
            return .authenticatedNotConnected(
                .mailboxNotFound, detail: "no mailbox \(credentials.user) in \(cloud.name.rawValue)")
        }
        if let tenant = scenario.tenant(forAddress: mailbox.address), tenant.id.lowercased() != claims.tid.lowercased()
        {
            return .authenticatedNotConnected(
                .noMailboxAccess, detail: "token tenant \(claims.tid) is not the mailbox's tenant \(tenant.id)")
        }
        let principal: String
        if appOnly {
            principal = claims.appid
            let fullAccess = snapshot.hasFullAccess(claims.appid, on: mailbox.address)
            // SMTP: Send As on the mailbox also lets the app authenticate as it.
            let granted =
                fullAccess || (service == .smtp && scenario.hasSendAs(trustee: claims.appid, on: mailbox.address))
            guard granted else {
                return .authenticatedNotConnected(
                    .noMailboxAccess,
                    detail: "service principal of \(claims.appid) has no FullAccess on \(mailbox.address)")
            }
        } else {
            let upn = claims.upn ?? claims.uniqueName ?? ""
            principal = upn
            let own = upn.lowercased() == mailbox.address.lowercased()
            let fullAccess = snapshot.hasFullAccess(upn, on: mailbox.address)
            let sendAs = service == .smtp && scenario.hasSendAs(trustee: upn, on: mailbox.address)
            guard own || fullAccess || sendAs else {
                return .authenticatedNotConnected(
                    .noMailboxAccess, detail: "\(upn) has no FullAccess on \(mailbox.address)")
            }
        }
        if let refusal = Self.protocolRefusal(service, mailbox: mailbox, scenario: scenario) { return refusal }
        return .granted(
            MailGrant(mailbox: mailbox.address, principal: principal, appOnly: appOnly, clientID: claims.appid))
    }

    public func authenticateBasic(user: String, password: String, service: MailService) -> MailAccessDecision {
        let snapshot = live.snapshot
        let scenario = snapshot.scenario
        guard scenario.exchange.basicAuth else {
            return .rejected(.basicAuthDisabled, detail: "basic authentication is off (scenario exchange.basic_auth)")
        }
        guard let account = scenario.user(user), account.password == password, account.enabled else {
            return .rejected(.badPassword, detail: "unknown user or bad password for \(user)")
        }
        guard let mailbox = Self.mailbox(account.upn, in: snapshot, cloud: cloud) else {
            return .authenticatedNotConnected(
                .mailboxNotFound, detail: "\(account.upn) has no mailbox in \(cloud.name.rawValue)")
        }
        if let refusal = Self.protocolRefusal(service, mailbox: mailbox, scenario: scenario) { return refusal }
        return .granted(MailGrant(mailbox: mailbox.address, principal: account.upn, appOnly: false))
    }

    /// `Set-CASMailbox -ImapEnabled/-PopEnabled $false`, or SMTP AUTH off for the mailbox or its tenant.
    static func protocolRefusal(_ service: MailService, mailbox: Mailbox, scenario: Scenario) -> MailAccessDecision? {
        switch service {
        case .imap, .pop3:
            let enabled = service == .imap ? mailbox.imapEnabled : mailbox.popEnabled
            guard enabled else {
                return .authenticatedNotConnected(
                    .protocolDisabled, detail: "\(service.rawValue) is disabled on \(mailbox.address)")
            }
            return nil
        case .smtp:
            switch scenario.smtpClientAuthentication(for: mailbox) {
            case .enabled: return nil
            case .disabledForTenant:
                return .authenticatedNotConnected(
                    .smtpAuthDisabledForTenant,
                    detail: "SmtpClientAuthenticationDisabled is true for the tenant of \(mailbox.address)")
            case .disabledForMailbox:
                return .authenticatedNotConnected(
                    .smtpAuthDisabledForMailbox,
                    detail: "SmtpClientAuthenticationDisabled is true on \(mailbox.address)")
            }
        }
    }

    /// SMTP `MAIL FROM`: the authenticated mailbox itself, or one its principal (the token's user, or
    /// the app) has Send As on.
    public func maySend(as address: String, grant: MailGrant) -> Bool {
        if address.lowercased() == grant.mailbox.lowercased() { return true }
        let scenario = live.snapshot.scenario
        return scenario.hasSendAs(trustee: grant.principal, on: address)
    }
}
