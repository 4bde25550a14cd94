import ExomockLimits
import Foundation
import MicrosoftClouds
import ScenarioModel

/// Where an authorize request ends: back at the client (code or error), or on one of the login
/// pages, or on an error page when the redirect URI cannot be trusted.
public enum AuthorizeOutcome: Sendable, Equatable {
    /// Unknown tenant, unknown client, redirect URI mismatch: an HTML error page, never a redirect.
    case errorPage(EntraError)
    /// A code or an error sent to the client's redirect URI.
    case redirect(AuthorizeRedirect)
    /// The sign-in form; `problem` is the text shown above it after a failed attempt.
    case signIn(AuthorizeContext, loginHint: String?, problem: String?)
    /// The account picker with the browser session's accounts.
    case pickAccount(AuthorizeContext, accounts: [String])
    /// The consent prompt; its form posts `pendingID`.
    case consent(AuthorizeContext, pendingID: String, upn: String)
}

/// A validated authorize request.
public struct AuthorizeContext: Sendable, Equatable {
    public var tenantSegment: String
    /// The request's parameters, carried through the login pages as hidden fields.
    public var parameters: [String: String]
    public var appName: String
    public var clientID: String
    /// Permissions the consent page lists.
    public var scopes: ScopeSet
}

public struct AuthorizeRedirect: Sendable, Equatable {
    public enum Result: Sendable, Equatable {
        case code(String, sessionState: String)
        case error(EntraError)
    }
    public var redirectURI: String
    /// `query`, `fragment` or `form_post`.
    public var responseMode: String
    public var state: String?
    public var result: Result
}

extension TokenIssuer {
    /// An authorize request that ends before a user is chosen.
    struct Stop: Error {
        var outcome: AuthorizeOutcome
    }

    struct ValidatedAuthorize {
        var tenant: TenantSelection
        var app: App
        var redirectURI: String
        var responseMode: String
        var context: AuthorizeContext
    }

    func validateAuthorize(_ p: [String: String], tenantSegment: String) -> Result<ValidatedAuthorize, Stop> {
        let tenant: TenantSelection
        switch resolveTenant(tenantSegment, clientID: p["client_id"], requester: .signIn) {
        case .success(let t): tenant = t
        case .failure(let e): return .failure(Stop(outcome: .errorPage(e)))
        }
        let app: App
        switch resolveApp(clientID: p["client_id"], tenant: tenant) {
        case .success(let a): app = a
        case .failure(let e): return .failure(Stop(outcome: .errorPage(e)))
        }
        guard let redirect = p["redirect_uri"], app.redirectURIs.contains(redirect) else {
            return .failure(
                Stop(
                    outcome: .errorPage(
                        EntraError(
                            .redirectURIMismatch, ["redirect_uri": p["redirect_uri"] ?? "", "appid": app.clientID]))))
        }
        let mode = p["response_mode"] ?? "query"
        func fail(_ e: EntraError) -> Result<ValidatedAuthorize, Stop> {
            .failure(
                Stop(
                    outcome: .redirect(
                        AuthorizeRedirect(
                            redirectURI: redirect, responseMode: mode, state: p["state"], result: .error(e)))))
        }
        guard let responseType = p["response_type"], !responseType.isEmpty else {
            return fail(EntraError(.missingParameter, ["parameter": "response_type"]))
        }
        if responseType != "code" { return fail(EntraError(.unsupportedResponseType, ["response_type": responseType])) }
        if let method = p["code_challenge_method"], !["S256", "plain"].contains(method) {
            return fail(EntraError(.invalidCodeChallengeMethod))
        }
        let scopes: ScopeSet
        switch parseScopes(p["scope"], tenant: tenant) {
        case .success(let s): scopes = s
        case .failure(let e): return fail(e)
        }
        let context = AuthorizeContext(
            tenantSegment: tenantSegment, parameters: p, appName: app.name, clientID: app.clientID, scopes: scopes)
        return .success(
            ValidatedAuthorize(tenant: tenant, app: app, redirectURI: redirect, responseMode: mode, context: context))
    }

    func redirect(_ v: ValidatedAuthorize, _ result: AuthorizeRedirect.Result) -> AuthorizeOutcome {
        .redirect(
            AuthorizeRedirect(
                redirectURI: v.redirectURI, responseMode: v.responseMode, state: v.context.parameters["state"],
                result: result))
    }

