import ExomockLimits
import Foundation
import IMAPWire
import MailStore
import Testing

@testable import IMAPServer

func view(_ text: String) -> MessageView {
    MessageView(
        StoredMessage(
            uid: 1, flags: [], internalDate: Date(timeIntervalSince1970: 1_767_225_600), raw: Array(text.utf8)))
}

func wireValue(_ v: IMAPValue) -> String {
    var w = IMAPResponseWriter()
    w.write(v)
    return String(decoding: w.bytes, as: UTF8.self)
}

@Suite struct MIMETests {
    let nested = """
        From: a@b.c\r
        Subject: outer\r
        Content-Type: multipart/mixed; boundary=outer\r
        \r
        --outer\r
        Content-Type: text/plain\r
        \r
        hello\r
        --outer\r
        Content-Type: message/rfc822\r
        Content-Disposition: attachment; filename="fwd.eml"\r
        \r
        From: x@y.z\r
        Subject: inner\r
        Content-Type: multipart/alternative; boundary="in"\r
        \r
        --in\r
        Content-Type: text/plain\r
        \r
        inner text\r
        --in--\r
        \r
        --outer--\r\n
        """

    @Test func nestedMessageSections() {
        let v = view(nested)
        #expect(v.sectionBytes(Section(part: [1])) == Array("hello".utf8))
        #expect(
            String(decoding: v.sectionBytes(Section(part: [2], text: .header)) ?? [], as: UTF8.self).hasPrefix(
                "From: x@y.z\r\nSubject: inner\r\n"))
        #expect(v.sectionBytes(Section(part: [2, 1])) == Array("inner text".utf8))
        #expect(
            String(decoding: v.sectionBytes(Section(part: [2], text: .mime)) ?? [], as: UTF8.self)
                == "Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"fwd.eml\"\r\n\r\n")
        #expect(v.sectionBytes(Section(part: [3])) == nil)
        #expect(v.sectionBytes(Section(part: [1, 1])) == Array("hello".utf8))
        let bs = wireValue(v.bodyStructure(extensible: true))
        #expect(
            bs.hasPrefix(
                "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 5 1 NIL NIL NIL NIL)(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" "
            ))
        #expect(bs.contains("(\"ATTACHMENT\" (\"FILENAME\" \"fwd.eml\"))"))
        #expect(bs.hasSuffix("\"MIXED\" (\"BOUNDARY\" \"outer\") NIL NIL NIL)"))
        #expect(wireValue(v.envelope()).hasPrefix("(NIL \"outer\" ((NIL NIL \"a\" \"b.c\"))"))
    }

    @Test func groupsAndOddAddresses() {
        let list = EnvelopeAddress.parseList("Team: a@b.c, \"Doe, J\" <j@x.org>;, plain@host, <@route:r@s.t>, nobody")
        #expect(
            list == [
                EnvelopeAddress(name: nil, mailbox: "a", host: "b.c"),
                EnvelopeAddress(name: "Doe, J", mailbox: "j", host: "x.org"),
                EnvelopeAddress(name: nil, mailbox: "plain", host: "host"),
                EnvelopeAddress(name: nil, mailbox: "r", host: "s.t"),
                EnvelopeAddress(name: nil, mailbox: "nobody", host: nil),
            ])
    }

    @Test func garbageNeverTraps() {
        var random = SplitMixForTests(seed: 99)
        let pieces = [
            "--b\r\n", "Content-Type: multipart/mixed; boundary=b\r\n", "\r\n", "From: <\r\n", "x", "\r\n--b--", ":",
            "\"", "\n", " \t", "message/rfc822",
        ]
        for _ in 0..<300 {
            var text = "Content-Type: multipart/mixed; boundary=b\r\n"
            for _ in 0..<(random.next() % 40) { text += pieces[Int(random.next() % UInt64(pieces.count))] }
            let v = view(text)
            _ = v.envelope()
            _ = v.bodyStructure(extensible: true)
            for part in [[], [1], [1, 1], [2, 3]] {
                for t: SectionText? in [nil, .header, .text, .mime, .headerFields(["From"])]
                where !(part.isEmpty && t == .mime) {
                    _ = v.sectionBytes(Section(part: part, text: t))
                }
            }
        }
        // Deep multipart nesting stops at the depth limit instead of recursing without bound.
        var deep = ""
        for i in 0..<500 { deep += "Content-Type: multipart/mixed; boundary=b\(i)\r\n\r\n--b\(i)\r\n" }
        _ = view(deep).bodyStructure(extensible: true)
    }
}

