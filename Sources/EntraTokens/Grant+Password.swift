import Foundation
import MicrosoftClouds
import ScenarioModel

/// `grant_type=password` (ROPC).
extension TokenIssuer {
    func password(form: [String: String], scope: String?, app: App, tenant: TenantSelection) -> Result<
        TokenGrant, EntraError
    > {
        guard let username = form["username"], !username.isEmpty else {
            return .failure(EntraError(.missingParameter, ["parameter": "username"]))
        }
        guard let password = form["password"] else {
            return .failure(EntraError(.missingParameter, ["parameter": "password"]))
        }
        let scopes: ScopeSet
        switch parseScopes(scope, tenant: tenant) {
        case .success(let s): scopes = s
        case .failure(let e): return .failure(e)
        }
        guard let user = scenario.user(username) else {
            return .failure(EntraError(.userNotFound, ["EmailHidden": username, "tenant": tenantLabel(tenant)]))
        }
        if let e = checkUser(user, tenant: tenant, app: app) { return .failure(e) }
        guard user.password == password else { return .failure(EntraError(.badPassword)) }
        if user.mfaRegistrationRequired {
            return .failure(EntraError(.mfaRegistrationRequired, ["resource": scopes.resource]))
        }
        if user.mfa { return .failure(EntraError(.mfaRequired, ["resource": scopes.resource])) }
        switch grantDelegated(scopes, app: app, user: user) {
        case .failure(let e): return .failure(e)
        case .success(let granted):
            return .success(
                issueDelegated(app: app, user: user, scopes: granted, nonce: nil, authTime: now, amr: ["pwd"]))
        }
    }
}
