import Foundation
import MicrosoftClouds
import ScenarioModel

/// Scopes: a v2 `scope` (or v1 `resource`) parsed into one resource, and the consent checks of delegated grants.
extension TokenIssuer {
    // MARK: Scopes

    static let oidcScopes: Set<String> = ["openid", "profile", "email", "offline_access"]

    static func normalise(_ resource: String) -> String {
        var r = resource.lowercased()
        while r.hasSuffix("/") { r.removeLast() }
        return r
    }

    /// Parses a v2 `scope` (or a v1 `resource`) into one resource and its permissions.
    public func parseScopes(_ raw: String?, tenant: TenantSelection, appOnly: Bool = false) -> Result<
        ScopeSet, EntraError
    > {
        guard let raw, !Self.isBlank(raw) else {
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
            switch Self.shape(item) {
            case .invalid: return .failure(EntraError(.invalidScope, ["scope": item]))
            case .resource(let r, let p):
                itemResource = r
                permission = p
            case .bare:
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
            return .success(
                ScopeSet(
                    resource: "https://\(cloud.graphHost)", audience: "https://\(cloud.graphHost)",
                    permissions: ["User.Read"], oidc: oidc))
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
        } else if Cloud.all.contains(where: {
            ($0.outlookResources + ["https://\($0.graphHost)"]).map(Self.normalise).contains(key)
        }) {
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

    /// A scope item: `scheme://resource/permission`, a bare permission, or neither.
    enum ScopeItemShape: Equatable {
        case resource(String, permission: String)
        case bare
        case invalid
    }

    /// `item` split at its last `/` after `://`. ASCII items (what clients send) by bytes: Foundation's
    /// `range(of:)` and `trimmingCharacters` were 1 % of a refresh grant's CPU. Others through Foundation.
    static func shape(_ item: String) -> ScopeItemShape {
        let bytes = Array(item.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return foundationShape(item) }
        let slash = UInt8(ascii: "/")
        var schemeEnd: Int?
        if bytes.count >= 3 {
            for i in 0...(bytes.count - 3)
            where bytes[i] == UInt8(ascii: ":") && bytes[i + 1] == slash && bytes[i + 2] == slash {
                schemeEnd = i + 3
                break
            }
        }
        guard let schemeEnd else { return bytes.contains(slash) ? .invalid : .bare }
        guard let last = bytes.lastIndex(of: slash), last > schemeEnd else { return .invalid }
        return .resource(
            String(decoding: bytes[..<last], as: UTF8.self),
            permission: String(decoding: bytes[(last + 1)...], as: UTF8.self))
    }

    /// `shape` through Foundation's string search (and the reference the byte path is tested against).
    static func foundationShape(_ item: String) -> ScopeItemShape {
        if let schemeEnd = item.range(of: "://") {
            guard let slash = item.range(of: "/", options: .backwards), slash.lowerBound > schemeEnd.upperBound else {
                return .invalid
            }
            return .resource(String(item[..<slash.lowerBound]), permission: String(item[slash.upperBound...]))
        }
        return item.contains("/") ? .invalid : .bare
    }

    /// Whether `raw` is empty or only whitespace (`CharacterSet.whitespaces`). A first character that is
    /// ASCII and not a space or tab settles it without Foundation's trimming.
    static func isBlank(_ raw: String) -> Bool {
        if let first = raw.utf8.first, first < 0x80, first != UInt8(ascii: " "), first != UInt8(ascii: "\t") {
            return false
        }
        return raw.trimmingCharacters(in: .whitespaces).isEmpty
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
}
