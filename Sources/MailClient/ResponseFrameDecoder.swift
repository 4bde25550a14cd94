import Determinism
import ExomockLimits
import NIOCore

/// One unit a mail server sends: a line, and for IMAP the literals (`{N}` then N bytes) it carries,
/// up to the CRLF that ends the whole response.
public struct ResponseFrame: Sendable {
    /// The text with each literal's bytes left out (the `{N}` markers stay), without the final CRLF.
    public var text: String
    /// The literals, in order.
    public var literals: [ByteBuffer]
    /// On the lone `.` that ends a POP3 body the decoder counted (`MailConnection.send(_:expectingBody:)`):
    /// the body's bytes, dot-unstuffed, each line with its CRLF.
    public var bodyBytes: Int

    public init(text: String, literals: [ByteBuffer] = [], bodyBytes: Int = 0) {
        self.text = text
        self.literals = literals
        self.bodyBytes = bodyBytes
    }

    /// Bytes of literal data in this frame.
    public var literalBytes: Int { literals.reduce(0) { $0 + $1.readableBytes } }
}

/// Why a client stopped reading.
public enum MailClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server closed the connection.
    case closed
    /// No answer within the read timeout (real seconds).
    case timedOut(seconds: Double)
    /// A line or literal passed the client's limit.
    case tooLarge(String)
    /// Connect or TLS failed.
    case connectFailed(String)
    /// The server answered something the client cannot follow.
    case protocolViolation(String)

    public var description: String {
        switch self {
        case .closed: "the server closed the connection"
        case .timedOut(let s): "no answer within \(DurationText.format(seconds: s))"
        case .tooLarge(let what): "\(what) is larger than the client accepts"
        case .connectFailed(let why): "could not connect: \(why)"
        case .protocolViolation(let why): why
        }
    }
}

/// Whether the next `+OK` answer carries a POP3 body to count. Lives on the channel's event loop.
final class BodyMode {
    var expecting = false
}

/// Splits a server's bytes into frames. `literals: true` (IMAP) follows `{N}` at a line's end into
/// N bytes of data and on to the line's real end; `false` (POP3) frames plain lines.
struct ResponseFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ResponseFrame

    let literals: Bool
    /// Set by the client before a POP3 `RETR`/`TOP`: the body after its `+OK` is counted here, not framed
    /// line by line (a 10 KiB message is ~140 lines).
    let bodyMode: BodyMode?
    private var text = ""
    private var pieces: [ByteBuffer] = []
    private var pendingLiteral: Int?
    /// Bytes of the POP3 body being counted.
    private var bodyCount: Int?

    init(literals: Bool, bodyMode: BodyMode? = nil) {
        self.literals = literals
        self.bodyMode = bodyMode
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if let count = bodyCount { return try countBodyLine(context: context, buffer: &buffer, count: count) }
        if let length = pendingLiteral {
            guard buffer.readableBytes >= length, let slice = buffer.readSlice(length: length) else {
                return .needMoreData
            }
            pieces.append(slice)
            pendingLiteral = nil
        }
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > Limits.clientMaximumLineLength {
                throw MailClientError.tooLarge("a response line")
            }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex
        guard var line = buffer.readString(length: length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 1)
        if line.hasSuffix("\r") { line.removeLast() }
        text += line
        if literals, let size = Self.literalSize(atEndOf: line) {
            guard size <= Limits.clientMaximumLiteralSize else {
                throw MailClientError.tooLarge("a literal of \(size) bytes")
            }
            pendingLiteral = size
            return .continue
        }
        if let bodyMode, bodyMode.expecting {
            bodyMode.expecting = false
            if text.hasPrefix("+OK") { bodyCount = 0 }
        }
        context.fireChannelRead(wrapInboundOut(ResponseFrame(text: text, literals: pieces)))
        text = ""
        pieces = []
        return .continue
    }

    /// One line of a POP3 body: counted (dot-unstuffed, with CRLF), or the lone `.` that ends it.
    private mutating func countBodyLine(context: ChannelHandlerContext, buffer: inout ByteBuffer, count: Int) throws
        -> DecodingState
    {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > Limits.clientMaximumLineLength {
                throw MailClientError.tooLarge("a response line")
            }
            return .needMoreData
        }
        let start = buffer.readerIndex
        var length = newline - start
        if length > 0, buffer.getInteger(at: newline - 1, as: UInt8.self) == UInt8(ascii: "\r") { length -= 1 }
        let dotted = length > 0 && buffer.getInteger(at: start, as: UInt8.self) == UInt8(ascii: ".")
        buffer.moveReaderIndex(to: newline + 1)
        if dotted, length == 1 {
            bodyCount = nil
            context.fireChannelRead(wrapInboundOut(ResponseFrame(text: ".", bodyBytes: count)))
        } else {
            bodyCount = count + (dotted ? length - 1 : length) + 2
        }
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }

    /// N when a line ends in `{N}` (or `{N+}`).
    static func literalSize(atEndOf line: String) -> Int? {
        guard line.hasSuffix("}"), let open = line.lastIndex(of: "{") else { return nil }
        var digits = line[line.index(after: open)..<line.index(before: line.endIndex)]
        if digits.hasSuffix("+") { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.count <= 12, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else {
            return nil
        }
        return Int(digits)
    }
}
