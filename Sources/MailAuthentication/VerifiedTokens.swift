import EntraTokens
import ExomockLimits
import Synchronization

/// Access tokens one cloud's mail servers accepted, with their claims.
///
/// A mail handler logs in with the same token for the token's hour (every IMAP, POP3 and SMTP connection),
/// and what `AccessTokenVerifier` checks first (shape, signature with the cloud's key, issuer, audience)
/// cannot change for a token: only the time can. A token seen before skips the decoding and the RSA check
/// (base64url, JSONDecoder, RS256: about 11 % of an IMAP login's server CPU) and is checked again on the
/// virtual clock exactly as the verifier checks it, so every login still gets the verifier's answer.
/// Tokens the verifier refused are not kept. At most `capacity` tokens (`Limits.mailVerifiedTokens`) are
/// kept; the next one empties the cache first.
final class VerifiedTokens: Sendable {
    private let entries = Mutex<[String: AccessTokenClaims]>([:])
    let capacity: Int

    init(capacity: Int = Limits.mailVerifiedTokens) {
        self.capacity = capacity
    }

    /// `verifier.verify(token)`'s answer.
    func verify(_ token: String, with verifier: AccessTokenVerifier) -> Result<AccessTokenClaims, TokenRejection> {
        if let claims = entries.withLock({ $0[token] }) { return verifier.checkTime(claims) }
        let result = verifier.verify(token)
        if case .success(let claims) = result {
            entries.withLock { entries in
                if entries.count >= capacity { entries.removeAll() }
                entries[token] = claims
            }
        }
        return result
    }

    /// How many tokens are kept.
    var count: Int { entries.withLock { $0.count } }
}
