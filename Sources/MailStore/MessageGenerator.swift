import Determinism
import Foundation

/// Makes realistic RFC 5322 messages from a seed: the same seed gives the same bytes on every run.
/// About every third message is `multipart/alternative` (text and HTML); about every fifth is
/// `multipart/mixed` with a small base64 attachment. No wall clock: dates end at a given instant.
///
/// One random stream runs through a folder's messages in order, so message i's bytes depend on how
/// many values messages 0..<i drew. `GeneratedRun` measures that once (with `CountOutput`) and then
/// produces any message alone (with `ByteOutput`), from the same code below.
struct MessageRecipe: Sendable, Equatable {
    let seed: UInt64
    let recipient: [UInt8]
    let approximateSize: Int
    let count: Int
    /// The newest message is dated up to 50 minutes after `end - 1h`.
    let end: Date

    init(seed: UInt64, recipient: String, approximateSize: Int, count: Int, end: Date) {
        self.seed = seed
        self.recipient = Array(recipient.utf8)
        self.approximateSize = approximateSize
        self.count = count
        self.end = end
    }

    /// Message `index`'s date (and IMAP INTERNALDATE): about (count - index) hours before `end`,
    /// jittered by up to 50 seeded minutes, so dates ascend with the UID. Closed form: no draws.
    func date(of index: Int) -> Date {
        var jitter = SplitMix64(seed: seed &+ UInt64(index))
        return end.addingTimeInterval(-Double(count - index) * 3600 + Double(jitter.next() % 3000))
    }

    /// Writes message `index` to `out`, drawing from `random` (which must stand at the message's first
    /// draw, and is left at the next message's); returns whether the message starts out read.
    func write<Out: GeneratedOutput>(index: Int, random: inout SeekableRandom, into out: inout Out) -> Bool {
        typealias T = MessageText
        func pick(_ items: [[UInt8]]) -> [UInt8] { items[Int(random.next() % UInt64(items.count))] }
        let date = date(of: index)
        let first = Int(random.next() % UInt64(T.firstNames.count))
        let last = Int(random.next() % UInt64(T.lastNames.count))
        let domain = pick(T.domains)
        let number = Array(String(1000 + Int(random.next() % 9000)).utf8)
        let subject = pick(T.subjects)
        let messageID = T.hex(random.next())
        let seen = random.next() % 3 == 0
        let lower = T.lowerFirstNames[first] + [UInt8(ascii: ".")] + T.lowerLastNames[last]
        let mailbox = lower + [UInt8(ascii: "@")] + domain + [UInt8(ascii: ">")]
        out.append(T.returnPath)
        out.append(mailbox)
        out.append(T.crlf + T.from)
        out.append(T.firstNames[first] + [UInt8(ascii: " ")] + T.lastNames[last] + Array(" <".utf8))
        out.append(mailbox)
        out.append(T.crlf + T.to)
        out.append(recipient)
        out.append(T.crlf + T.subject)
        if let hole = subject.firstIndex(of: T.placeholder) {
            out.append(Array(subject[..<hole]) + number + Array(subject[(hole + 2)...]))
        } else {
            out.append(subject)
        }
        out.append(T.crlf + T.date)
        out.append(date: date)
        out.append(T.crlf + T.messageID)
        out.append(messageID + [UInt8(ascii: "@")] + domain + [UInt8(ascii: ">")])
        out.append(T.crlf + T.mimeVersion)
        let bodyTarget = max(64, approximateSize - 400)
        if index % 5 == 4 {
            let boundary = Array("mixed_".utf8) + T.hex(random.next())
            out.append(T.contentTypeMixed + boundary + T.quoteCRLF + T.crlf)
            out.append(T.mixedPreamble)
            out.append(T.dashes + boundary + T.crlf + T.textPartHeaders)
            _ = paragraphText(target: bodyTarget * 2 / 3, random: &random, into: &out)
            out.append(T.crlf + T.dashes + boundary + T.crlf)
            let name = Array("log-".utf8) + number + Array(".bin\"".utf8)
            out.append(T.attachmentType + name + T.crlf + T.attachmentDisposition + name + T.crlf + T.base64Encoding)
            out.append(base64AttachmentOf: max(16, bodyTarget / 4), from: &random)
            out.append(T.crlf + T.dashes + boundary + T.dashes + T.crlf)
        } else if index % 3 == 2 {
            let boundary = Array("alt_".utf8) + T.hex(random.next())
            out.append(T.contentTypeAlternative + boundary + T.quoteCRLF + T.crlf)
            var text = Out()
            let lines = paragraphText(target: bodyTarget / 2, random: &random, into: &text)
            out.append(T.dashes + boundary + T.crlf + T.textPartHeaders)
            out.append(text)
            out.append(T.crlf + T.dashes + boundary + T.crlf + T.htmlPartHeaders + T.htmlOpen)
            out.append(breakingLinesOf: text, lines: lines)
            out.append(T.htmlClose + T.crlf + T.dashes + boundary + T.dashes + T.crlf)
        } else {
            out.append(T.plainHeaders + T.crlf)
            _ = paragraphText(target: bodyTarget, random: &random, into: &out)
        }
        return seen
    }

