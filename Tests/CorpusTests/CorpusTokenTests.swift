import Determinism
import ExomockLimits
import Foundation
import MailAuthentication
import MicrosoftClouds
import Testing

@testable import EntraTokenService
@testable import EntraTokens

/// Tests/Corpus/form, xoauth2 and jwt against the token form decoder, the SASL XOAUTH2 reader and the
/// mail servers' access-token verifier.
@Suite struct CorpusTokenTests {
    /// The form decoder is lenient by design (Microsoft reads what it can and refuses parameter by
    /// parameter, with an AADSTS code each): it must refuse exactly the over-long names and values, keep
    /// everything else within the limit, and read back what `encode` writes.
    @Test func formBodiesDecodeWithinTheLimitOrAreRefusedAsTooLong() throws {
        let cases = try Corpus.cases("form")
        #expect(cases.count >= 150)
        for item in cases {
            switch FormParameters.parse(item.text) {
            case .failure(.tooLong):
                #expect(item.name.hasPrefix("hand-toolong-"), "\(item): refused as too long")
            case .success(let parameters):
                #expect(!item.name.hasPrefix("hand-toolong-"), "\(item): over the limit but accepted")
                for (name, value) in parameters {
                    #expect(
                        name.utf8.count <= Limits.tokenParameterMaximumLength
                            && value.utf8.count <= Limits.tokenParameterMaximumLength)
                    #expect(FormParameters.decode(Substring(FormParameters.encode(value))) == value, "\(item): \(name)")
                }
            }
        }
    }

    @Test func xoauth2ResponsesAreRefused() throws {
        let cases = try Corpus.cases("xoauth2")
        #expect(cases.count >= 80)
        var accepted = Set<String>()
        for item in cases {
            guard case .success(let credentials) = XOAUTH2Credentials.parse(base64: item.text) else { continue }
            accepted.insert(item.name)
            #expect(!credentials.user.isEmpty && !credentials.token.isEmpty, "\(item)")
            #expect(XOAUTH2Credentials.parse(base64: credentials.initialResponse) == .success(credentials), "\(item)")
        }
        Corpus.expectAccepted("xoauth2", accepted)
    }

    /// No forged or broken token is accepted: raw tokens (alg none, HS256, other kids, broken base64url,
    /// depth bombs), and hostile claims signed with the verifier's own key (numbers past `Int`, wrong
    /// types, another cloud's issuer), which must fail as malformed or on the claim they break.
    @Test func forgedAndBrokenTokensAreRefused() throws {
        let key = try CloudSigningKey.generate(cloud: .gccHigh)
        let verifier = AccessTokenVerifier(
            cloud: Cloud.named(.gccHigh), key: key, clock: VirtualClock(start: VirtualClock.defaultStart))
        let cases = try Corpus.cases("jwt")
        #expect(cases.count >= 70)
        var reasons: [String: TokenRejection] = [:]
        for item in cases {
            var token = item.text
            if item.name.hasSuffix(".claims") {
                let header = Base64URL.encode(#"{"typ":"JWT","alg":"RS256","kid":"\#(key.kid)"}"#)
                let input = header + "." + Base64URL.encode(Data(item.bytes))
                token = input + "." + Base64URL.encode(try key.sign(Data(input.utf8)))
            }
            switch verifier.verify(token) {
            case .success(let claims): Issue.record("\(item): accepted, claims \(claims)")
            case .failure(let reason): reasons[item.name] = reason
            }
        }
        #expect(reasons["hand-alg-none"] == .malformed)
        #expect(reasons["hand-alg-hs256"] == .malformed)
        #expect(reasons["hand-kid-other"] == .signatureInvalid)
        #expect(reasons["hand-exp-huge.claims"] == .malformed)
        #expect(reasons["hand-exp-float-overflow.claims"] == .malformed)
        #expect(reasons["hand-iss-other-cloud.claims"] == .wrongIssuer)
        #expect(reasons["hand-nbf-int-max.claims"] == .notYetValid)
    }
}
