import Foundation
import Testing

@testable import MailAuthentication

/// The byte-level XOAUTH2 reader (`XOAUTH2Credentials.parse(base64Bytes:)`, what `parse(base64:)` runs) gives
/// the same credentials and the same errors as the Foundation/String reader it replaced
/// (`parseWithFoundation`), on the corpus, on edge cases of base64 and of the fields, and on seeded random
/// responses and mutations of them.
@Suite struct XOAUTH2ByteParserTests {
    /// The reader before the byte path: spaces and tabs trimmed, then Foundation's base64 and String fields.
    static func reference(_ text: String) -> Result<XOAUTH2Credentials, XOAUTH2Credentials.ParseError> {
        let trimmed = Array(text.utf8).drop { $0 == 0x20 || $0 == 0x09 }
        let body = Array(trimmed.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed())
        return body.withUnsafeBufferPointer { XOAUTH2Credentials.parseWithFoundation(trimmed: $0) }
    }

    static func expectSame(_ text: String, _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(
            XOAUTH2Credentials.parse(base64: text) == reference(text), "\(comment) \(text.debugDescription)",
            sourceLocation: sourceLocation)
    }

    static func b64(_ decoded: String) -> String { Data(decoded.utf8).base64EncodedString() }

    @Test func corpusResponsesReadTheSame() throws {
        // Tests/Corpus/xoauth2's cases (CorpusTests checks which of them are accepted).
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Corpus/xoauth2")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasPrefix("gen-") || $0.hasPrefix("hand-") }
        #expect(names.count >= 80)
        for name in names {
            let bytes = try Data(contentsOf: directory.appendingPathComponent(name))
            Self.expectSame(String(decoding: bytes, as: UTF8.self), name)
        }
    }

    @Test func wellFormedResponsesGiveTheirCredentials() {
        let credentials = XOAUTH2Credentials(user: "helpdesk@contoso.com", token: "eyJ0eXAi.e30.c2ln")
        #expect(XOAUTH2Credentials.parse(base64: credentials.initialResponse) == .success(credentials))
        let unpadded = String(credentials.initialResponse.reversed().drop { $0 == "=" }.reversed())
        #expect(XOAUTH2Credentials.parse(base64: " \t" + unpadded + "\t ") == .success(credentials))
        #expect(
            XOAUTH2Credentials.parse(base64: Self.b64("auth=bEaReR t\u{01}user=u"))
                == .success(.init(user: "u", token: "t")))
    }

    @Test func base64EdgeCasesReadTheSame() {
        let texts = [
            "", " ", "=", "==", "===", "====", "Q", "QQ", "QQ=", "QQ==", "QQ===", "Q===", "QR==", "QR", "QUI", "QUI=",
            "QUJ=", "QUJ", "QUJD", "QUJDR", "QUJD=", "QUJD====", "QQ=A", "QQ==QQ==", "QU I=", "QU\nI=", "QUI=\r\n",
            "-_-_", "+/+/", "QUJ\u{e9}", "\u{0}QUJ", "dXNlcj0BYXV0aD1CZWFyZXIgdAEB", "dXNlcj0BYXV0aD1CZWFyZXIgdAEB==",
        ]
        for text in texts { Self.expectSame(text) }
    }

    @Test func fieldEdgeCasesReadTheSame() {
        let decoded = [
            "", "\u{01}", "user=", "user=a", "user=a\u{01}", "auth=Bearer t", "user=a\u{01}auth=Bearer t\u{01}\u{01}",
            "user=a\u{01}auth=Bearer ", "user=a\u{01}auth=Bearer", "user=a\u{01}auth=Bearer  ",
            "user=a\u{01}auth=  Bearer  t",
            "user=a\u{01}auth=BEARER t u", "user=a\u{01}auth=Bearerx t", "user=a\u{01}auth=Basic t",
            "user=a\u{01}auth= t",
            "user=a\u{01}auth=Bearer t\u{01}auth=Bearer", "user=a\u{01}user=\u{01}auth=Bearer t",
            "user=a\u{01}user=b\u{01}auth=Bearer t",
            "USER=a\u{01}auth=Bearer t", "user =a\u{01}auth=Bearer t", "\u{01}\u{01}user=a\u{01}\u{01}auth=Bearer t",
            "user=a\r\n\u{01}auth=Bearer t\r\n", "user=\u{0301}a\u{01}auth=Bearer t", "user=é\u{01}auth=Bearer t",
            "user=a\u{01}auth=Bearer\u{0301} t", "user=a\u{01}auth=Bearer t\u{01}user=b", "auth=Bearer\tt\u{01}user=a",
        ]
        for text in decoded {
            Self.expectSame(Self.b64(text), text.debugDescription)
            Self.expectSame(String(Self.b64(text).reversed().drop { $0 == "=" }.reversed()), text.debugDescription)
        }
        // Bytes that are not UTF-8 in the decoded text.
        for bytes: [UInt8] in [
            [0x75, 0x73, 0x65, 0x72, 0x3D, 0xFF, 0x01], [0xC3, 0x01, 0x61], [0x75, 0x73, 0x65, 0x72, 0x3D, 0x80],
        ] {
            Self.expectSame(Data(bytes).base64EncodedString())
        }
    }

    /// Random responses built from the fields' pieces, their base64 with and without padding, and random
    /// edits of that base64 (a seeded generator: the same cases every run).
    @Test func randomResponsesAndMutationsReadTheSame() {
        var state: UInt64 = 0x5EED_0013
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let pieces = [
            "user=", "auth=", "Bearer", "bearer", " ", "\u{01}", "a@b.c", "eyJ.e30.c2ln", "é", "\t", "=", "x",
        ]
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= \t-_\u{01}é")
        var accepted = 0
        for _ in 0..<4000 {
            func noise() -> String { (0..<next(5)).map { _ in pieces[next(pieces.count)] }.joined() }
            var decoded = noise()
            if next(2) == 0 { decoded += "user=" + noise() + "\u{01}auth=Bearer " + noise() + "\u{01}" + noise() }
            var text = Self.b64(decoded)
            if next(2) == 0 { text = String(text.reversed().drop { $0 == "=" }.reversed()) }
            if case .success = XOAUTH2Credentials.parse(base64: text) { accepted += 1 }
            Self.expectSame(text, decoded.debugDescription)
            var chars = Array(text)
            for _ in 0..<1 + next(3) where !chars.isEmpty {
                let at = next(chars.count)
                switch next(3) {
                case 0: chars[at] = alphabet[next(alphabet.count)]
                case 1: chars.remove(at: at)
                default: chars.insert(alphabet[next(alphabet.count)], at: at)
                }
            }
            Self.expectSame(String(chars), "mutated from \(text)")
        }
        #expect(accepted > 100)
    }
}
