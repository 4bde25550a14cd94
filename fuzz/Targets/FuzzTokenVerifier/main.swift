import Determinism
import EntraTokens
import FuzzSupport
import MicrosoftClouds

// libFuzzer target: a bearer token through the mail servers' access-token verifier (GCC High, a key
// made once per run). Invariants: no trap; nothing the fuzzer writes is accepted (it cannot sign with
// the key, so an accepted token is a forgery).

do {
    let key = try CloudSigningKey.generate(cloud: .gccHigh)
    let verifier = AccessTokenVerifier(
        cloud: Cloud.named(.gccHigh), key: key, clock: VirtualClock(start: VirtualClock.defaultStart))
    runFuzzer { input in
        let token = String(decoding: input, as: UTF8.self)
        if case .success(let claims) = verifier.verify(token) { fatalError("forged token accepted: \(claims)") }
    }
} catch {
    fatalError("no signing key: \(error)")
}
