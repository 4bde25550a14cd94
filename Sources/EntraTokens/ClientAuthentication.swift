import Foundation
import MicrosoftClouds
import ScenarioModel

/// The client credential a token request carries: a secret (`client_secret` or HTTP Basic) or a client
/// assertion (`client_assertion_type` + `client_assertion`, the `private_key_jwt` method), and the token
/// endpoint it was sent to (an assertion's `aud` must name it).
public struct ClientCredentials: Sendable {
    public var secret: String?
    public var assertionType: String?
    public var assertion: String?
    /// `https://host[:port]` the request came to (nil: the cloud's authority host only).
    public var endpointBase: String?
    /// The `{tenant}` path segment as sent.
    public var tenantSegment: String

    public init(
        form: [String: String], basicAuth: (id: String, secret: String)?, endpointBase: String?, tenantSegment: String
    ) {
        self.secret = form["client_secret"] ?? basicAuth?.secret
        self.assertionType = form["client_assertion_type"]
        self.assertion = form["client_assertion"]
        self.endpointBase = endpointBase
        self.tenantSegment = tenantSegment
    }

    /// Whether the request presents any client credential.
    public var presented: Bool { secret != nil || assertion != nil || assertionType != nil }
}

extension TokenIssuer {
    /// Client authentication with whichever credential the request carries: a client assertion checked
    /// against the app's certificates (`ClientAssertionVerifier`), else the secret (`authenticateClient(_:secret:)`).
    public func authenticateClient(_ app: App, _ credentials: ClientCredentials, tenant: TenantSelection) -> EntraError?
    {
        guard credentials.assertion != nil || credentials.assertionType != nil else {
            return authenticateClient(app, secret: credentials.secret)
        }
        guard app.kind == .confidential else { return EntraError(.publicClientWithSecret) }
        guard credentials.assertionType == ClientAssertionVerifier.assertionType else {
            return EntraError(.missingParameter, ["parameter": "client_assertion_type"])
        }
        guard let assertion = credentials.assertion, !assertion.isEmpty else {
            return EntraError(.missingParameter, ["parameter": "client_assertion"])
        }
        let verifier = ClientAssertionVerifier(
            clientID: app.clientID, certificates: app.certificates.compactMap { RegisteredCertificate(pem: $0.pem) },
            audiences: assertionAudiences(credentials, tenant: tenant), now: now)
        return verifier.verify(assertion).map { Self.error(for: $0, appID: app.clientID) }
    }

    /// The token endpoint URLs an assertion may name as `aud`: v2 and v1, with the tenant as sent and by
    /// its id, on the host the request came to and on the cloud's real authority host.
    func assertionAudiences(_ credentials: ClientCredentials, tenant: TenantSelection) -> [String] {
        var bases = ["https://\(cloud.authorityHost)"]
        if let base = credentials.endpointBase { bases.append(base) }
        var tenants = [credentials.tenantSegment]
        if case .tenant(let t) = tenant { tenants.append(t.id) }
        return bases.flatMap { base in
            tenants.flatMap { ["\(base)/\($0)/oauth2/v2.0/token", "\(base)/\($0)/oauth2/token"] }
        }
    }

    /// Microsoft's answer to each way an assertion fails.
    static func error(for failure: ClientAssertionFailure, appID: String) -> EntraError {
        switch failure {
        case .malformed, .unsupportedAlgorithm:
            return EntraError(.clientAssertionMalformed)
        case .noThumbprint:
            return EntraError(.clientAssertionNoThumbprint)
        case .keyNotFound(let thumbprint):
            return EntraError(.clientAssertionKeyNotFound, ["thumbprint": thumbprint, "appid": appID])
        case .badSignature(let thumbprint, let notBefore, let notAfter):
            return EntraError(
                .clientAssertionBadSignature,
                ["thumbprint": thumbprint, "start": usDateTime(notBefore), "end": usDateTime(notAfter)])
        case .wrongAudience:
            return EntraError(.clientAssertionAudience)
        case .tooManyAudiences(let count):
            return EntraError(.clientAssertionAudienceCount, ["count": String(count)])
        case .wrongIssuer:
            return EntraError(.clientAssertionIssuer)
        case .outsideValidity(let now, let notBefore, let expires):
            return EntraError(
                .clientAssertionExpired,
                ["now": dotNetInstant(now), "nbf": dotNetInstant(notBefore), "exp": dotNetInstant(expires)])
        }
    }

    /// `02/07/2021 17:00:39`, the key-validity format of AADSTS700027 (UTC).
    static func usDateTime(_ date: Date) -> String {
        let c = Calendar(identifier: .gregorian).dateComponents(in: .gmt, from: date)
        func two(_ v: Int?) -> String { String(format: "%02d", v ?? 0) }
        return "\(two(c.month))/\(two(c.day))/\(c.year ?? 0) \(two(c.hour)):\(two(c.minute)):\(two(c.second))"
    }
}
