import Foundation
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
