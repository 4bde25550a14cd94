import Determinism
import ExomockTestSupport
import Foundation
import NIOCore
import NIOSSL
import Testing

/// Seeded garbage and half-commands at every split: every reply is a well-formed SMTP reply line, the
/// framer's memory stays bounded, and nothing crashes.
@Suite struct SMTPFuzzTests {
    static let pieces = [
        "EHLO x\r\n", "HELO y\r\n", "AUTH XOAUTH2\r\n", "AUTH LOGIN\r\n", "*\r\n", "MAIL FROM:<a@b.c>\r\n",
        "RCPT TO:<d@e.f>\r\n",
        "DATA\r\n", ".\r\n", "..\r\n", "\r\n.\r\n", "\n", "\r", ".", "RSET\r\n", "NOOP\r\n", "VRFY x\r\n",
        "AUTH XOAUTH2 ===\r\n",
        "MAIL FROM:<>\r\n", "RCPT TO:<>\r\n", "BDAT 5 LAST\r\n", "\u{00}\u{ff}\r\n",
    ]

    @Test(arguments: 1...12 as ClosedRange<UInt64>)
    func garbageGetsRepliesNotCrashes(seed: UInt64) throws {
        let made = try ThrowawayCertificate.make()
        defer { made.remove() }
        let f = try SMTPFixture()
        let smtp = try EmbeddedSMTP(
            server: f.server(maximumMessageSize: 4096), fixture: f, tls: try made.serverContext())
        var random = SplitMix64(seed: seed)
        var output = try smtp.output()
        for _ in 0..<400 where smtp.channel.isActive {
            var chunk: [UInt8]
            switch random.next() % 4 {
            case 0: chunk = (0..<Int(random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            case 1: chunk = Array(repeating: UInt8(ascii: "x"), count: Int(random.next() % 5000))
            default: chunk = Array(Self.pieces[Int(random.next() % UInt64(Self.pieces.count))].utf8)
            }
            try smtp.channel.writeInbound(ByteBuffer(bytes: chunk))
            output += try smtp.output()
        }
        for line in output.split(separator: "\r\n") {
            let code = line.prefix(3)
            #expect(code.count == 3 && code.allSatisfy(\.isNumber), "not a reply line: \(line.prefix(80))")
            #expect([" ", "-"].contains(line.dropFirst(3).first.map(String.init) ?? " "), "\(line.prefix(80))")
        }
        #expect(!output.isEmpty)
    }
}
