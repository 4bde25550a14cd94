import Determinism
import NIOCore
import POP3Wire
import Testing

/// `POP3ByteStuffing` copies clean lines as spans (`memchr` for line ends). Its output must be byte for byte
/// what the line-at-a-time stuffing it replaced wrote (kept below as `LineByLineStuffing`, the reference),
/// for any content and any chunk limit, call after call.
@Suite struct POP3ByteStuffingSpanTests {
    /// Stuffs `content` with `limit` bytes of room per call until done; returns the bytes and the calls.
    static func stuffed(_ content: [UInt8], limit: Int, reference: Bool) -> ([UInt8], Int) {
        var buffer = ByteBuffer()
        var calls = 0
        var span = POP3ByteStuffing()
        var line = LineByLineStuffing()
        while true {
            calls += 1
            let room = buffer.readableBytes + limit
            let done =
                reference
                ? line.write(content, into: &buffer, limit: room) : span.write(content, into: &buffer, limit: room)
            if done { break }
            if calls > content.count + 4 { break }
        }
        return (Array(buffer.readableBytesView), calls)
    }

    @Test(arguments: [1, 2, 3, 7, 64, 1000, 65_536])
    func spansGiveTheLineByLineBytes(limit: Int) {
        var random = SplitMix64(seed: UInt64(limit) &* 31)
        let alphabet: [UInt8] = Array("..\r\r\n\nabc \r\n\r\n".utf8)
        var contents: [[UInt8]] = [
            [], Array(".".utf8), Array("\r".utf8), Array("\n".utf8), Array("a\r".utf8), Array("x\r\n.\r\n".utf8),
            Array("\r\n\r\n".utf8), Array("..\r\n.\n.\r".utf8),
        ]
        for _ in 0..<300 {
            contents.append((0..<Int(random.next() % 200)).map { _ in alphabet[Int(random.next() % 14)] })
        }
        // Mail-like: long runs of clean CRLF lines, the odd dot line and bare LF.
        for _ in 0..<20 {
            var mail: [UInt8] = []
            for _ in 0..<Int(random.next() % 300) {
                let roll = random.next() % 20
                if roll == 0 { mail.append(UInt8(ascii: ".")) }
                mail += Array(repeating: UInt8(ascii: "x"), count: Int(random.next() % 90))
                mail += roll == 1 ? [10] : [13, 10]
            }
            contents.append(mail)
        }
        for content in contents {
            let (expected, _) = Self.stuffed(content, limit: limit, reference: true)
            let (actual, calls) = Self.stuffed(content, limit: limit, reference: false)
            #expect(actual == expected, "\(String(decoding: content.prefix(80), as: UTF8.self).debugDescription)")
            #expect(calls <= content.count + 2)
        }
    }

    /// A full chunk limit is kept: each call stops within a few bytes past it.
    @Test func eachCallStopsNearTheLimit() {
        let line = Array("abcdefghij\r\n".utf8)
        let content = Array((0..<1000).map { _ in line }.joined())
        var stuffing = POP3ByteStuffing()
        var done = false
        while !done {
            var buffer = ByteBuffer()
            done = stuffing.write(content, into: &buffer, limit: 100)
            #expect(buffer.readableBytes <= 102)
            if !done { #expect(buffer.readableBytes >= 100) }
        }
    }
}

/// The stuffing `POP3ByteStuffing` did before it copied spans (commit ea0c9d7), line by line: the reference.
struct LineByLineStuffing {
    private var offset = 0
    /// The next content byte starts a line (a `.` there is doubled).
    private var atLineStart = true

    init() {}

    /// Appends the stuffed bytes of `content` after what earlier calls wrote, stopping once `buffer` holds
    /// `limit` bytes or more (a line end may overshoot by one byte). Returns true when all of `content` is
    /// written, ending with `CRLF` (not the terminating `.`). Call with the same `content` each time.
    mutating func write(_ content: [UInt8], into buffer: inout ByteBuffer, limit: Int = .max) -> Bool {
        let cr = UInt8(ascii: "\r")
        let lf = UInt8(ascii: "\n")
        let dot = UInt8(ascii: ".")
        let count = content.count
        while buffer.readableBytes < limit, offset < count {
            if atLineStart, content[offset] == dot { buffer.writeInteger(dot) }
            atLineStart = false
            let room = max(1, limit - buffer.readableBytes)
            let segmentEnd = room >= count - offset ? count : offset + room
            // Look one byte past the segment, so a CR just before an LF is never split from it.
            let scanEnd = min(count, segmentEnd + 1)
            var lineEnd = offset
            while lineEnd < scanEnd, content[lineEnd] != lf { lineEnd += 1 }
            if lineEnd < scanEnd {
                // A whole line end: text without its CR, then CRLF.
                var textEnd = lineEnd
                if textEnd > offset, content[textEnd - 1] == cr { textEnd -= 1 }
                buffer.writeBytes(content[offset..<textEnd])
                buffer.writeBytes([cr, lf])
                offset = lineEnd + 1
                atLineStart = true
            } else {
                var writeEnd = segmentEnd
                if content[writeEnd - 1] == cr, writeEnd - 1 > offset || writeEnd == count {
                    // Hold back a CR that may precede the next segment's LF; at the end, drop it (the line
                    // gets CRLF below).
                    writeEnd -= 1
                    if writeEnd == count - 1, segmentEnd == count {
                        buffer.writeBytes(content[offset..<writeEnd])
                        offset = count
                        break
                    }
                }
                buffer.writeBytes(content[offset..<writeEnd])
                offset = writeEnd
            }
        }
        guard offset >= count else { return false }
        if !atLineStart {
            buffer.writeBytes([cr, lf])
            atLineStart = true
        }
        return true
    }
}
