import ExomockLimits
import FuzzSupport

// libFuzzer target: a form body or query string through `FormParameters` (compiled into this target
// from Sources/EntraTokenService through a symbolic link, so the fuzz build needs no HTTP server).
// Invariants: no trap; every name and value within `Limits.tokenParameterMaximumLength`; what
// `encode` writes, `decode` reads back unchanged.

runFuzzer { input in
    let text = String(decoding: input, as: UTF8.self)
    if case .success(let parameters) = FormParameters.parse(text) {
        for (name, value) in parameters {
            guard name.utf8.count <= Limits.tokenParameterMaximumLength,
                value.utf8.count <= Limits.tokenParameterMaximumLength
            else { fatalError("a parameter over the limit") }
            guard FormParameters.decode(Substring(FormParameters.encode(value))) == value else {
                fatalError("encode/decode changed \(value.debugDescription)")
            }
        }
    }
}
