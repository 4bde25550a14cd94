import Crypto
import Determinism
import ExomockLimits
import Foundation
import MicrosoftClouds
import ScenarioModel

/// Which token endpoint a request came to.
public enum TokenEndpointVersion: String, Sendable {
    /// `/{tenant}/oauth2/v2.0/token`: `scope=`, numbers as JSON numbers.
    case v2
    /// `/{tenant}/oauth2/token`: `resource=`, numbers as strings, `expires_on`, `not_before`, `resource`.
    case v1
}

/// A tenant segment, resolved.
public enum TenantSelection: Sendable, Equatable {
    /// A GUID or verified domain of a tenant in this cloud.
    case tenant(Tenant)
    /// `common` or `organizations`: the tenant comes from the user or the app.
    case multi(String)
}

/// A successful token grant, before it is written as JSON.
public struct TokenGrant: Sendable, Equatable {
    public var accessToken: String
    public var refreshToken: String?
    public var idToken: String?
    public var scope: String?
    public var resource: String
    public var expiresIn: Int
    public var notBefore: Int
    public var expiresOn: Int
    public var claims: AccessTokenClaims

    /// The token response body in Microsoft's order.
    public func json(_ version: TokenEndpointVersion) -> CanonicalJSON {
        var f = OrderedFields()
        f.add("token_type", "Bearer")
        switch version {
        case .v2:
            f.add("scope", scope)
            f.add("expires_in", expiresIn)
            f.add("ext_expires_in", expiresIn)
        case .v1:
            f.add("scope", scope)
            f.add("expires_in", String(expiresIn))
            f.add("ext_expires_in", String(expiresIn))
            f.add("expires_on", String(expiresOn))
            f.add("not_before", String(notBefore))
            f.add("resource", resource)
        }
        f.add("access_token", accessToken)
        f.add("refresh_token", refreshToken)
        f.add("id_token", idToken)
        return f.json
    }
}

/// What a scenario fault does to one request.
public enum FaultAction: Sendable, Equatable {
    case throttle(retryAfter: Int)
    case error(EntraError)
    case latency(seconds: Double)
    case disconnect
}

/// The token service's rules as values: tenant and client checks, scopes, every grant, device codes,
/// and the authorize decisions. No HTTP here; `EntraTokenService` turns requests into calls and results
/// into responses. Every id comes from `ids`, every instant from `clock`.
public struct TokenIssuer: Sendable {
    public let cloud: Cloud
    /// The served scenario, changes included (`POST /changes`).
    public let live: LiveScenario
    public let minter: TokenMinter
    public let state: IdentityState
    public let clock: VirtualClock
    public let ids: IdentifierSource

    /// Device-code polling interval, seconds (Microsoft: 5).
    public static let deviceCodeInterval = 5

    public init(cloud: Cloud, scenario: Scenario, key: CloudSigningKey, state: IdentityState, clock: VirtualClock, ids: IdentifierSource) {
        self.init(cloud: cloud, live: LiveScenario(scenario), key: key, state: state, clock: clock, ids: ids)
    }

    public init(cloud: Cloud, live: LiveScenario, key: CloudSigningKey, state: IdentityState, clock: VirtualClock, ids: IdentifierSource) {
        self.cloud = cloud
        self.live = live
        self.minter = TokenMinter(key: key)
        self.state = state
        self.clock = clock
        self.ids = ids
    }

    /// The scenario as it is now; read it once per decision that needs one consistent view.
    public var scenario: Scenario { live.current }

    var now: Date { clock.now() }
    var nowSeconds: Int { Int(now.timeIntervalSince1970.rounded(.down)) }

    // MARK: Faults

    /// The fault that applies to this request (`match` is compared with the grant type, or the endpoint
    /// name: `authorize`, `devicecode`), counting it.
    public func fault(matching name: String) -> FaultAction? {
        for (index, fault) in scenario.faults.enumerated() where fault.service == .token {
            if let c = fault.cloud, c != cloud.name { continue }
            if let m = fault.match, m != name, !(m == "device_code" && name == "urn:ietf:params:oauth:grant-type:device_code") { continue }
            let seen = state.countFaultMatch(index)
            guard seen >= fault.after else { continue }
            if let count = fault.count, seen >= fault.after + count { continue }
            switch fault.kind {
            case .throttle: return .throttle(retryAfter: Int((fault.seconds ?? 60).rounded(.up)))
            case .aadsts: return .error(EntraError(entry: AADSTSCatalogue.code(fault.code ?? 0)))
            case .latency: return .latency(seconds: fault.seconds ?? 0)
            case .disconnect: return .disconnect
            }
        }
        return nil
    }

