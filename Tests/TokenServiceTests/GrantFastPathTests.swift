import Foundation
import Testing

@testable import EntraTokenService
@testable import EntraTokens

/// The refresh grant's byte-level paths (form decoding, scope items, GUID checks, base64url) give what
/// the Foundation and Character paths they replace give, on generated inputs and on the edges.
@Suite("Grant fast paths")
struct GrantFastPathTests {
    /// Deterministic inputs over an alphabet dense in escapes, `+`, hex digits and bad escapes.
    static func generated(_ alphabet: [String], count: Int, maxLength: Int, seed: UInt64) -> [String] {
        var state = seed
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        return (0..<count).map { _ in
            (0..<(next() % (maxLength + 1))).map { _ in alphabet[next() % alphabet.count] }.joined()
        }
    }

    static let formEdges = [
        "", "+", "%", "%4", "%zz", "%%41", "a%2Bb", "a+b%20c", "%00", "%C3%A9", "%c3%a9", "%FF", "%C3", "%E2%82",
        "%E2%82%AC", "%ED%A0%80", "https%3A%2F%2Foutlook.office365.us%2FIMAP.AccessAsUser.All+offline_access",
        "100%", "%+41", "++%2b%2B",
    ]

    @Test func formDecodingOfASCIIMatchesFoundation() {
        let alphabet = [
            "a", "Z", "0", "9", "f", "F", "g", "+", " ", "%", "%2", "%41", "%2B", "%C3", "%A9", "%e2", "%82",
            "%ac", "%00", "%7F", "%80", "%FF", "=", "&", "~",
        ]
        let inputs = Self.formEdges + Self.generated(alphabet, count: 3000, maxLength: 12, seed: 13)
        var taken = 0
        for text in inputs {
            let part = Substring(text)
            if let fast = FormParameters.decodeASCII(part) {
                taken += 1
                #expect(fast == FormParameters.foundationDecode(part), "\(text)")
            }
            #expect(FormParameters.decode(part) == FormParameters.foundationDecode(part), "\(text)")
        }
        #expect(taken > 500, "the byte path decodes a good share of the generated values")
        #expect(FormParameters.decodeASCII("a+b%2B%41%c3%a9") == "a b+Aé")
        for refused in ["%", "%4", "%zz", "%80", "%A9", "%C3", "é+"] {
            #expect(FormParameters.decodeASCII(Substring(refused)) == nil)
        }
    }

    @Test func formSplittingMatchesCharacterSplitting() {
        let alphabet = ["a", "&", "=", "&&", "==", "%26", "é", "\u{301}", "\r\n", " "]
        for text in ["", "&", "=", "a=b&c", "&\u{301}a=b", "a=\u{301}b", "=&="]
            + Self.generated(alphabet, count: 2000, maxLength: 8, seed: 5)
        {
            let t = Substring(text)
            for separator: Character in ["&", "="] {
                for omitting in [true, false] {
                    for maxSplits in [1, Int.max] {
                        let reference = t.split(
                            separator: separator, maxSplits: maxSplits, omittingEmptySubsequences: omitting)
                        let fast = FormParameters.split(
                            t, at: separator.unicodeScalars.first!, maxSplits: maxSplits,
                            omittingEmptySubsequences: omitting)
                        #expect(fast == reference, "\(text.debugDescription)")
                    }
                }
            }
        }
    }

    @Test func formDecodingLeavesNonASCIIToFoundation() {
        for text in ["é+%41", "+\u{301}", "%C3%A9é", "日本+%E6%97%A5"] {
            #expect(FormParameters.decodeASCII(Substring(text)) == nil)
            #expect(FormParameters.decode(Substring(text)) == FormParameters.foundationDecode(Substring(text)))
        }
    }

    @Test func scopeItemShapesMatchFoundation() {
        let alphabet = ["https", ":", "/", "//", "://", "a", ".", "x", "IMAP.AccessAsUser.All", "é", "\u{301}"]
        let edges = [
            "", "/", "://", ":///", "https://", "https://x", "https://x/", "https://x/P", "https://x//P", "a/b", "P",
            "https://outlook.office365.us/IMAP.AccessAsUser.All", "api://id/.default", "https://é/P",
            "https:/\u{301}/x/P",
        ]
        for item in edges + Self.generated(alphabet, count: 3000, maxLength: 6, seed: 7) {
            #expect(TokenIssuer.shape(item) == TokenIssuer.foundationShape(item), "\(item)")
        }
    }

    @Test func blankScopesMatchFoundation() {
        for raw in ["", " ", "\t", " \t ", "\u{00A0}", "\u{3000}", "a", " a", "openid", "\u{00A0}x", "é", "\n"] {
            #expect(
                TokenIssuer.isBlank(raw) == raw.trimmingCharacters(in: .whitespaces).isEmpty, "\(raw.debugDescription)")
        }
    }

    @Test func guidCheckMatchesTheCharacterCheck() {
        func characterCheck(_ text: String) -> Bool {
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            return parts.map(\.count) == [8, 4, 4, 4, 12] && parts.allSatisfy { $0.allSatisfy(\.isHexDigit) }
        }
        let guid = "8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a"
        var inputs = [guid, guid.uppercased(), "", "contoso.onmicrosoft.us", "8f1c2b7e4d0a4c5e9b1a2f3e4d5c6b7a----"]
        for i in guid.indices {
            for replacement in ["g", "G", "-", "0", "@", "`", "/", ":", "F", "\u{FF21}"] {
                var text = guid
                text.replaceSubrange(i...i, with: replacement)
                inputs.append(text)
            }
        }
        for text in inputs { #expect(TokenIssuer.isGUID(text) == characterCheck(text), "\(text)") }
    }

    @Test(arguments: 0..<50)
    func base64URLMatchesFoundationsAlphabetSwap(length: Int) {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 97 &+ length &* 31 &+ 0xF0) }
        let foundation = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        #expect(Base64URL.encode(bytes) == foundation)
        #expect(Base64URL.encode(Data(bytes)) == foundation)
        #expect(Base64URL.encode(Data(bytes)[...]) == foundation)
        let text = String(decoding: bytes.map { $0 & 0x7F }, as: UTF8.self)
        #expect(Base64URL.encode(text) == Base64URL.encode(Data(text.utf8)))
    }
}
