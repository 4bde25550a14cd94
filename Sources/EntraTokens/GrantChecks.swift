import Foundation
import MicrosoftClouds
import ScenarioModel

/// Who asks for a tenant segment; it decides how a tenant of another cloud in the scenario is answered.
public enum TenantRequester: Sendable, Equatable {
    /// A token request without a client credential (and discovery): AADSTS90002, as for an unknown tenant.
    case publicClient
    /// A token request carrying `client_secret`, `client_assertion` or HTTP Basic: AADSTS900382.
    case confidentialClient
    /// `/authorize`: the sign-in goes ahead across clouds; the code is refused at the token endpoint.
    case signIn
}

/// Checks every grant shares: the tenant segment, the client and its credential, the user.
extension TokenIssuer {
    // MARK: Tenants and clients

    static func isGUID(_ text: String) -> Bool {
        // ASCII (every client id and tenant id on the hot path) by bytes; Character checks were 0.5 % of a grant.
        if text.utf8.count == 36, text.utf8.allSatisfy({ $0 < 0x80 }) {
            return text.utf8.enumerated().allSatisfy { i, b in
                i == 8 || i == 13 || i == 18 || i == 23
                    ? b == UInt8(ascii: "-")
                    : (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x66)
            }
        }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        return parts.map(\.count) == [8, 4, 4, 4, 12] && parts.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }

    static func isDNSName(_ text: String) -> Bool {
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2 && text.count <= 253
            && labels.allSatisfy { l in
                !l.isEmpty && l.count <= 63 && l.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
            }
    }

    /// Resolves the `{tenant}` path segment.
    /// `consumers` is for Microsoft accounts only: a known work-account app gets AADSTS9002331, anything
    /// else AADSTS90002. A tenant of another cloud: see `TenantRequester`.
    public func resolveTenant(_ segment: String, clientID: String? = nil, requester: TenantRequester = .publicClient)
        -> Result<TenantSelection, EntraError>
    {
        let lower = segment.lowercased()
        if lower == "common" || lower == "organizations" { return .success(.multi(lower)) }
        if lower == "consumers" {
            if let clientID, let app = scenario.app(clientID: clientID),
                scenario.tenant(app.tenant)?.cloud == cloud.name
            {
                return .failure(EntraError(.consumersNotSupported, ["appid": app.clientID, "name": app.name]))
            }
            return .failure(EntraError(.tenantNotFound, ["tenant": "consumers"]))
        }
        guard Self.isGUID(lower) || Self.isDNSName(lower) else {
            return .failure(EntraError(.tenantMalformed, ["tenant": segment]))
        }
        guard let tenant = scenario.tenant(lower) else {
            return .failure(EntraError(.tenantNotFound, ["tenant": segment]))
        }
        if tenant.cloud != cloud.name {
            switch requester {
            case .publicClient: return .failure(EntraError(.tenantNotFound, ["tenant": segment]))
            case .confidentialClient: return .failure(EntraError(.crossCloudConfidentialClient))
            case .signIn: break
            }
        }
        return .success(.tenant(tenant))
    }

    /// The cloud whose directory answers for `selection`: a tenant's own (another cloud's only for a
    /// cross-cloud sign-in), or this one for `common` and `organizations`.
    func directoryCloud(_ selection: TenantSelection) -> CloudName {
        if case .tenant(let t) = selection { return t.cloud }
        return cloud.name
    }

    func tenantLabel(_ selection: TenantSelection) -> String {
        switch selection {
        case .tenant(let t): t.id
        case .multi(let m): m
        }
    }

    /// The app a client id names, if it is registered in this cloud and (for a tenant segment) in that tenant.
    public func resolveApp(clientID: String?, tenant: TenantSelection, consumers: Bool = false) -> Result<
        App, EntraError
    > {
        guard let clientID, !clientID.isEmpty else {
            return .failure(EntraError(.missingParameter, ["parameter": "client_id"]))
        }
        guard let app = scenario.app(clientID: clientID), let home = scenario.tenant(app.tenant),
            home.cloud == directoryCloud(tenant)
        else {
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
        case .public, .spa:
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

    // MARK: Users

    /// The user's state checks every delegated grant makes: directory and tenant, disabled, Conditional
    /// Access, and (for a grant without a sign-in, `nonInteractiveResource` set) MFA registration.
    ///
    /// The tenant the user must belong to is the segment's, or the app's own when the app is single-tenant;
    /// a user of another tenant of the same directory gets AADSTS50020, one the directory does not know 50034.
    func checkUser(_ user: User, tenant: TenantSelection, app: App, nonInteractiveResource: String? = nil)
        -> EntraError?
    {
        guard let home = scenario.tenant(forAddress: user.upn), home.cloud == directoryCloud(tenant) else {
            return EntraError(.userNotFound, ["EmailHidden": user.upn, "tenant": tenantLabel(tenant)])
        }
        let resourceTenant: Tenant?
        if case .tenant(let t) = tenant {
            resourceTenant = t
        } else {
            resourceTenant = app.multiTenant ? nil : homeTenant(of: app)
        }
        if let r = resourceTenant, r.id.lowercased() != home.id.lowercased() {
            return EntraError(
                .userNotInTenant,
                [
                    "upn": user.upn, "idp": Cloud.named(home.cloud).v1Issuer(tenant: home.id), "tenant": r.id,
                    "appid": app.clientID, "name": app.name,
                ])
        }
        if !user.enabled { return EntraError(.userDisabled) }
        if user.blockedByConditionalAccess { return EntraError(.conditionalAccessBlocked) }
        if let resource = nonInteractiveResource, user.mfaRegistrationRequired {
            return EntraError(.mfaRegistrationRequired, ["resource": resource])
        }
        return nil
    }

    /// The authentication methods of a user's sign-in (`amr`).
    func amr(_ user: User) -> [String] { user.mfa ? ["pwd", "mfa"] : ["pwd"] }
}
