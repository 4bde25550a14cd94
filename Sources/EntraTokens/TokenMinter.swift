import Determinism
import ExomockLimits
import Foundation
import MicrosoftClouds

/// Signs tokens with one cloud's key: RS256 JWTs with the header Microsoft's v1 tokens carry
/// (`{"typ":"JWT","alg":"RS256","x5t":...,"kid":...}`), claims in Microsoft's order.
///
/// Microsoft's `x5t` is the SHA-1 thumbprint of the signing certificate; exomock has no certificate,
/// so `x5t` carries the `kid` (Microsoft's own keys use the same value for both).
public struct TokenMinter: Sendable {
    public let key: CloudSigningKey
    let encodedHeader: String

    public init(key: CloudSigningKey) {
        self.key = key
        var header = OrderedFields()
        header.add("typ", "JWT")
        header.add("alg", "RS256")
        header.add("x5t", key.kid)
        header.add("kid", key.kid)
        self.encodedHeader = Base64URL.encode(header.json.serialized)
    }

    /// An access token.
    public func mint(_ claims: AccessTokenClaims) -> String { sign(payload: claims.json) }

    /// An ID token.
    public func mintIDToken(_ claims: IDTokenClaims) -> String { sign(payload: claims.json) }

    /// Signs any payload. BoringSSL only fails to sign with a broken key, which `CloudSigningKey`
    /// cannot hold; should it happen anyway, the token carries an empty signature and fails every
    /// verification instead of crashing the server.
    public func sign(payload: CanonicalJSON) -> String {
        let signingInput = encodedHeader + "." + Base64URL.encode(payload.bytes)
        let signature = (try? key.sign(Data(signingInput.utf8))) ?? Data()
        return signingInput + "." + Base64URL.encode(signature)
    }
}

/// Why an access token is refused. The raw values are the journal's reasons.
public enum TokenRejection: String, Sendable, Error, CaseIterable {
    /// Not three base64url parts, not JSON, not RS256, or a required claim is missing.
    case malformed
    /// Signed by another key (another cloud's, or tampered).
    case signatureInvalid
    /// `iss` is not this cloud's issuer for the token's tenant.
    case wrongIssuer
    /// `aud` is not one this cloud's mail servers accept.
    case wrongAudience
    /// `exp` is at or before the virtual now.
    case expired
    /// `nbf` is after the virtual now.
    case notYetValid
}

/// Checks access tokens presented to one cloud's mail servers.
///
/// Order of checks: shape, signature with this cloud's key, issuer, audience, time. Time is the
/// virtual clock with no skew allowance: a token is valid for `nbf <= now < exp`.
public struct AccessTokenVerifier: Sendable {
    public let cloud: Cloud
    public let key: CloudSigningKey
    public let clock: VirtualClock
    public let acceptedAudiences: [String]

    public init(cloud: Cloud, key: CloudSigningKey, clock: VirtualClock, acceptedAudiences: [String]? = nil) {
        self.cloud = cloud
        self.key = key
        self.clock = clock
        self.acceptedAudiences = acceptedAudiences ?? cloud.acceptedMailAudiences
    }

    struct Header: Decodable {
        var alg: String?
        var kid: String?
    }

    public func verify(_ token: String) -> Result<AccessTokenClaims, TokenRejection> {
        // Bounded work: tokens longer than this are refused before any decoding.
        guard token.utf8.count <= Limits.accessTokenMaximumLength else { return .failure(.malformed) }
        // Split on bytes, not Characters (the Character split was 10 % of an IMAP login's CPU).
        let parts = token.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).map {
            Substring($0)
        }
        guard parts.count == 3,
            let headerData = Base64URL.decode(parts[0]),
            let header = try? JSONDecoder().decode(Header.self, from: headerData),
            header.alg == "RS256",
            let payloadData = Base64URL.decode(parts[1]),
            let signature = Base64URL.decode(parts[2])
        else { return .failure(.malformed) }
        let signingInput = Data(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard header.kid == nil || header.kid == key.kid, key.isValidSignature(signature, for: signingInput) else {
            return .failure(.signatureInvalid)
        }
        guard let claims = AccessTokenClaims.decode(payloadData) else { return .failure(.malformed) }
        guard claims.iss == cloud.v1Issuer(tenant: claims.tid) || claims.iss == cloud.v2Issuer(tenant: claims.tid)
        else {
            return .failure(.wrongIssuer)
        }
        guard acceptedAudiences.contains(claims.aud) else { return .failure(.wrongAudience) }
        return checkTime(claims)
    }

    /// The verifier's last check, the only one whose answer changes for a token: `nbf <= now < exp` on the
    /// virtual clock. Callers that keep verified claims (the mail servers' `VerifiedTokens`) ask it again.
    public func checkTime(_ claims: AccessTokenClaims) -> Result<AccessTokenClaims, TokenRejection> {
        let now = Int(clock.now().timeIntervalSince1970.rounded(.down))
        if now < claims.nbf { return .failure(.notYetValid) }
        if now >= claims.exp { return .failure(.expired) }
        return .success(claims)
    }
}
