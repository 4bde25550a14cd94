import Crypto
import Determinism
import Foundation
import MicrosoftClouds
import ScenarioModel

/// `grant_type=authorization_code`: redeeming a code from `/authorize`, with PKCE.
extension TokenIssuer {
    func redeemCode(form: [String: String], app: App, tenant: TenantSelection) -> Result<TokenGrant, EntraError> {
        guard let code = form["code"], !code.isEmpty else {
            return .failure(EntraError(.missingParameter, ["parameter": "code"]))
        }
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
        if now.timeIntervalSince(record.issuedAt) >= scenario.lifetimes.authorizationCode {
            return .failure(EntraError(.codeExpired))
        }
        if record.redirectURI != redirect {
            return .failure(EntraError(.redirectURIMismatch, ["redirect_uri": redirect, "appid": app.clientID]))
        }
        if let challenge = record.codeChallenge {
            guard let verifier = form["code_verifier"],
                Self.pkce(verifier: verifier, method: record.codeChallengeMethod) == challenge
            else {
                return .failure(EntraError(.pkceMismatch))
            }
        }
        guard let user = scenario.user(record.upn) else { return .failure(EntraError(.malformedGrant)) }
        if let e = checkUser(user, tenant: tenant, app: app) { return .failure(e) }
        return .success(
            issueDelegated(
                app: app, user: user, scopes: record.scopes, nonce: record.nonce, authTime: record.issuedAt,
                amr: amr(user)))
    }

    /// The PKCE transform: `S256` is base64url(SHA-256(verifier)), `plain` the verifier itself.
    public static func pkce(verifier: String, method: String?) -> String {
        switch method?.uppercased() {
        case "S256": Base64URL.encode(Data(SHA256.hash(data: Data(verifier.utf8))))
        default: verifier
        }
    }
}
