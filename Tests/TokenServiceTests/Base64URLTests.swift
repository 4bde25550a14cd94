import EntraTokens
import Foundation
import Testing

/// Base64URL is on every token's path (minting, verifying, XOAUTH2); these pin its edges.
@Suite("base64url")
struct Base64URLTests {
    @Test(arguments: 0..<40)
    func roundTripsEveryLengthWithoutPadding(length: Int) {
        let bytes = Data((0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 251) })
        let text = Base64URL.encode(bytes)
        #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"))
        #expect(Base64URL.decode(text) == bytes)
    }

    @Test func usesTheURLAlphabet() {
        #expect(Base64URL.encode(Data([0xFB, 0xFF, 0xBF])) == "-_-_")
        #expect(Base64URL.decode("-_-_") == Data([0xFB, 0xFF, 0xBF]))
    }

    @Test func acceptsPaddingAndRefusesEverythingElse() {
        #expect(Base64URL.decode("YQ==") == Data("a".utf8))
        #expect(Base64URL.decode("YQ") == Data("a".utf8))
        #expect(Base64URL.decode("Y") == nil, "a single leftover character is never valid")
        #expect(Base64URL.decode("YQ+/") == nil, "standard-alphabet characters are not base64url")
        #expect(Base64URL.decode("YQ ") == nil)
        #expect(Base64URL.decode("é") == nil)
        #expect(Base64URL.decode("") == Data())
    }
}
