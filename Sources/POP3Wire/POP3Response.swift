import NIOCore

/// A POP3 server response, typed. The encoder writes the wire form.
public enum POP3Response: Equatable, Sendable {
    /// `+OK` or `+OK text`.
    case ok(String)
    /// `-ERR text`.
    case err(String)
    /// A SASL challenge: `+ ` followed by base64 (empty for XOAUTH2's first step: `+ `).
    case challenge(String)
    /// `+OK status`, then each line byte-stuffed, then `.` (CAPA, LIST, UIDL).
    case multiline(String, lines: [String])
    /// `+OK status`, then the message bytes byte-stuffed with CRLF line ends, then `.` (RETR, TOP).
    case message(String, content: [UInt8])

    /// The first line as sent, without CRLF (tests and the journal).
    public var statusLine: String {
        switch self {
        case .ok(let text), .multiline(let text, _), .message(let text, _): text.isEmpty ? "+OK" : "+OK \(text)"
        case .err(let text): "-ERR \(text)"
        case .challenge(let text): "+ \(text)"
        }
    }
}

/// Writes `POP3Response`s in wire form (RFC 1939 §3: CRLF line ends, byte-stuffing of lines that begin
/// with `.`, and the `.` CRLF terminator of multi-line responses).
public enum POP3ResponseEncoder {
    public static func encode(_ response: POP3Response, into buffer: inout ByteBuffer) {
        buffer.writeString(response.statusLine)
        buffer.writeStaticString("\r\n")
        switch response {
        case .ok, .err, .challenge:
            return
        case .multiline(_, let lines):
            for line in lines {
                if line.utf8.first == UInt8(ascii: ".") { buffer.writeStaticString(".") }
                buffer.writeString(line)
                buffer.writeStaticString("\r\n")
            }
        case .message(_, let content):
            buffer.reserveCapacity(minimumWritableBytes: content.count + content.count / 32 + 8)
            var stuffing = POP3ByteStuffing()
            _ = stuffing.write(content, into: &buffer)
        }
        buffer.writeStaticString(".\r\n")
    }

    /// The wire bytes of one response.
    public static func bytes(_ response: POP3Response) -> [UInt8] {
        var buffer = ByteBuffer()
        encode(response, into: &buffer)
        return Array(buffer.readableBytesView)
    }
}

/// Pure helpers on RFC 5322 message bytes.
public enum POP3MessageText {
    /// `TOP n m` (RFC 1939 §7): the header, the blank line after it, and the first `bodyLines` lines of
    /// the body. A message without a blank line is all header.
    public static func top(of content: [UInt8], bodyLines: Int) -> [UInt8] {
        let lf = UInt8(ascii: "\n")
        let cr = UInt8(ascii: "\r")
        // Walk lines; the header ends at the first empty line.
        var index = 0
        var headerEnd: Int?
        while index < content.count {
            var end = index
            while end < content.count, content[end] != lf { end += 1 }
            let isEmpty = end == index || (end == index + 1 && content[index] == cr)
            let next = min(end + 1, content.count)
            if isEmpty {
                headerEnd = next
                break
            }
            index = next
        }
        guard var cut = headerEnd else { return content }
        var remaining = bodyLines
        while remaining > 0, cut < content.count {
            var end = cut
            while end < content.count, content[end] != lf { end += 1 }
            cut = min(end + 1, content.count)
            remaining -= 1
        }
        return Array(content[..<cut])
    }
}
