import ListenerSupport
import NIOCore
import POP3Wire

/// A `RETR`/`TOP` answer produced as the client reads: the `+OK` line, the message byte-stuffed (RFC 1939
/// §3) a chunk at a time by `POP3ByteStuffing`, then `.`. Its bytes are the same as
/// `POP3ResponseEncoder.encode(.message…)`, which stuffs with the same code in one call (a test compares
/// them), but a 35 MB message is never encoded whole, so a thousand pipelined `RETR`s hold one chunk each
/// at a time.
struct POP3MessageOutput: MailOutputProducer {
    let status: String
    let content: [UInt8]
    private var statusWritten = false
    private var stuffing = POP3ByteStuffing()

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
        if !statusWritten {
            statusWritten = true
            buffer.writeString(POP3Response.message(status, content: []).statusLine)
            buffer.writeStaticString("\r\n")
        }
        guard stuffing.write(content, into: &buffer, limit: limit) else { return false }
        buffer.writeStaticString(".\r\n")
        return true
    }
}
