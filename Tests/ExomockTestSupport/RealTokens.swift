import Determinism
import EntraTokens
import Foundation
import MailAuthentication
import MicrosoftClouds
import ScenarioModel

/// Real RS256 access tokens judged by the real `ExchangeAuthenticator` (GCC High): for tests whose
/// point is the token's size or shape, not a token check's outcome.
public struct RealTokens {
    public static let tenantID = "9f3c1a2b-4d5e-4f60-8a7b-0c1d2e3f4a5b"
    public let cloud = Cloud.named(.gccHigh)
    public let key: CloudSigningKey
    public let clock: VirtualClock
    public let authenticator: ExchangeAuthenticator
    public let mailbox: String
    public let user = "alice@contoso.onmicrosoft.us"

    public init(mailbox: String, clock: VirtualClock) throws {
        self.mailbox = mailbox
        self.clock = clock
        key = try CloudSigningKey.generate(cloud: .gccHigh)
        let scenario = Scenario(
            name: "real-tokens", clouds: [.gccHigh],
            tenants: [Tenant(id: Self.tenantID, cloud: .gccHigh, domains: ["contoso.onmicrosoft.us"])],
            users: [User(upn: user, password: "x", hasMailbox: false, fullAccess: [mailbox])],
            mailboxes: [Mailbox(address: mailbox, kind: .shared)])
        authenticator = ExchangeAuthenticator(
            cloud: cloud, scenario: scenario, verifier: AccessTokenVerifier(cloud: cloud, key: key, clock: clock))
    }

    /// A delegated token for `user` with both IMAP and POP scopes, padded (in `name`, as many group
    /// claims would pad it) to at least `bytes` characters (at most 3 more) when `bytes` is given.
    public func token(bytes: Int? = nil) -> String {
        func mint(padding: Int) -> String {
            let now = Int(clock.now().timeIntervalSince1970)
            let claims = AccessTokenClaims(
                aud: "https://outlook.office365.us", iss: cloud.v1Issuer(tenant: Self.tenantID), iat: now, nbf: now,
                exp: now + 3600,
                appid: "11111111-2222-3333-4444-555555555555", name: String(repeating: "g", count: padding), oid: "oid",
                scp: ["IMAP.AccessAsUser.All", "POP.AccessAsUser.All"], sub: "sub", tid: Self.tenantID, upn: user,
                uti: "uti")
            return TokenMinter(key: key).mint(claims)
        }
        guard let bytes else { return mint(padding: 0) }
        // base64url: 4 characters per 3 payload bytes.
        var padding = max(0, (bytes - mint(padding: 0).utf8.count) * 3 / 4 - 4)
        while mint(padding: padding).utf8.count < bytes { padding += 1 }
        return mint(padding: padding)
    }
}
