import Determinism
import Foundation
import MicrosoftClouds
import ScenarioModel

/// `grant_type=refresh_token`: revocation, inactivity and maximum age, then new tokens.
extension TokenIssuer {
    /// A single-page app's refresh tokens live this long from sign-in, however used (Microsoft: 24 hours, fixed).
    static let spaRefreshTokenLifetime: Double = 86_400

    /// `.NET TimeSpan` text Microsoft writes in AADSTS700082: `90.00:00:00`.
    static func timeSpan(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.down))
        let d = total / 86_400
        let h = (total % 86_400) / 3_600
        let m = (total % 3_600) / 60
        let s = total % 60
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return (d > 0 ? "\(d)." : "") + "\(two(h)):\(two(m)):\(two(s))"
    }

    /// `2020-02-26T21:52:54.0000000Z`, the instant format of AADSTS700082.
    static func dotNetInstant(_ date: Date) -> String {
        let plain = Timestamps.rfc3339(date)
        return plain.hasSuffix("Z") ? String(plain.dropLast()) + ".0000000Z" : plain
    }

    func refresh(form: [String: String], scope: String?, app: App, tenant: TenantSelection) -> Result<
        TokenGrant, EntraError
    > {
        guard let token = form["refresh_token"], !token.isEmpty else {
            return .failure(EntraError(.missingParameter, ["parameter": "refresh_token"]))
        }
        guard let record = state.refreshToken(token), record.cloud == cloud.name else {
            return .failure(EntraError(.malformedGrant))
        }
        if record.clientID.lowercased() != app.clientID.lowercased() { return .failure(EntraError(.grantMismatch)) }
        if let revoked = state.revocation(of: record, confidentialClient: app.kind == .confidential) {
            return .failure(
                EntraError(
                    .refreshTokenRevoked,
                    [
                        "issued": Timestamps.microsoftErrorTimestamp(record.authTime),
                        "valid_from": Timestamps.microsoftErrorTimestamp(revoked.validFrom),
                    ]))
        }
        let inactive = now.timeIntervalSince(record.lastUsed)
        if inactive >= scenario.lifetimes.refreshTokenInactivity {
            return .failure(
                EntraError(
                    .refreshTokenInactive,
                    [
                        "issued": Self.dotNetInstant(record.issuedAt),
                        "inactive": Self.timeSpan(scenario.lifetimes.refreshTokenInactivity),
                    ]))
        }
        if app.kind == .spa, now.timeIntervalSince(record.authTime) >= Self.spaRefreshTokenLifetime {
            return .failure(
                EntraError(
                    .refreshTokenSPAExpired,
                    [
                        "lifetime": Self.timeSpan(Self.spaRefreshTokenLifetime),
                        "issued": Self.dotNetInstant(record.authTime),
                    ]))
        }
        guard let user = scenario.user(record.upn) else { return .failure(EntraError(.malformedGrant)) }
        if let maxAge = scenario.signInFrequency(user: user, app: app), now.timeIntervalSince(record.authTime) >= maxAge
        {
            return .failure(
                EntraError(
                    .refreshTokenMaxAge,
                    ["issued": Self.dotNetInstant(record.authTime), "max_age": String(Int(maxAge.rounded()))]))
        }
        if let e = checkUser(user, tenant: tenant, app: app, nonInteractiveResource: record.scopes.resource) {
            return .failure(e)
        }
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
        return .success(
            issueDelegated(app: app, user: user, scopes: scopes, nonce: nil, authTime: record.authTime, amr: amr(user)))
    }
}