    /// The users of the browser session who may sign in to this request (tenant, `domain_hint`, `login_hint`).
    func sessionCandidates(_ v: ValidatedAuthorize, applyLoginHint: Bool) -> [User] {
        let directory = directoryCloud(v.tenant)
        var users = state.ssoSessions.compactMap { scenario.user($0) }.filter {
            scenario.tenant(forAddress: $0.upn)?.cloud == directory
        }
        if case .tenant(let t) = v.tenant {
            users = users.filter { scenario.tenant(forAddress: $0.upn)?.id.lowercased() == t.id.lowercased() }
        }
        if let hint = v.context.parameters["domain_hint"]?.lowercased(), !hint.isEmpty, hint != "organizations" {
            users = users.filter { u in
                u.domain == hint
                    || (scenario.tenant(forAddress: u.upn)?.domains.contains { $0.lowercased() == hint } ?? false)
            }
        }
        if applyLoginHint, let hint = v.context.parameters["login_hint"]?.lowercased(), !hint.isEmpty {
            users = users.filter { $0.upn.lowercased() == hint }
        }
        return users
    }

    /// `GET /authorize`: decides from the browser session and `prompt`, `login_hint`, `domain_hint`.
    public func authorize(parameters p: [String: String], tenantSegment: String) -> AuthorizeOutcome {
        let v: ValidatedAuthorize
        switch validateAuthorize(p, tenantSegment: tenantSegment) {
        case .success(let x): v = x
        case .failure(let stop): return stop.outcome
        }
        let prompt = p["prompt"]?.lowercased()
        if prompt == "login" { return .signIn(v.context, loginHint: p["login_hint"], problem: nil) }
        if prompt == "select_account" {
            return .pickAccount(v.context, accounts: sessionCandidates(v, applyLoginHint: false).map(\.upn))
        }
        let candidates = sessionCandidates(v, applyLoginHint: true)
        switch candidates.count {
        case 1:
            return complete(v, user: candidates[0], forceConsent: prompt == "consent", silent: prompt == "none")
        case 0:
            if prompt == "none" { return redirect(v, .error(EntraError(.loginRequired))) }
            return .signIn(v.context, loginHint: p["login_hint"], problem: nil)
        default:
            if prompt == "none" { return redirect(v, .error(EntraError(.selectAccount))) }
            return .pickAccount(v.context, accounts: candidates.map(\.upn))
        }
    }

    /// The sign-in form posted: checks the password, signs the user in to the browser session, continues.
    public func authorizeSignIn(parameters p: [String: String], tenantSegment: String, login: String, password: String)
        -> AuthorizeOutcome
    {
        let v: ValidatedAuthorize
        switch validateAuthorize(p, tenantSegment: tenantSegment) {
        case .success(let x): v = x
        case .failure(let stop): return stop.outcome
        }
        guard let user = scenario.user(login), scenario.tenant(forAddress: user.upn)?.cloud == directoryCloud(v.tenant)
        else {
            return .signIn(
                v.context, loginHint: login,
                problem:
                    "This username may be incorrect. Make sure you typed it correctly. Otherwise, contact your admin.")
        }
        guard user.password == password else {
            return .signIn(
                v.context, loginHint: login,
                problem: "Your account or password is incorrect. If you don't remember your password, reset it now.")
        }
        state.addSSO(user.upn)
        return complete(v, user: user, forceConsent: p["prompt"]?.lowercased() == "consent", silent: false)
    }

    /// The account picker posted an account of the browser session.
    public func authorizePick(parameters p: [String: String], tenantSegment: String, account: String)
        -> AuthorizeOutcome
    {
        let v: ValidatedAuthorize
        switch validateAuthorize(p, tenantSegment: tenantSegment) {
        case .success(let x): v = x
        case .failure(let stop): return stop.outcome
        }
        guard
            let user = sessionCandidates(v, applyLoginHint: false).first(where: {
                $0.upn.lowercased() == account.lowercased()
            })
        else {
            return .signIn(v.context, loginHint: account, problem: nil)
        }
        return complete(v, user: user, forceConsent: p["prompt"]?.lowercased() == "consent", silent: false)
    }

    /// The consent page posted Accept (`accept == true`) or Cancel.
    public func authorizeConsent(pendingID: String, accept: Bool) -> AuthorizeOutcome? {
        guard let pending = state.takePendingConsent(pendingID) else { return nil }
        let v: ValidatedAuthorize
        switch validateAuthorize(pending.parameters, tenantSegment: pending.tenantSegment) {
        case .success(let x): v = x
        case .failure(let stop): return stop.outcome
        }
        guard accept else { return redirect(v, .error(EntraError(.consentDeclined))) }
        guard let user = scenario.user(pending.upn) else { return nil }
        state.grantConsent(upn: user.upn, clientID: v.app.clientID)
        return complete(v, user: user, forceConsent: false, silent: false)
    }