    // MARK: Tenants and clients

    static func isGUID(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        return parts.map(\.count) == [8, 4, 4, 4, 12] && parts.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }

    static func isDNSName(_ text: String) -> Bool {
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2 && text.count <= 253
            && labels.allSatisfy { l in !l.isEmpty && l.count <= 63 && l.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") } }
    }

    /// Resolves the `{tenant}` path segment.
    /// `consumers` is for Microsoft accounts only: a known work-account app gets AADSTS9002331, anything
    /// else AADSTS90002.
    public func resolveTenant(_ segment: String, clientID: String? = nil) -> Result<TenantSelection, EntraError> {
        let lower = segment.lowercased()
        if lower == "common" || lower == "organizations" { return .success(.multi(lower)) }
        if lower == "consumers" {
            if let clientID, let app = scenario.app(clientID: clientID), scenario.tenant(app.tenant)?.cloud == cloud.name {
                return .failure(EntraError(.consumersNotSupported, ["appid": app.clientID, "name": app.name]))
            }
            return .failure(EntraError(.tenantNotFound, ["tenant": "consumers"]))
        }
        guard Self.isGUID(lower) || Self.isDNSName(lower) else {
            return .failure(EntraError(.tenantMalformed, ["tenant": segment]))
        }
        guard let tenant = scenario.tenant(lower), tenant.cloud == cloud.name else {
            return .failure(EntraError(.tenantNotFound, ["tenant": segment]))
        }
        return .success(.tenant(tenant))
    }

    func tenantLabel(_ selection: TenantSelection) -> String {
        switch selection {
        case .tenant(let t): t.id
        case .multi(let m): m
        }
    }

    /// The app a client id names, if it is registered in this cloud and (for a tenant segment) in that tenant.
    public func resolveApp(clientID: String?, tenant: TenantSelection, consumers: Bool = false) -> Result<App, EntraError> {
        guard let clientID, !clientID.isEmpty else { return .failure(EntraError(.missingParameter, ["parameter": "client_id"])) }
        guard let app = scenario.app(clientID: clientID), let home = scenario.tenant(app.tenant), home.cloud == cloud.name else {
            return .failure(EntraError(.appNotFound, ["appid": clientID, "tenant": tenantLabel(tenant)]))
        }
        if case .tenant(let t) = tenant, t.id.lowercased() != home.id.lowercased() {
            return .failure(EntraError(.appNotFound, ["appid": clientID, "tenant": t.id]))
        }
        return .success(app)
    }

    func homeTenant(of app: App) -> Tenant? { scenario.tenant(app.tenant) }

    /// Client authentication: `client_secret` in the body or HTTP Basic.
    public func authenticateClient(_ app: App, secret: String?) -> EntraError? {
        switch app.kind {
        case .public:
            return secret == nil ? nil : EntraError(.publicClientWithSecret)
        case .confidential:
            guard let secret else { return EntraError(.missingClientSecret) }
            guard let match = app.secrets.first(where: { $0.value == secret }) else {
                return EntraError(.invalidClientSecret, ["appid": app.clientID])
            }
            if let expires = match.expires, expires <= now {
                return EntraError(.expiredClientSecret, ["appid": app.clientID])
            }
            return nil
        }
    }

    // MARK: Scopes

    static let oidcScopes: Set<String> = ["openid", "profile", "email", "offline_access"]

    static func normalise(_ resource: String) -> String {
        var r = resource.lowercased()
        while r.hasSuffix("/") { r.removeLast() }
        return r
    }

    /// Parses a v2 `scope` (or a v1 `resource`) into one resource and its permissions.
    public func parseScopes(_ raw: String?, tenant: TenantSelection, appOnly: Bool = false) -> Result<ScopeSet, EntraError> {
        guard let raw, !raw.trimmingCharacters(in: .whitespaces).isEmpty else {
            return .failure(EntraError(.missingParameter, ["parameter": "scope"]))
        }
        var oidc: [String] = []
        var resource: String?
        var permissions: [String] = []
        for item in raw.split(whereSeparator: { $0 == " " || $0 == "+" }).map(String.init) {
            if Self.oidcScopes.contains(item.lowercased()) {
                if !oidc.contains(item.lowercased()) { oidc.append(item.lowercased()) }
                continue
            }
            let itemResource: String
            let permission: String
            if let schemeEnd = item.range(of: "://") {
                guard let slash = item.range(of: "/", options: .backwards), slash.lowerBound > schemeEnd.upperBound else {
                    return .failure(EntraError(.invalidScope, ["scope": item]))
                }
                itemResource = String(item[..<slash.lowerBound])
                permission = String(item[slash.upperBound...])
            } else if item.contains("/") {
                return .failure(EntraError(.invalidScope, ["scope": item]))
            } else {
                // A bare permission resolves to Microsoft Graph, as on Microsoft's service.
                itemResource = "https://\(cloud.graphHost)"
                permission = item
            }
            if let resource, Self.normalise(resource) != Self.normalise(itemResource) {
                return .failure(EntraError(.multipleResources, ["scope": item]))
            }
            resource = itemResource
            if permission.isEmpty { return .failure(EntraError(.invalidScope, ["scope": item])) }
            permissions.append(permission)
        }
        guard let resource else {
            if appOnly { return .failure(EntraError(.clientCredentialsNeedDefault, ["scope": raw])) }
            // OIDC scopes only: Microsoft answers with a Graph token for User.Read.
            return .success(ScopeSet(resource: "https://\(cloud.graphHost)", audience: "https://\(cloud.graphHost)", permissions: ["User.Read"], oidc: oidc))
        }
        let key = Self.normalise(resource)
        let audience: String
        if cloud.outlookResources.map(Self.normalise).contains(key) {
            audience = appOnly ? cloud.appAudience : cloud.delegatedAudience
            for p in permissions where p != ".default" {
                let known = appOnly ? App.knownApplicationPermissions : App.knownDelegatedPermissions
                if !known.contains(p) { return .failure(EntraError(.invalidScope, ["scope": "\(resource)/\(p)"])) }
            }
        } else if key == Self.normalise("https://\(cloud.graphHost)") {
            audience = "https://\(cloud.graphHost)"
        } else if Cloud.all.contains(where: { ($0.outlookResources + ["https://\($0.graphHost)"]).map(Self.normalise).contains(key) })
        {
            // Another cloud's Outlook or Graph: that resource principal does not exist in this cloud's tenants.
            return .failure(EntraError(.resourceNotFound, ["resource": resource, "tenant": tenantName(tenant)]))
        } else {
            return .failure(EntraError(.invalidScope, ["scope": raw]))
        }
        if appOnly, permissions != [".default"] {
            return .failure(EntraError(.clientCredentialsNeedDefault, ["scope": raw]))
        }
        return .success(ScopeSet(resource: resource, audience: audience, permissions: permissions, oidc: oidc))
    }

    func tenantName(_ selection: TenantSelection) -> String {
        switch selection {
        case .tenant(let t): t.domains.first ?? t.id
        case .multi(let m): m
        }
    }

    /// Expands `.default` and checks that the app may ask for each permission and that the user (or an
    /// administrator) consented.
    func grantDelegated(_ scopes: ScopeSet, app: App, user: User) -> Result<ScopeSet, EntraError> {
        var granted = scopes
        if scopes.permissions == [".default"] {
            granted.permissions = app.delegatedPermissions.filter { !Self.oidcScopes.contains($0.lowercased()) }
        } else if scopes.resource != "https://\(cloud.graphHost)" || scopes.permissions != ["User.Read"] {
            for p in scopes.permissions where !app.delegatedPermissions.contains(p) {
                return .failure(EntraError(.consentMissing, ["appid": app.clientID, "name": app.name]))
            }
        }
        guard hasConsent(app: app, user: user) else {
            return .failure(EntraError(.consentMissing, ["appid": app.clientID, "name": app.name]))
        }
        return .success(granted)
    }

    public func hasConsent(app: App, user: User) -> Bool {
        app.adminConsent || user.consentedApps.contains { $0.lowercased() == app.clientID.lowercased() }
            || state.hasConsent(upn: user.upn, clientID: app.clientID)
    }

    // MARK: Users

    /// The user's state checks every delegated grant makes (disabled, Conditional Access, tenant).
    func checkUser(_ user: User, tenant: TenantSelection) -> EntraError? {
        if case .tenant(let t) = tenant, scenario.tenant(forAddress: user.upn)?.id.lowercased() != t.id.lowercased() {
            return EntraError(.userNotFound, ["EmailHidden": user.upn, "tenant": t.id])
        }
        guard let home = scenario.tenant(forAddress: user.upn), home.cloud == cloud.name else {
            return EntraError(.userNotFound, ["EmailHidden": user.upn, "tenant": tenantLabel(tenant)])
        }
        if !user.enabled { return EntraError(.userDisabled) }
        if user.blockedByConditionalAccess { return EntraError(.conditionalAccessBlocked) }
        return nil
    }

    // MARK: Minting

    func opaque(_ stream: String, prefix: String) -> String {
        prefix + Base64URL.encode(ids.bytes(stream, count: 48))
    }

    /// Mints the tokens of a delegated grant and stores a new refresh token when `offline_access` was asked.
    func issueDelegated(app: App, user: User, scopes: ScopeSet, nonce: String?, authTime: Date?, amr: [String]) -> TokenGrant {
        let tid = scenario.tenant(forAddress: user.upn)?.id ?? ""
        let oid = ids.stableGUID(for: "oid:\(cloud.name.rawValue):\(user.upn.lowercased())")
        let iat = nowSeconds
        let exp = iat + Int(scenario.lifetimes.accessToken)
        let claims = AccessTokenClaims(
            aud: scopes.audience, iss: cloud.v1Issuer(tenant: tid), iat: iat, nbf: iat, exp: exp, acr: "1", amr: amr,
            appDisplayName: app.name, appid: app.clientID, appidacr: app.kind == .public ? "0" : "1", name: user.displayName.isEmpty ? nil : user.displayName,
            oid: oid, scp: scopes.permissions, sub: ids.stableGUID(for: "sub:\(cloud.name.rawValue):\(app.clientID.lowercased()):\(user.upn.lowercased())"),
            tid: tid, uniqueName: user.upn, upn: user.upn, uti: Base64URL.encode(ids.bytes("uti", count: 16))
        )
        var refresh: String?
        if scopes.oidc.contains("offline_access") {
            let token = opaque("refresh-token", prefix: "1.A")
            state.storeRefreshToken(RefreshTokenRecord(
                token: token, clientID: app.clientID, upn: user.upn, tenantID: tid, cloud: cloud.name, scopes: scopes,
                issuedAt: now, authTime: authTime ?? now, lastUsed: now, revocationEpoch: state.revocationEpoch(upn: user.upn)))
            refresh = token
        }
        var idToken: String?
        if scopes.oidc.contains("openid") {
            idToken = minter.mintIDToken(IDTokenClaims(
                aud: app.clientID, iss: cloud.v2Issuer(tenant: tid), iat: iat, nbf: iat, exp: iat + Int(scenario.lifetimes.idToken),
                name: user.displayName.isEmpty ? nil : user.displayName, nonce: nonce, oid: oid, preferredUsername: user.upn,
                sub: claims.sub, tid: tid, uti: Base64URL.encode(ids.bytes("uti", count: 16))))
        }
        return TokenGrant(
            accessToken: minter.mint(claims), refreshToken: refresh, idToken: idToken, scope: scopes.responseScope,
            resource: scopes.resource, expiresIn: exp - iat, notBefore: iat, expiresOn: exp, claims: claims)
    }

    // MARK: Token endpoint

    /// One token request. `form` holds the body parameters; `basicAuth` the HTTP Basic client id and secret.
    public func token(form: [String: String], tenantSegment: String, basicAuth: (id: String, secret: String)? = nil, version: TokenEndpointVersion = .v2)
        -> Result<TokenGrant, EntraError>
    {
        let tenant: TenantSelection
        switch resolveTenant(tenantSegment, clientID: form["client_id"] ?? basicAuth?.id) {
        case .success(let t): tenant = t
        case .failure(let e): return .failure(e)
        }
        guard let grantType = form["grant_type"], !grantType.isEmpty else {
            return .failure(EntraError(.missingParameter, ["parameter": "grant_type"]))
        }
        let clientID = form["client_id"] ?? basicAuth?.id
        let app: App
        switch resolveApp(clientID: clientID, tenant: tenant) {
        case .success(let a): app = a
        case .failure(let e): return .failure(e)
        }
        let secret = form["client_secret"] ?? basicAuth?.secret
        // v1: `resource=` names the resource; the permissions are the app's (like `.default`).
        var scopeParameter = form["scope"]
        if version == .v1, let resource = form["resource"] {
            scopeParameter = "\(resource)/.default" + (scopeParameter.map { " " + $0 } ?? "")
        }
        switch grantType {
        case "authorization_code":
            if let e = authenticateClient(app, secret: secret) { return .failure(e) }
            return redeemCode(form: form, app: app, tenant: tenant)
        case "refresh_token":
            if let e = authenticateClient(app, secret: secret) { return .failure(e) }
            return refresh(form: form, scope: scopeParameter, app: app, tenant: tenant)
        case "client_credentials":
            if app.kind == .public { return .failure(EntraError(.missingClientSecret)) }
            if let e = authenticateClient(app, secret: secret) { return .failure(e) }
            return clientCredentials(scope: scopeParameter, app: app, tenant: tenant)
        case "password":
            if let e = authenticateClient(app, secret: secret) { return .failure(e) }
            return password(form: form, scope: scopeParameter, app: app, tenant: tenant)
        case "urn:ietf:params:oauth:grant-type:device_code", "device_code":
            if app.kind == .confidential, secret != nil, let e = authenticateClient(app, secret: secret) { return .failure(e) }
            return pollDeviceCode(form: form, app: app)
        default:
            return .failure(EntraError(.unsupportedGrantType, ["grant_type": grantType]))
        }
    }

    func redeemCode(form: [String: String], app: App, tenant: TenantSelection) -> Result<TokenGrant, EntraError> {
        guard let code = form["code"], !code.isEmpty else { return .failure(EntraError(.missingParameter, ["parameter": "code"])) }
        guard let redirect = form["redirect_uri"], !redirect.isEmpty else {
            return .failure(EntraError(.missingParameter, ["parameter": "redirect_uri"]))
        }
        let record: AuthorizationCodeRecord
        switch state.redeemCode(code) {
        case .unknown: return .failure(EntraError(.malformedGrant))
        case .alreadyRedeemed: return .failure(EntraError(.codeRedeemed))
        case .found(let r): record = r
        }
        if record.clientID.lowercased() != app.clientID.lowercased() { return .failure(EntraError(.grantMismatch)) }
        if now.timeIntervalSince(record.issuedAt) >= scenario.lifetimes.authorizationCode { return .failure(EntraError(.codeExpired)) }
        if record.redirectURI != redirect {
            return .failure(EntraError(.redirectURIMismatch, ["redirect_uri": redirect, "appid": app.clientID]))
        }
        if let challenge = record.codeChallenge {
            guard let verifier = form["code_verifier"], Self.pkce(verifier: verifier, method: record.codeChallengeMethod) == challenge else {
                return .failure(EntraError(.pkceMismatch))
            }
        }
        guard let user = scenario.user(record.upn) else { return .failure(EntraError(.malformedGrant)) }
        if let e = checkUser(user, tenant: tenant) { return .failure(e) }
        return .success(issueDelegated(app: app, user: user, scopes: record.scopes, nonce: record.nonce, authTime: record.issuedAt, amr: amr(user)))
    }

    func amr(_ user: User) -> [String] { user.mfa ? ["pwd", "mfa"] : ["pwd"] }

    /// The PKCE transform: `S256` is base64url(SHA-256(verifier)), `plain` the verifier itself.
    public static func pkce(verifier: String, method: String?) -> String {
        switch method?.uppercased() {
        case "S256": Base64URL.encode(Data(SHA256.hash(data: Data(verifier.utf8))))
        default: verifier
        }
    }

    /// `.NET TimeSpan` text Microsoft writes in AADSTS700082: `90.00:00:00`.
    static func timeSpan(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.down))
        let d = total / 86_400, h = (total % 86_400) / 3_600, m = (total % 3_600) / 60, s = total % 60
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return (d > 0 ? "\(d)." : "") + "\(two(h)):\(two(m)):\(two(s))"
    }

    /// `2020-02-26T21:52:54.0000000Z`, the instant format of AADSTS700082.
    static func dotNetInstant(_ date: Date) -> String {
        let plain = Timestamps.rfc3339(date)
        return plain.hasSuffix("Z") ? String(plain.dropLast()) + ".0000000Z" : plain
    }

    func refresh(form: [String: String], scope: String?, app: App, tenant: TenantSelection) -> Result<TokenGrant, EntraError> {
        guard let token = form["refresh_token"], !token.isEmpty else {
            return .failure(EntraError(.missingParameter, ["parameter": "refresh_token"]))
        }
        guard let record = state.refreshToken(token), record.cloud == cloud.name else { return .failure(EntraError(.malformedGrant)) }
        if record.clientID.lowercased() != app.clientID.lowercased() { return .failure(EntraError(.grantMismatch)) }
        if let validFrom = state.tokensValidFrom(upn: record.upn),
            record.authTime < validFrom || record.revocationEpoch < state.revocationEpoch(upn: record.upn)
        {
            return .failure(EntraError(.refreshTokenRevoked, [
                "issued": Timestamps.microsoftErrorTimestamp(record.authTime), "valid_from": Timestamps.microsoftErrorTimestamp(validFrom),
            ]))
        }
        let inactive = now.timeIntervalSince(record.lastUsed)
        if inactive >= scenario.lifetimes.refreshTokenInactivity {
            return .failure(EntraError(.refreshTokenInactive, [
                "issued": Self.dotNetInstant(record.issuedAt), "inactive": Self.timeSpan(scenario.lifetimes.refreshTokenInactivity),
            ]))
        }
        if let maxAge = scenario.lifetimes.refreshTokenMaxAge, now.timeIntervalSince(record.authTime) >= maxAge {
            return .failure(EntraError(.refreshTokenMaxAge, ["issued": Self.dotNetInstant(record.authTime), "max_age": String(Int(maxAge))]))
        }
        guard let user = scenario.user(record.upn) else { return .failure(EntraError(.malformedGrant)) }
        if let e = checkUser(user, tenant: tenant) { return .failure(e) }
        var scopes = record.scopes
        if let scope, !scope.isEmpty {
            switch parseScopes(scope, tenant: tenant) {
            case .failure(let e): return .failure(e)
            case .success(let asked):
                switch grantDelegated(asked, app: app, user: user) {
                case .failure(let e): return .failure(e)
                case .success(let g): scopes = g
                }
                if !scopes.oidc.contains("offline_access") { scopes.oidc.append("offline_access") }
            }
        }
        state.touchRefreshToken(token, at: now)
        return .success(issueDelegated(app: app, user: user, scopes: scopes, nonce: nil, authTime: record.authTime, amr: amr(user)))
    }

    func clientCredentials(scope: String?, app: App, tenant: TenantSelection) -> Result<TokenGrant, EntraError> {
        let scopes: ScopeSet
        switch parseScopes(scope, tenant: tenant, appOnly: true) {
        case .success(let s): scopes = s
        case .failure(let e): return .failure(e)
        }
        guard let home = homeTenant(of: app) else { return .failure(EntraError(.appNotFound, ["appid": app.clientID, "tenant": tenantLabel(tenant)])) }
        let tid: String = if case .tenant(let t) = tenant { t.id } else { home.id }
        let iat = nowSeconds
        let exp = iat + Int(scenario.lifetimes.accessToken)
        let roles = app.adminConsent ? app.applicationPermissions : []
        let claims = AccessTokenClaims(
            aud: scopes.audience, iss: cloud.v1Issuer(tenant: tid), iat: iat, nbf: iat, exp: exp, appDisplayName: app.name,
            appid: app.clientID, appidacr: "1", idtyp: "app",
            oid: ids.stableGUID(for: "sp:\(cloud.name.rawValue):\(app.clientID.lowercased())"), roles: roles,
            sub: ids.stableGUID(for: "sp:\(cloud.name.rawValue):\(app.clientID.lowercased())"), tid: tid,
            uti: Base64URL.encode(ids.bytes("uti", count: 16)))
        return .success(TokenGrant(
            accessToken: minter.mint(claims), refreshToken: nil, idToken: nil, scope: nil, resource: scopes.resource,
            expiresIn: exp - iat, notBefore: iat, expiresOn: exp, claims: claims))
    }

    func password(form: [String: String], scope: String?, app: App, tenant: TenantSelection) -> Result<TokenGrant, EntraError> {
        guard let username = form["username"], !username.isEmpty else { return .failure(EntraError(.missingParameter, ["parameter": "username"])) }
        guard let password = form["password"] else { return .failure(EntraError(.missingParameter, ["parameter": "password"])) }
        let scopes: ScopeSet
        switch parseScopes(scope, tenant: tenant) {
        case .success(let s): scopes = s
        case .failure(let e): return .failure(e)
        }
        guard let user = scenario.user(username) else {
            return .failure(EntraError(.userNotFound, ["EmailHidden": username, "tenant": tenantLabel(tenant)]))
        }
        if let e = checkUser(user, tenant: tenant) { return .failure(e) }
        guard user.password == password else { return .failure(EntraError(.badPassword)) }
        if user.mfa { return .failure(EntraError(.mfaRequired, ["resource": scopes.resource])) }
        switch grantDelegated(scopes, app: app, user: user) {
        case .failure(let e): return .failure(e)
        case .success(let granted):
            return .success(issueDelegated(app: app, user: user, scopes: granted, nonce: nil, authTime: now, amr: ["pwd"]))
        }
    }

    // MARK: Device code

    /// `POST /devicecode`: the device code response, in Microsoft's order.
    public func startDeviceCode(form: [String: String], tenantSegment: String) -> Result<CanonicalJSON, EntraError> {
        let tenant: TenantSelection
        switch resolveTenant(tenantSegment, clientID: form["client_id"]) {
        case .success(let t): tenant = t
        case .failure(let e): return .failure(e)
        }
        let app: App
        switch resolveApp(clientID: form["client_id"], tenant: tenant) {
        case .success(let a): app = a
        case .failure(let e): return .failure(e)
        }
        let scopes: ScopeSet
        switch parseScopes(form["scope"], tenant: tenant) {
        case .success(let s): scopes = s
        case .failure(let e): return .failure(e)
        }
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        let userCode = String(ids.bytes("user-code", count: 9).map { alphabet[Int($0) % alphabet.count] })
        let deviceCode = opaque("device-code", prefix: "DAQABAAEAAAD")
        let lifetime = Int(scenario.lifetimes.deviceCode)
        state.storeDeviceCode(DeviceCodeRecord(
            deviceCode: deviceCode, userCode: userCode, clientID: app.clientID, tenantSegment: tenantSegment, scopes: scopes,
            issuedAt: now, expiresAt: now.addingTimeInterval(Double(lifetime)), lastPoll: nil, status: .pending))
        var f = OrderedFields()
        f.add("user_code", userCode)
        f.add("device_code", deviceCode)
        f.add("verification_uri", cloud.deviceLoginURL)
        f.add("expires_in", lifetime)
        f.add("interval", Self.deviceCodeInterval)
        f.add("message", "To sign in, use a web browser to open the page \(cloud.deviceLoginURL) and enter the code \(userCode) to authenticate.")
        return .success(f.json)
    }

    func pollDeviceCode(form: [String: String], app: App) -> Result<TokenGrant, EntraError> {
        guard let deviceCode = form["device_code"], !deviceCode.isEmpty else {
            return .failure(EntraError(.missingParameter, ["parameter": "device_code"]))
        }
        guard let record = state.pollDeviceCode(deviceCode, at: now), record.clientID.lowercased() == app.clientID.lowercased() else {
            return .failure(EntraError(.deviceCodeUnknown))
        }
        if now >= record.expiresAt { return .failure(EntraError(.deviceExpired)) }
        switch record.status {
        case .redeemed: return .failure(EntraError(.codeRedeemed))
        case .declined: return .failure(EntraError(.deviceDeclined))
        case .pending:
            if let last = record.lastPoll, now.timeIntervalSince(last) < Double(Self.deviceCodeInterval) {
                return .failure(EntraError(.deviceSlowDown))
            }
            return .failure(EntraError(.devicePending))
        case .approved(let upn):
            guard let user = scenario.user(upn) else { return .failure(EntraError(.deviceCodeUnknown)) }
            let tenant: TenantSelection = (try? resolveTenant(record.tenantSegment).get()) ?? .multi("organizations")
            if let e = checkUser(user, tenant: tenant) { return .failure(e) }
            switch grantDelegated(record.scopes, app: app, user: user) {
            case .failure(let e): return .failure(e)
            case .success(let granted):
                return .success(issueDelegated(app: app, user: user, scopes: granted, nonce: nil, authTime: now, amr: amr(user)))
            }
        }
    }
}
