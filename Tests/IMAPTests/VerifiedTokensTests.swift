import Determinism
import EntraTokens
import ExomockLimits
import Foundation
import MicrosoftClouds
import Testing

@testable import MailAuthentication

/// The mail servers' cache of verified tokens answers every check as `AccessTokenVerifier.verify` does, as
/// the virtual clock moves, and keeps at most `Limits.mailVerifiedTokens` tokens.
@Suite struct VerifiedTokensTests {
    let cloud = Cloud.named(.gccHigh)
    let clock = VirtualClock(start: VirtualClock.defaultStart)
    let key: CloudSigningKey
    let verifier: AccessTokenVerifier

    init() throws {
        key = try CloudSigningKey.generate(cloud: .gccHigh)
        verifier = AccessTokenVerifier(cloud: cloud, key: key, clock: clock)
    }

    func token(nbf: Int = 0, lifetime: Int = 3600, uti: String = "uti", key: CloudSigningKey? = nil) -> String {
        let now = Int(clock.now().timeIntervalSince1970)
        let tenant = "8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a"
        let claims = AccessTokenClaims(
            aud: cloud.delegatedAudience, iss: cloud.v1Issuer(tenant: tenant), iat: now, nbf: now + nbf,
            exp: now + lifetime, appid: "app", oid: "oid", scp: ["IMAP.AccessAsUser.All"], sub: "sub", tid: tenant,
            upn: "alice@contoso.onmicrosoft.us", uti: uti)
        return TokenMinter(key: key ?? self.key).mint(claims)
    }

    @Test func answersAsTheVerifierAsTheClockMoves() throws {
        let cache = VerifiedTokens()
        let early = token(nbf: 60, lifetime: 120)
        let other = try CloudSigningKey.generate(cloud: .gccHigh)
        let tokens = [early, token(), token(key: other), "not.a.token", token(lifetime: 30)]
        for step in [0, 30, 30, 30, 30, 3600] {
            _ = clock.advance(by: TimeInterval(step))
            for token in tokens {
                // Twice: the first may fill the cache, the second reads it.
                #expect(cache.verify(token, with: verifier) == verifier.verify(token), "after \(step) s")
                #expect(cache.verify(token, with: verifier) == verifier.verify(token), "after \(step) s, cached")
            }
        }
        // Refused tokens are not kept: the early one (once valid), the plain one and the short-lived one are.
        #expect(cache.count == 3)
    }

    @Test func keepsAtMostTheLimit() {
        let cache = VerifiedTokens()
        #expect(cache.capacity == Limits.mailVerifiedTokens)
        for n in 0..<Limits.mailVerifiedTokens {
            #expect(cache.verify(token(uti: "t\(n)"), with: verifier).isSuccess)
        }
        #expect(cache.count == Limits.mailVerifiedTokens)
        let past = token(uti: "one more")
        #expect(cache.verify(past, with: verifier).isSuccess)
        #expect(cache.count == 1)
        #expect(cache.verify(past, with: verifier) == verifier.verify(past))
    }
}

extension Result {
    fileprivate var isSuccess: Bool { if case .success = self { true } else { false } }
}