    func complete(_ v: ValidatedAuthorize, user: User, forceConsent: Bool, silent: Bool) -> AuthorizeOutcome {
        if let e = checkUser(user, tenant: v.tenant, app: v.app) {
            // Microsoft shows AADSTS50020 on its own page: the account cannot go back to the app at all.
            return e.entry.rule == .userNotInTenant ? .errorPage(e) : redirect(v, .error(e))
        }
        var scopes = v.context.scopes
        let consented = hasConsent(app: v.app, user: user)
        if !consented || forceConsent {
            if silent {
                return redirect(v, .error(EntraError(.consentMissing, ["appid": v.app.clientID, "name": v.app.name])))
            }
            let id = Base64URL.encode(ids.bytes("consent", count: 18))
            state.storePendingConsent(
                PendingConsent(
                    id: id, upn: user.upn, parameters: v.context.parameters, tenantSegment: v.context.tenantSegment))
            return .consent(v.context, pendingID: id, upn: user.upn)
        }
        switch grantDelegated(scopes, app: v.app, user: user) {
        case .failure(let e): return redirect(v, .error(e))
        case .success(let granted): scopes = granted
        }
        let code = opaque("authorization-code", prefix: "1.A")
        state.storeCode(
            AuthorizationCodeRecord(
                code: code, clientID: v.app.clientID, redirectURI: v.redirectURI, upn: user.upn,
                tenantID: scenario.tenant(forAddress: user.upn)?.id ?? "", scopes: scopes,
                nonce: v.context.parameters["nonce"],
                codeChallenge: v.context.parameters["code_challenge"],
                codeChallengeMethod: v.context.parameters["code_challenge"] == nil
                    ? nil : (v.context.parameters["code_challenge_method"] ?? "plain"),
                issuedAt: now))
        return redirect(v, .code(code, sessionState: ids.guid("session-state")))
    }

    /// Approves (or declines) a device code from the device-login page or the admin API. The user must
    /// exist in this cloud; returns the problem text otherwise.
    public func decideDeviceCode(userCode: String, upn: String?, password: String?) -> String? {
        guard let record = state.deviceCode(userCode: userCode), record.status == .pending, record.expiresAt > now
        else {
            return "That code didn't work. Check the code and try again."
        }
        guard let upn else {
            state.decideDeviceCode(userCode: userCode, approvedBy: nil)
            return nil
        }
        guard let user = scenario.user(upn), scenario.tenant(forAddress: user.upn)?.cloud == cloud.name else {
            return "This username may be incorrect. Make sure you typed it correctly. Otherwise, contact your admin."
        }
        if let password, password != user.password {
            return "Your account or password is incorrect. If you don't remember your password, reset it now."
        }
        // Approving on the device-login page includes the consent prompt's Accept.
        state.grantConsent(upn: user.upn, clientID: record.clientID)
        state.decideDeviceCode(userCode: userCode, approvedBy: user.upn)
        return nil
    }
}

/// Where the logout endpoint sends the browser once the session is cleared.
public enum LogoutRedirect: Sendable, Equatable {
    /// No `post_logout_redirect_uri`: the signed-out page.
    case none
    /// A redirect URI registered on the app the request names: the browser goes there.
    case registered(String)
    /// Not a registered redirect URI of the app named by `client_id` or `id_token_hint` (or no app named):
    /// the signed-out page, no redirect, as Entra does; `reason` goes to the journal.
    case refused(String, reason: String)
}

extension TokenIssuer {
    /// Checks `post_logout_redirect_uri` against the redirect URIs registered on the app named by
    /// `client_id` (or, without it, the `aud` of `id_token_hint`), so the logout endpoint never sends a
    /// browser to a URI nobody registered (`javascript:`, another site).
    public func logoutRedirect(parameters p: [String: String]) -> LogoutRedirect {
        guard let target = p["post_logout_redirect_uri"], !target.isEmpty else { return .none }
        let clientID = p["client_id"] ?? p["id_token_hint"].flatMap(Self.unverifiedAudience)
        guard let clientID, let app = scenario.app(clientID: clientID) else {
            return .refused(target, reason: "no_app_named")
        }
        guard app.redirectURIs.contains(target) else { return .refused(target, reason: "not_a_redirect_uri") }
        return .registered(target)
    }

    /// The `aud` of a JWT's payload, unverified: it only names the app whose registration is checked.
    static func unverifiedAudience(_ jwt: String) -> String? {
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1].count <= Limits.accessTokenMaximumLength else { return nil }
        var text = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        text += String(repeating: "=", count: (4 - text.count % 4) % 4)
        guard let data = Data(base64Encoded: text),
            let payload = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { return nil }
        return payload["aud"] as? String
    }
}
