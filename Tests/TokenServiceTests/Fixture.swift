import Determinism
import EntraTokens
import Foundation
import MicrosoftClouds
import ScenarioModel

/// A small two-cloud scenario: a GCC High tenant with an IMAP app, users for each rule, and a
/// worldwide tenant with its own app (the "app registered in the other cloud" mistake).
enum Fixture {
    static let tenantID = "8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a"
    static let domain = "contoso.onmicrosoft.us"
    static let wwTenantID = "11111111-2222-4333-8444-555555555555"
    static let wwDomain = "fabrikam.onmicrosoft.com"
    static let appID = "0a1b2c3d-1111-4222-8333-444455556666"
    static let expiredAppID = "0a1b2c3d-1111-4222-8333-777788889999"
    static let noConsentAppID = "0a1b2c3d-1111-4222-8333-aaaabbbbcccc"
    static let publicAppID = "0a1b2c3d-1111-4222-8333-ddddeeeeffff"
    static let wwAppID = "9a9b9c9d-1111-4222-8333-444455556666"
    static let secret = "s3cret~value"
    static let redirect = "http://localhost:8400/callback"
    static let admin = "admin@contoso.onmicrosoft.us"
    static let agent = "agent@contoso.onmicrosoft.us"
    static let mfaUser = "mfa@contoso.onmicrosoft.us"
    static let disabledUser = "disabled@contoso.onmicrosoft.us"
    static let blockedUser = "blocked@contoso.onmicrosoft.us"
    static let password = "P@ssw0rd!"
    static let start = Date(timeIntervalSince1970: 1_767_225_600)
    static let imapScope = "https://outlook.office365.us/IMAP.AccessAsUser.All offline_access openid profile"

    static func scenario(faults: [Fault] = [], lifetimes: Lifetimes = Lifetimes(), signedIn: [String] = []) -> Scenario
    {
        let delegated = ["IMAP.AccessAsUser.All", "POP.AccessAsUser.All", "offline_access", "openid", "profile"]
        return Scenario(
            name: "fixture", seed: 42, clouds: [.gccHigh, .worldwide],
            tenants: [
                Tenant(id: tenantID, name: "Contoso", cloud: .gccHigh, domains: [domain]),
                Tenant(id: wwTenantID, name: "Fabrikam", cloud: .worldwide, domains: [wwDomain]),
            ],
            apps: [
                App(
                    name: "Jira mail handler", clientID: appID, tenant: tenantID,
                    secrets: [ClientSecret(value: secret)],
                    redirectURIs: [redirect], delegatedPermissions: delegated,
                    applicationPermissions: ["IMAP.AccessAsApp"], adminConsent: true),
                App(
                    name: "Old handler", clientID: expiredAppID, tenant: tenantID,
                    secrets: [ClientSecret(value: secret, expires: start.addingTimeInterval(-86_400))],
                    redirectURIs: [redirect], delegatedPermissions: delegated, adminConsent: true),
                App(
                    name: "Unconsented", clientID: noConsentAppID, tenant: tenantID,
                    secrets: [ClientSecret(value: secret)],
                    redirectURIs: [redirect], delegatedPermissions: delegated, adminConsent: false),
                App(
                    name: "CLI", clientID: publicAppID, tenant: tenantID, kind: .public, redirectURIs: [redirect],
                    delegatedPermissions: delegated, adminConsent: true),
                App(
                    name: "Worldwide app", clientID: wwAppID, tenant: wwTenantID,
                    secrets: [ClientSecret(value: secret)],
                    redirectURIs: [redirect], delegatedPermissions: delegated,
                    applicationPermissions: ["IMAP.AccessAsApp"], adminConsent: true),
            ],
            users: [
                User(upn: admin, displayName: "Admin", password: password),
                User(upn: agent, displayName: "Agent", password: password),
                User(upn: mfaUser, password: password, mfa: true),
                User(upn: disabledUser, password: password, enabled: false),
                User(upn: blockedUser, password: password, blockedByConditionalAccess: true),
            ],
            lifetimes: lifetimes, browserSignedIn: signedIn, faults: faults)
    }

    /// Keys are expensive to make; tests share one per cloud (keys are immutable).
    static let gccHighKey = try! CloudSigningKey.generate(cloud: .gccHigh)
    static let worldwideKey = try! CloudSigningKey.generate(cloud: .worldwide)

    struct Parts {
        var issuer: TokenIssuer
        var clock: VirtualClock
        var state: IdentityState
        var cloud: Cloud
    }

    static func issuer(_ scenario: Scenario = scenario(), cloud: CloudName = .gccHigh) -> Parts {
        let clock = VirtualClock(start: start)
        let state = IdentityState(cloud: cloud, signedIn: scenario.browserSignedIn)
        let c = Cloud.named(cloud)
        let key = cloud == .gccHigh ? gccHighKey : worldwideKey
        return Parts(
            issuer: TokenIssuer(
                cloud: c, scenario: scenario, key: key, state: state, clock: clock,
                ids: IdentifierSource(seed: scenario.seed)),
            clock: clock, state: state, cloud: c)
    }

    static func form(_ pairs: [String: String]) -> [String: String] { pairs }
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let f) = self { return f }
        return nil
    }
}
