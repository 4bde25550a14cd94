import Foundation
import MicrosoftClouds
import ScenarioModel

/// Checks every grant shares: the tenant segment, the client and its credential, the user.
extension TokenIssuer {
    // MARK: Tenants and clients

    static func isGUID(_ text: String) -> Bool {
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
    /// else AADSTS90002.
    public func resolveTenant(_ segment: String, clientID: String? = nil) -> Result<TenantSelection, EntraError> {
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
    public func resolveApp(clientID: String?, tenant: TenantSelection, consumers: Bool = false) -> Result<
        App, EntraError
    > {
        guard let clientID, !clientID.isEmpty else {
            return .failure(EntraError(.missingParameter, ["parameter": "client_id"]))
        }
        guard let app = scenario.app(clientID: clientID), let home = scenario.tenant(app.tenant),
            home.cloud == cloud.name
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

    /// The authentication methods of a user's sign-in (`amr`).
    func amr(_ user: User) -> [String] { user.mfa ? ["pwd", "mfa"] : ["pwd"] }
}