struct SplitMixForTests {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct MIMELimitTests {
    /// A message whose multiparts nest `levels` deep, innermost a text part.
    func nestedMultipart(_ levels: Int) -> String {
        var text = "Content-Type: text/plain\r\n\r\nleaf\r\n"
        for i in (0..<levels).reversed() {
            text = "Content-Type: multipart/mixed; boundary=b\(i)\r\n\r\n--b\(i)\r\n" + text + "--b\(i)--\r\n"
        }
        return text
    }

    func depth(_ e: MIMEEntity) -> Int { e.parts.isEmpty ? 0 : 1 + (e.parts.map(depth).max() ?? 0) }

    @Test func mimeDepthLimitIsCrossedSafely() {
        let limit = Limits.mimeMaximumNestingDepth
        let atLimit = MIMEEntity.parse(Array(nestedMultipart(limit).utf8))
        #expect(depth(atLimit) == limit)
        let over = MIMEEntity.parse(Array(nestedMultipart(limit + 1).utf8))
        #expect(depth(over) == limit, "parts below the limit are shown as opaque leaves")
        _ = view(nestedMultipart(5000)).bodyStructure(extensible: true)
    }

    /// A chain of message/rfc822 parts `levels` deep, each with an address and disposition parameters
    /// (the deepest-nesting pieces of a BODYSTRUCTURE), innermost a text part.
    func nestedMessages(_ levels: Int) -> String {
        var text = "From: Leaf <leaf@example.com>\r\nContent-Type: text/plain\r\n"
        text += "Content-Disposition: attachment; filename=leaf.txt\r\n\r\nleaf\r\n"
        for i in 0..<levels {
            text =
                "From: \"Level \(i)\" <l\(i)@example.com>\r\nContent-Type: message/rfc822\r\n"
                + "Content-Disposition: attachment; filename=m\(i).eml\r\n\r\n" + text
        }
        return text
    }

    /// The deepest parenthesis nesting of an encoded value, outside quoted strings and literals.
    func parenthesisDepth(_ bytes: [UInt8]) -> Int {
        var deepest = 0
        var level = 0
        var i = 0
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "("):
                level += 1
                deepest = max(deepest, level)
            case UInt8(ascii: ")"): level -= 1
            case UInt8(ascii: "\""):
                i += 1
                while i < bytes.count, bytes[i] != UInt8(ascii: "\"") { i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1 }
            case UInt8(ascii: "{"):
                var j = i + 1
                var n = 0
                while j < bytes.count, let d = Int(String(UnicodeScalar(bytes[j]))) {
                    n = n * 10 + d
                    j += 1
                }
                i = j + 2 + n  // "}" CRLF, then n bytes
            default: break
            }
            i += 1
        }
        return deepest
    }

    func encoded(_ value: IMAPValue) -> [UInt8] {
        var writer = IMAPResponseWriter()
        writer.write(value)
        return writer.bytes
    }

    /// Issue 15: a BODYSTRUCTURE nested deeper than 32 levels is not valid IMAP. Multipart chains,
    /// message/rfc822 chains (envelopes, disposition parameters) at, just over and far over the MIME
    /// depth limit all stay within `Limits.imapMaximumBodyStructureDepth`; at the limit the deepest
    /// container is an opaque APPLICATION/OCTET-STREAM leaf, never a multipart without parts.
    @Test func bodyStructureNeverNestsPastItsLimit() {
        let limit = Limits.imapMaximumBodyStructureDepth
        #expect(limit == 32)
        for levels in [1, Limits.mimeMaximumNestingDepth, Limits.mimeMaximumNestingDepth + 1, 40, 200] {
            for text in [nestedMultipart(levels), nestedMessages(levels)] {
                for extensible in [true, false] {
                    let wire = encoded(view(text).bodyStructure(extensible: extensible))
                    #expect(parenthesisDepth(wire) <= limit, "\(levels) levels")
                    let shown = String(decoding: wire, as: UTF8.self)
                    #expect(!shown.contains("(\"MIXED\""), "a multipart always has a part")
                    #expect(
                        shown.contains("\"APPLICATION\" \"OCTET-STREAM\"") == (levels > Limits.mimeMaximumNestingDepth),
                        "\(levels) levels: the container at the depth limit is opaque, none above it")
                }
            }
        }
        // The deepest message/rfc822 chain fully shown uses the whole budget (the limit is not lower than needed).
        let full = encoded(view(nestedMessages(Limits.mimeMaximumNestingDepth)).bodyStructure(extensible: true))
        #expect(parenthesisDepth(full) == limit)
        // An entity parsed with a larger limit is still rendered within the BODYSTRUCTURE limit.
        let deep = MIMEEntity.parse(Array(nestedMultipart(100).utf8), maximumDepth: 200)
        let rendered = encoded(MessageView.bodyStructure(deep, raw: Array(nestedMultipart(100).utf8), extensible: true))
        #expect(parenthesisDepth(rendered) <= limit)
    }
}