    /// Text of about `target` bytes in lines of sentences, wrapped near 76 columns, each line ending in
    /// CRLF; returns how many lines.
    private func paragraphText<Out: GeneratedOutput>(target: Int, random: inout SeekableRandom, into out: inout Out)
        -> Int
    {
        var line = Out()
        var sentence = Out()
        var total = 0
        var lines = 0
        while total < max(target, 40) {
            sentence.removeAll()
            Self.sentence(random: &random, into: &sentence)
            if line.count + sentence.count + 1 > 76, line.count > 0 {
                out.append(line)
                out.append(MessageText.crlf)
                lines += 1
                total += line.count + 2
                line.removeAll()
            }
            if line.count > 0 { line.append(UInt8(ascii: " ")) }
            line.append(sentence)
            if line.count > 76 {
                out.append(prefixOf: line, count: 76)
                out.append(MessageText.crlf)
                lines += 1
                total += 78
                line.removeFirst(76)
            }
        }
        if line.count > 0 {
            out.append(line)
            out.append(MessageText.crlf)
            lines += 1
        }
        return lines
    }

    /// 6 to 15 words, the first capitalised, ending in a full stop. Words come from one flat table (no
    /// array per word to retain and release: that was a fifth of a FETCH of virtual mail).
    private static func sentence<Out: GeneratedOutput>(random: inout SeekableRandom, into out: inout Out) {
        let n = 6 + Int(random.next() % 10)
        MessageText.wordTable.withUnsafeBufferPointer { table in
            MessageText.wordStarts.withUnsafeBufferPointer { starts in
                // The vocabulary's size as a literal: `%` by a size read at run time was a hardware division
                // per word, a tenth of the server's CPU in a FETCH loop over virtual mail (perf).
                assert(starts.count - 1 == 33, "MessageText.words changed size: update the literal below")
                for i in 0..<n {
                    let k = Int(random.next() % 33)
                    let word = UnsafeBufferPointer(rebasing: table[starts[k]..<starts[k + 1]])
                    if i == 0 {
                        out.append(word[0] - 32)  // the words are lower-case ASCII
                        out.append(UnsafeBufferPointer(rebasing: word[1...]))
                    } else {
                        out.append(UInt8(ascii: " "))
                        out.append(word)
                    }
                }
            }
        }
        out.append(UInt8(ascii: "."))
    }
}

/// The generator's vocabulary and fixed header text, as bytes.
enum MessageText {
    static func bytes(_ list: [String]) -> [[UInt8]] { list.map { Array($0.utf8) } }

