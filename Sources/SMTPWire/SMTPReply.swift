import NIOCore

/// An RFC 3463 enhanced status code (`5.7.3`).
public struct EnhancedStatusCode: Equatable, Sendable, CustomStringConvertible {
    public var klass: Int
    public var subject: Int
    public var detail: Int

    public init(_ klass: Int, _ subject: Int, _ detail: Int) {
        self.klass = klass
        self.subject = subject
        self.detail = detail
    }

    public var description: String { "\(klass).\(subject).\(detail)" }
}

/// An SMTP reply (RFC 5321 §4.2), typed: a three-digit code, an optional enhanced status code
/// (RFC 2034; it prefixes the text of every line), and one or more lines of text.
public struct SMTPReply: Equatable, Sendable {
    public var code: Int
    public var enhanced: EnhancedStatusCode?
    public var lines: [String]

    public init(_ code: Int, _ enhanced: EnhancedStatusCode? = nil, _ text: String) {
        self.code = code
        self.enhanced = enhanced
        self.lines = [text]
    }

    /// A multi-line reply (EHLO): `250-first`, ..., `250 last`.
    public init(_ code: Int, lines: [String]) {
        self.code = code
        self.enhanced = nil
        self.lines = lines.isEmpty ? [""] : lines
    }

    /// Each line as sent, without CRLF. A line of text stays one line whatever it holds: a CR, LF, NUL or
    /// other control character (client bytes quoted in a reply, such as an unknown verb sent with a bare
    /// CR) goes out as `?`, so no reply is split in two and none carries bytes a client would misread.
    public var wireLines: [String] {
        let prefix = enhanced.map { "\($0) " } ?? ""
        return lines.enumerated().map { index, text in
            let separator = index == lines.count - 1 ? " " : "-"
            let body = Self.oneLine(prefix + text)
            return "\(code)\(separator)\(body)"
        }
    }

    /// `text` with every control character (C0 and DEL) replaced by `?`.
    static func oneLine(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return text }
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            scalars.append(scalar.value < 0x20 || scalar.value == 0x7F ? "?" : scalar)
        }
        return String(scalars)
    }

    /// The last line as sent (what clients show as the error), for tests and the journal.
    public var statusLine: String { wireLines.last ?? "\(code)" }

    /// Positive completion or intermediate (2xx, 3xx).
    public var isPositive: Bool { code < 400 }
}

/// Writes `SMTPReply`s in wire form.
public enum SMTPReplyEncoder {
    public static func encode(_ reply: SMTPReply, into buffer: inout ByteBuffer) {
        for line in reply.wireLines {
            buffer.writeString(line)
            buffer.writeStaticString("\r\n")
        }
    }

    public static func bytes(_ reply: SMTPReply) -> [UInt8] {
        var buffer = ByteBuffer()
        encode(reply, into: &buffer)
        return Array(buffer.readableBytesView)
    }
}
