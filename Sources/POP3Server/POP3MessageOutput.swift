import ListenerSupport
import NIOCore
import POP3Wire

/// A `RETR`/`TOP` answer produced as the client reads: the `+OK` line, the message byte-stuffed (RFC 1939
/// §3) a chunk at a time, then `.`. Its bytes are the same as `POP3ResponseEncoder.encode(.message…)`
/// (a test compares them), but a 35 MB message is never encoded whole, so a thousand pipelined `RETR`s
/// hold one chunk each at a time.
struct POP3MessageOutput: MailOutputProducer {
    let status: String
    let content: [UInt8]
    private var offset = 0
    private var statusWritten = false
    /// The next content byte starts a line (a `.` there is doubled).
    private var atLineStart = true

    init(status: String, content: [UInt8]) {
        self.status = status
        self.content = content
    }

    /// The output for a response: produced for message bodies, encoded at once for the rest.
    static func output(_ response: POP3Response) -> MailOutput {
        if case .message(let status, let content) = response {
            return .produced(POP3MessageOutput(status: status, content: content))
        }
        var buffer = ByteBuffer()
        POP3ResponseEncoder.encode(response, into: &buffer)
        return .bytes(buffer)
    }

    mutating func produce(into buffer: inout ByteBuffer, limit: Int) -> Bool {
        let cr = UInt8(ascii: "\r")
        let lf = UInt8(ascii: "\n")
        let dot = UInt8(ascii: ".")
        if !statusWritten {
            statusWritten = true
            buffer.writeString(POP3Response.message(status, content: []).statusLine)
            buffer.writeStaticString("\r\n")
        }
        let count = content.count
        while buffer.readableBytes < limit, offset < count {
            if atLineStart, content[offset] == dot { buffer.writeInteger(dot) }
            atLineStart = false
            let segmentEnd = min(count, offset + max(1, limit - buffer.readableBytes))
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
                    // gets CRLF below, as the encoder does).
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
        buffer.writeStaticString(".\r\n")
        return true
    }
}