    static let firstNames = bytes([
        "Alex", "Sam", "Priya", "Jordan", "Chen", "Maria", "Olu", "Fatima", "Lars", "Yuki", "Noah", "Ines",
    ])
    static let lowerFirstNames = firstNames.map { Array(String(decoding: $0, as: UTF8.self).lowercased().utf8) }
    static let lastNames = bytes([
        "Nguyen", "Smith", "Garcia", "Okafor", "Kowalski", "Tanaka", "Haddad", "Berg", "Silva", "Patel",
    ])
    static let lowerLastNames = lastNames.map { Array(String(decoding: $0, as: UTF8.self).lowercased().utf8) }
    static let domains = bytes([
        "fabrikam.com", "example.org", "tailspintoys.com", "wingtiptoys.com", "adventure-works.com",
    ])
    static let subjects = bytes([
        "Printer on floor 3 is offline", "Cannot connect to VPN", "Password reset request", "Invoice INV-%d attached",
        "Re: Access to shared drive", "Laptop replacement", "Outlook keeps asking for password",
        "New starter: accounts needed",
        "Build server is down", "Question about ticket #%d", "Meeting room display broken", "Licence renewal",
    ])
    static let words = bytes([
        "the", "request", "please", "server", "account", "mailbox", "access", "after", "update", "error", "again",
        "today", "team", "could", "you", "check", "thanks", "since", "morning", "restart", "ticket", "users", "report",
        "network", "issue", "still", "seems", "working", "office", "attached", "screenshot", "shows", "message",
    ])
    /// `words` back to back; word k is `wordTable[wordStarts[k]..<wordStarts[k + 1]]`.
    static let wordTable: [UInt8] = Array(words.joined())
    static let wordStarts: [Int] = words.reduce(into: [0]) { $0.append($0.last! + $1.count) }
    /// `%` of the `%d` in a subject.
    static let placeholder = UInt8(ascii: "%")

    static let crlf = Array("\r\n".utf8)
    static let dashes = Array("--".utf8)
    static let quoteCRLF = Array("\"\r\n".utf8)
    static let lineBreakTag = Array("<br>".utf8)
    static let returnPath = Array("Return-Path: <".utf8)
    static let from = Array("From: ".utf8)
    static let to = Array("To: ".utf8)
    static let subject = Array("Subject: ".utf8)
    static let date = Array("Date: ".utf8)
    static let messageID = Array("Message-ID: <".utf8)
    static let mimeVersion = Array("MIME-Version: 1.0\r\n".utf8)
    static let contentTypeMixed = Array("Content-Type: multipart/mixed; boundary=\"".utf8)
    static let contentTypeAlternative = Array("Content-Type: multipart/alternative; boundary=\"".utf8)
    static let plainHeaders = Array(
        "Content-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: 7bit\r\n".utf8)
    static let mixedPreamble = Array("This is a multi-part message in MIME format.\r\n\r\n".utf8)
    static let textPartHeaders = Array(
        "Content-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: 7bit\r\n\r\n".utf8)
    static let htmlPartHeaders = Array(
        "Content-Type: text/html; charset=\"utf-8\"\r\nContent-Transfer-Encoding: 7bit\r\n\r\n".utf8)
    static let htmlOpen = Array("<html><body><p>".utf8)
    static let htmlClose = Array("</p></body></html>\r\n".utf8)
    static let attachmentType = Array("Content-Type: application/octet-stream; name=\"".utf8)
    static let attachmentDisposition = Array("Content-Disposition: attachment; filename=\"".utf8)
    static let base64Encoding = Array("Content-Transfer-Encoding: base64\r\n\r\n".utf8)

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// 16 lower-case hex digits, zero-padded.
    static func hex(_ value: UInt64) -> [UInt8] {
        (0..<16).map { hexDigits[Int((value >> (60 - 4 * UInt64($0))) & 0xF)] }
    }
}

/// Messages of one folder source in order, as the store made them before mail was virtual (and as a
/// flow's `deliver` step still makes them): `next` produces message after message from one stream.
struct MessageGenerator {
    let seed: UInt64
    let recipient: String
    let approximateSize: Int
    private var random: SeekableRandom

    init(seed: UInt64, recipient: String, approximateSize: Int) {
        self.seed = seed
        self.recipient = recipient
        self.approximateSize = approximateSize
        self.random = SeekableRandom(seed: seed)
    }

    /// `Thu, 01 Jan 2026 00:00:00 +0000` (`Timestamps.rfc5322`).
    static func rfc5322Date(_ date: Date) -> String { Timestamps.rfc5322(date) }

    /// Message `index` of `count`; returns its internal date, bytes and whether it is already read.
    mutating func next(index: Int, count: Int, end: Date) -> (Date, [UInt8], Bool) {
        let recipe = MessageRecipe(
            seed: seed, recipient: recipient, approximateSize: approximateSize, count: count, end: end)
        var out = ByteOutput(capacity: approximateSize + 256)
        let seen = recipe.write(index: index, random: &random, into: &out)
        return (recipe.date(of: index), out.bytes, seen)
    }
}
