import Foundation
import MicrosoftClouds
import ScenarioModel

/// The token endpoint: resolves tenant and client, then hands the request to its grant.
extension TokenIssuer {
    // MARK: Token endpoint

    /// One token request. `form` holds the body parameters; `basicAuth` the HTTP Basic client id and secret;
    /// `endpointBase` the `https://host[:port]` the request came to (a client assertion's `aud` names it).
    public func token(
        form: [String: String], tenantSegment: String, basicAuth: (id: String, secret: String)? = nil,
        version: TokenEndpointVersion = .v2, endpointBase: String? = nil
    )
        -> Result<TokenGrant, EntraError>
    {
        let tenant: TenantSelection
        let sendsCredential = form["client_secret"] != nil || form["client_assertion"] != nil || basicAuth != nil
        let requester: TenantRequester = sendsCredential ? .confidentialClient : .publicClient
        switch resolveTenant(tenantSegment, clientID: form["client_id"] ?? basicAuth?.id, requester: requester) {
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
        let credentials = ClientCredentials(
            form: form, basicAuth: basicAuth, endpointBase: endpointBase, tenantSegment: tenantSegment)
        // v1: `resource=` names the resource; the permissions are the app's (like `.default`).
        var scopeParameter = form["scope"]
        if version == .v1, let resource = form["resource"] {
            scopeParameter = "\(resource)/.default" + (scopeParameter.map { " " + $0 } ?? "")
        }
        guard let grant = GrantType(parameter: grantType) else {
            return .failure(EntraError(.unsupportedGrantType, ["grant_type": grantType]))
        }
        if tenant == .multi("common"), grant == .clientCredentials || grant == .password {
            return .failure(EntraError(.grantNotOnCommon))
        }
        switch grant {
        case .authorizationCode:
            if let e = authenticateClient(app, credentials, tenant: tenant) { return .failure(e) }
            return redeemCode(form: form, app: app, tenant: tenant)
        case .refreshToken:
            if let e = authenticateClient(app, credentials, tenant: tenant) { return .failure(e) }
            return refresh(form: form, scope: scopeParameter, app: app, tenant: tenant)
        case .clientCredentials:
            if app.kind != .confidential { return .failure(EntraError(.missingClientSecret)) }
            if let e = authenticateClient(app, credentials, tenant: tenant) { return .failure(e) }
            return clientCredentials(scope: scopeParameter, app: app, tenant: tenant)
        case .password:
            if let e = authenticateClient(app, credentials, tenant: tenant) { return .failure(e) }
            return password(form: form, scope: scopeParameter, app: app, tenant: tenant)
        case .deviceCode:
            if app.kind == .confidential, credentials.presented,
                let e = authenticateClient(app, credentials, tenant: tenant)
            {
                return .failure(e)
            }
            return pollDeviceCode(form: form, app: app)
        }
    }
}
