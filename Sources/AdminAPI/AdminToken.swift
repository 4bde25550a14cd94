import Foundation

/// The admin API's per-run credential: 32 bytes from the system's random number generator, as 64 hex
/// digits. A client sends it as `Authorization: Bearer <token>`; `exomock serve` writes it to the ready
/// file (`admin_token`), whose reader is the only one who learns it.
///
/// It is a secret, not a scenario decision: it does not come from the scenario's seed, so it is
/// different on every run and never reaches a transcript, the journal or a log (`description` hides it).
public struct AdminToken: Sendable, Equatable, CustomStringConvertible {
    /// The token as a client sends it.
    public let value: String

    public init(_ value: String) { self.value = value }

    /// A fresh token from the system's random source (`getrandom(2)` on Linux).
    public static func random() -> AdminToken {
        var generator = SystemRandomNumberGenerator()
        let hex = Array("0123456789abcdef")
        var text = ""
        for _ in 0..<4 {
            var word = generator.next() as UInt64
            for _ in 0..<16 {
                text.append(hex[Int(word & 0xF)])
                word >>= 4
            }
        }
        return AdminToken(text)
    }

    /// Never the token itself, so interpolating one into a log line cannot leak it.
    public var description: String { "<admin token: \(value.count) characters>" }

    /// The `Authorization` header value a client sends.
    public var authorizationHeader: String { "Bearer \(value)" }

    /// Whether an `Authorization` header carries this token (`Bearer`, case-insensitive scheme).
    /// Compares every byte whatever the first difference, so timing says nothing about the token.
    func isCarried(by authorization: String?) -> Bool {
        guard let authorization else { return false }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return false }
        let offered = Array(parts[1].trimmingCharacters(in: .whitespaces).utf8)
        let expected = Array(value.utf8)
        guard offered.count == expected.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(offered, expected) { difference |= a ^ b }
        return difference == 0
    }
}
