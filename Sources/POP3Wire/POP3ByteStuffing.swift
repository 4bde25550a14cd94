import NIOCore

/// RFC 1939 §3 byte-stuffing of a message body, resumable: a `.` at the start of a line is doubled, bare `LF`
/// becomes `CRLF`, and a final line without a line end gets one, so the terminator always starts a line.
/// `POP3ResponseEncoder` stuffs a whole message in one call; the POP3 server's streamed `RETR` answer calls it
/// a chunk at a time (a 35 MB message is never encoded whole). The same code, so the two cannot differ.
public struct POP3ByteStuffing: Sendable {
    private var offset = 0
    /// The next content byte starts a line (a `.` there is doubled).
    private var atLineStart = true

    public init() {}

    /// Appends the stuffed bytes of `content` after what earlier calls wrote, stopping once `buffer` holds
    /// `limit` bytes or more (a line end may overshoot by one byte). Returns true when all of `content` is
    /// written, ending with `CRLF` (not the terminating `.`). Call with the same `content` each time.
    public mutating func write(_ content: [UInt8], into buffer: inout ByteBuffer, limit: Int = .max) -> Bool {
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
