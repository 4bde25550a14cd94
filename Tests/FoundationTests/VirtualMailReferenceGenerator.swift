// The message generator as it was before virtual mail (commit 0a2553f), kept verbatim as the oracle
// VirtualMailTests compare today's generator against, byte for byte. Test-only; do not use elsewhere.
import Determinism
import Foundation

/// (Reference) Makes realistic RFC 5322 messages from a seed: the same seed gives the same bytes on every run.
/// About every third message is `multipart/alternative` (text and HTML); about every fifth is
/// `multipart/mixed` with a small base64 attachment. No wall clock: dates end at a given instant.
struct ReferenceMessageGenerator {
    var random: SplitMix64
    let seed: UInt64
    let recipient: String
    let approximateSize: Int

    init(seed: UInt64, recipient: String, approximateSize: Int) {
        self.random = SplitMix64(seed: seed)
        self.seed = seed
        self.recipient = recipient
        self.approximateSize = approximateSize
    }

    static let firstNames = [
        "Alex", "Sam", "Priya", "Jordan", "Chen", "Maria", "Olu", "Fatima", "Lars", "Yuki", "Noah", "Ines",
    ]
    static let lastNames = [
        "Nguyen", "Smith", "Garcia", "Okafor", "Kowalski", "Tanaka", "Haddad", "Berg", "Silva", "Patel",
    ]
    static let domains = ["fabrikam.com", "example.org", "tailspintoys.com", "wingtiptoys.com", "adventure-works.com"]
    static let subjects = [
        "Printer on floor 3 is offline", "Cannot connect to VPN", "Password reset request", "Invoice INV-%d attached",
        "Re: Access to shared drive", "Laptop replacement", "Outlook keeps asking for password",
        "New starter: accounts needed",
        "Build server is down", "Question about ticket #%d", "Meeting room display broken", "Licence renewal",
    ]
    static let words = [
        "the", "request", "please", "server", "account", "mailbox", "access", "after", "update", "error", "again",
        "today", "team", "could", "you", "check", "thanks", "since", "morning", "restart", "ticket", "users", "report",
        "network", "issue", "still", "seems", "working", "office", "attached", "screenshot", "shows", "message",
    ]

    mutating func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }

    mutating func sentence() -> String {
        let n = 6 + Int(random.next() % 10)
        var parts: [String] = []
        for _ in 0..<n { parts.append(pick(Self.words)) }
        let s = parts.joined(separator: " ")
        return s.prefix(1).uppercased() + s.dropFirst() + "."
    }

    /// Text of about `target` bytes, wrapped at 76 columns with CRLF. The words are ASCII, so UTF-8
    /// counts are Character counts (and cost O(1) instead of a walk over the line).
    mutating func paragraphText(target: Int) -> String {
        var lines: [String] = []
        var line = ""
        var total = 0
        while total < max(target, 40) {
            let s = sentence()
            if line.utf8.count + s.utf8.count + 1 > 76, !line.isEmpty {
                lines.append(line)
                total += line.utf8.count + 2
                line = ""
            }
            line += line.isEmpty ? s : " " + s
            if line.utf8.count > 76 {
                lines.append(String(line.prefix(76)))
                total += 78
                line = String(line.dropFirst(76))
            }
        }
        if !line.isEmpty { lines.append(line) }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// `Thu, 01 Jan 2026 00:00:00 +0000` (`Timestamps.rfc5322`).
    static func rfc5322Date(_ date: Date) -> String { Timestamps.rfc5322(date) }

    static func hex(_ value: UInt64) -> String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 16 - s.count)) + s
    }

    /// Message `index` of `count`; returns its internal date, bytes and whether it is already read.
    mutating func next(index: Int, count: Int, end: Date) -> (Date, [UInt8], Bool) {
        // Dates: message i is about (count - i) hours before `end`, jittered by up to 50 seeded minutes,
        // so dates ascend with the UID.
        var jitter = SplitMix64(seed: seed &+ UInt64(index))
        let date = end.addingTimeInterval(-Double(count - index) * 3600 + Double(jitter.next() % 3000))
        let first = pick(Self.firstNames)
        let last = pick(Self.lastNames)
        let domain = pick(Self.domains)
        let number = 1000 + Int(random.next() % 9000)
        let subject = pick(Self.subjects).replacingOccurrences(of: "%d", with: String(number))
        let messageID = "<\(Self.hex(random.next()))@\(domain)>"
        let seen = random.next() % 3 == 0
        var headers = [
            "Return-Path: <\(first.lowercased()).\(last.lowercased())@\(domain)>",
            "From: \(first) \(last) <\(first.lowercased()).\(last.lowercased())@\(domain)>",
            "To: \(recipient)",
            "Subject: \(subject)",
            "Date: \(Self.rfc5322Date(date))",
            "Message-ID: \(messageID)",
            "MIME-Version: 1.0",
        ]
        let bodyTarget = max(64, approximateSize - 400)
        var body: String
        if index % 5 == 4 {
            let boundary = "mixed_\(Self.hex(random.next()))"
            headers.append("Content-Type: multipart/mixed; boundary=\"\(boundary)\"")
            let text = paragraphText(target: bodyTarget * 2 / 3)
            var attachmentBytes: [UInt8] = []
            for _ in 0..<max(16, bodyTarget / 4) { attachmentBytes.append(UInt8(truncatingIfNeeded: random.next())) }
            let b64 = Data(attachmentBytes).base64EncodedString(options: [
                .lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed,
            ])
            body =
                "This is a multi-part message in MIME format.\r\n\r\n"
                + "--\(boundary)\r\nContent-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: 7bit\r\n\r\n\(text)\r\n"
                + "--\(boundary)\r\nContent-Type: application/octet-stream; name=\"log-\(number).bin\"\r\n"
                + "Content-Disposition: attachment; filename=\"log-\(number).bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + b64 + "\r\n--\(boundary)--\r\n"
        } else if index % 3 == 2 {
            let boundary = "alt_\(Self.hex(random.next()))"
            headers.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
            let text = paragraphText(target: bodyTarget / 2)
            // "<br>" before each CRLF (paragraphText writes CR only as part of CRLF), byte by byte.
            var htmlText = [UInt8]()
            htmlText.reserveCapacity(text.utf8.count * 11 / 10)
            for byte in text.utf8 {
                if byte == 13 { htmlText += Array("<br>".utf8) }
                htmlText.append(byte)
            }
            let html = "<html><body><p>" + String(decoding: htmlText, as: UTF8.self) + "</p></body></html>\r\n"
            body =
                "--\(boundary)\r\nContent-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: 7bit\r\n\r\n\(text)\r\n"
                + "--\(boundary)\r\nContent-Type: text/html; charset=\"utf-8\"\r\nContent-Transfer-Encoding: 7bit\r\n\r\n\(html)\r\n"
                + "--\(boundary)--\r\n"
        } else {
            headers.append("Content-Type: text/plain; charset=\"utf-8\"")
            headers.append("Content-Transfer-Encoding: 7bit")
            body = paragraphText(target: bodyTarget)
        }
        let raw = headers.joined(separator: "\r\n") + "\r\n\r\n" + body
        return (date, Array(raw.utf8), seen)
    }
}
