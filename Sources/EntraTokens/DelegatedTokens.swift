import Determinism
import Foundation
import MicrosoftClouds
import ScenarioModel

/// Minting the tokens of a delegated grant (access, refresh, ID token).
extension TokenIssuer {
    // MARK: Minting

    func opaque(_ stream: String, prefix: String) -> String {
        prefix + Base64URL.encode(ids.bytes(stream, count: 48))
    }

    /// Mints the tokens of a delegated grant and stores a new refresh token when `offline_access` was asked.
    func issueDelegated(app: App, user: User, scopes: ScopeSet, nonce: String?, authTime: Date?, amr: [String])
        -> TokenGrant
    {
        let tid = scenario.tenant(forAddress: user.upn)?.id ?? ""
        let oid = ids.stableGUID(for: "oid:\(cloud.name.rawValue):\(user.upn.lowercased())")
        let iat = nowSeconds
        let exp = iat + Int(scenario.lifetimes.accessToken)
        let claims = AccessTokenClaims(
            aud: scopes.audience, iss: cloud.v1Issuer(tenant: tid), iat: iat, nbf: iat, exp: exp, acr: "1", amr: amr,
            appDisplayName: app.name, appid: app.clientID, appidacr: app.kind == .confidential ? "1" : "0",
            name: user.displayName.isEmpty ? nil : user.displayName,
            oid: oid, scp: scopes.permissions,
            sub: ids.stableGUID(
                for: "sub:\(cloud.name.rawValue):\(app.clientID.lowercased()):\(user.upn.lowercased())"),
            tid: tid, uniqueName: user.upn, upn: user.upn, uti: Base64URL.encode(ids.bytes("uti", count: 16))
        )
        var refresh: String?
        if scopes.oidc.contains("offline_access") {
            let token = opaque("refresh-token", prefix: "1.A")
            state.storeRefreshToken(
                RefreshTokenRecord(
                    token: token, clientID: app.clientID, upn: user.upn, tenantID: tid, cloud: cloud.name,
                    scopes: scopes,
                    issuedAt: now, authTime: authTime ?? now, lastUsed: now,
                    revocationEpoch: state.revocationEpoch(upn: user.upn)))
            refresh = token
        }
        var idToken: String?
        if scopes.oidc.contains("openid") {
            idToken = minter.mintIDToken(
                IDTokenClaims(
                    aud: app.clientID, iss: cloud.v2Issuer(tenant: tid), iat: iat, nbf: iat,
                    exp: iat + Int(scenario.lifetimes.idToken),
                    name: user.displayName.isEmpty ? nil : user.displayName, nonce: nonce, oid: oid,
                    preferredUsername: user.upn,
                    sub: claims.sub, tid: tid, uti: Base64URL.encode(ids.bytes("uti", count: 16))))
        }
        return TokenGrant(
            accessToken: minter.mint(claims), refreshToken: refresh, idToken: idToken, scope: scopes.responseScope,
            resource: scopes.resource, expiresIn: exp - iat, notBefore: iat, expiresOn: exp, claims: claims)
    }
}
