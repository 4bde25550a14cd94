import Determinism
import Foundation
import MicrosoftClouds
import ScenarioModel

/// `grant_type=client_credentials`: app-only tokens with the app's consented roles.
extension TokenIssuer {
    func clientCredentials(scope: String?, app: App, tenant: TenantSelection) -> Result<TokenGrant, EntraError> {
        let scopes: ScopeSet
        switch parseScopes(scope, tenant: tenant, appOnly: true) {
        case .success(let s): scopes = s
        case .failure(let e): return .failure(e)
        }
        guard let home = homeTenant(of: app) else {
            return .failure(EntraError(.appNotFound, ["appid": app.clientID, "tenant": tenantLabel(tenant)]))
        }
        let tid: String = if case .tenant(let t) = tenant { t.id } else { home.id }
        let iat = nowSeconds
        let exp = iat + Int(scenario.lifetimes.accessToken)
        let roles = app.adminConsent ? app.applicationPermissions : []
        let claims = AccessTokenClaims(
            aud: scopes.audience, iss: cloud.v1Issuer(tenant: tid), iat: iat, nbf: iat, exp: exp,
            appDisplayName: app.name,
            appid: app.clientID, appidacr: "1", idtyp: "app",
            oid: ids.stableGUID(for: "sp:\(cloud.name.rawValue):\(app.clientID.lowercased())"), roles: roles,
            sub: ids.stableGUID(for: "sp:\(cloud.name.rawValue):\(app.clientID.lowercased())"), tid: tid,
            uti: Base64URL.encode(ids.bytes("uti", count: 16)))
        return .success(
            TokenGrant(
                accessToken: minter.mint(claims), refreshToken: nil, idToken: nil, scope: nil,
                resource: scopes.resource,
                expiresIn: exp - iat, notBefore: iat, expiresOn: exp, claims: claims))
    }
}
