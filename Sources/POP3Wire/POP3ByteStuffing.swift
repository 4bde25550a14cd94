import Foundation
import NIOCore

/// RFC 1939 §3 byte-stuffing of a message body, resumable: a `.` at the start of a line is doubled, bare `LF`
/// becomes `CRLF`, and a final line without a line end gets one, so the terminator always starts a line.
/// `POP3ResponseEncoder` stuffs a whole message in one call; the POP3 server's streamed `RETR` answer calls it
/// a chunk at a time (a 35 MB message is never encoded whole). The same code, so the two cannot differ.
///
/// Lines that need nothing (a CRLF line end, no `.` after it: nearly every line of real mail) are copied as
/// one span up to the next line that does, found with `memchr`, not line by line.
public struct POP3ByteStuffing: Sendable {
    private var offset = 0
    /// The next content byte starts a line (a `.` there is doubled).
    private var atLineStart = true
    /// The final line end is written (a further call writes nothing).
    private var finished = false

    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")
    private static let dot = UInt8(ascii: ".")

    public init() {}

    /// Appends the stuffed bytes of `content` after what earlier calls wrote, stopping once `buffer` holds
    /// `limit` bytes or more (a line end may overshoot by a few bytes). Returns true when all of `content` is
    /// written, ending with `CRLF` (not the terminating `.`). Call with the same `content` each time.
    public mutating func write(_ content: [UInt8], into buffer: inout ByteBuffer, limit: Int = .max) -> Bool {
        content.withUnsafeBufferPointer { write($0, into: &buffer, limit: limit) }
    }

    private mutating func write(_ p: UnsafeBufferPointer<UInt8>, into buffer: inout ByteBuffer, limit: Int) -> Bool {
        let count = p.count
        while buffer.readableBytes < limit, offset < count {
            if atLineStart, p[offset] == Self.dot { buffer.writeInteger(Self.dot) }
            atLineStart = false
            let stop = offset + min(count - offset, max(1, limit - buffer.readableBytes))
            // [offset, end) goes out as it is; then a bare LF (at `end`) becomes CRLF when `bareLF`.
            var end = count
            var bareLF = false
            var i = offset
            while i < count, let found = memchr(p.baseAddress! + i, Int32(Self.lf), count - i) {
                let l = p.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
                if l == 0 || p[l - 1] != Self.cr {
                    (end, bareLF) = (l, true)
                    break
                }
                i = l + 1
                // A `.` starting the next line, or a full chunk: the span ends after this line end.
                if i >= stop || (i < count && p[i] == Self.dot) {
                    end = i
                    break
                }
            }
            if end > stop {
                (end, bareLF) = (stop, false)
            }
            buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: p[offset..<end])))
            offset = end
            if bareLF {
                buffer.writeInteger(UInt16(0x0D0A))
                offset += 1
                atLineStart = true
            } else {
                atLineStart = p[end - 1] == Self.lf
            }
        }
        guard offset >= count else { return false }
        if !finished, count > 0, p[count - 1] != Self.lf {
            // The last line has no line end: a final CR gets its LF, anything else CRLF.
            if p[count - 1] == Self.cr {
                buffer.writeInteger(Self.lf)
            } else {
                buffer.writeInteger(UInt16(0x0D0A))
            }
        }
        finished = true
        return true
    }
}
