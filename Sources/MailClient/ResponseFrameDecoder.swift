import Determinism
import ExomockLimits
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// One unit a mail server sends: a line, and for IMAP the literals (`{N}` then N bytes) it carries,
/// up to the CRLF that ends the whole response.
public struct ResponseFrame: Sendable {
    /// The text with each literal's bytes left out (the `{N}` markers stay), without the final CRLF.
    public var text: String
    /// The literals, in order; empty when the decoder only counted them (`ResponseFrameDecoder.keepLiterals`).
    public var literals: [ByteBuffer]
    /// Bytes of literal data in this frame (kept in `literals` or only counted).
    public var literalBytes: Int
    /// On the lone `.` that ends a POP3 body the decoder counted (`MailConnection.send(_:expectingBody:)`):
    /// the body's bytes, dot-unstuffed, each line with its CRLF.
    public var bodyBytes: Int

    /// `literalBytes` nil: the bytes of `literals`.
    public init(text: String, literals: [ByteBuffer] = [], literalBytes: Int? = nil, bodyBytes: Int = 0) {
        self.text = text
        self.literals = literals
        self.literalBytes = literalBytes ?? literals.reduce(0) { $0 + $1.readableBytes }
        self.bodyBytes = bodyBytes
    }
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
    /// false: literal bytes are counted and dropped as they arrive (`ResponseFrame.literalBytes`), never
    /// kept, so the read buffer is never held by a frame and never copied whole (a load generator's FETCH).
    let keepLiterals: Bool
    /// Set by the client before a POP3 `RETR`/`TOP`: the body after its `+OK` is counted here, not framed
    /// line by line (a 10 KiB message is ~140 lines).
    let bodyMode: BodyMode?
    private var text = ""
    private var pieces: [ByteBuffer] = []
    private var literalBytes = 0
    /// Bytes of the literal still to come.
    private var pendingLiteral: Int?
    /// Bytes of the POP3 body being counted.
    private var bodyCount: Int?

    init(literals: Bool, keepLiterals: Bool = true, bodyMode: BodyMode? = nil) {
        self.literals = literals
        self.keepLiterals = keepLiterals
        self.bodyMode = bodyMode
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if let count = bodyCount { return try countBody(context: context, buffer: &buffer, count: count) }
        if let remaining = pendingLiteral {
            if keepLiterals {
                guard let slice = buffer.readSlice(length: remaining) else { return .needMoreData }
                pieces.append(slice)
            } else {
                let skipped = min(remaining, buffer.readableBytes)
                buffer.moveReaderIndex(forwardBy: skipped)
                guard skipped == remaining else {
                    pendingLiteral = remaining - skipped
                    return .needMoreData
                }
            }
            pendingLiteral = nil
        }
        guard let (length, lineLength) = Self.nextLine(in: buffer) else {
            if buffer.readableBytes > Limits.clientMaximumLineLength {
                throw MailClientError.tooLarge("a response line")
            }
            return .needMoreData
        }
        let size =
            literals
            ? buffer.withUnsafeReadableBytes { Self.literalSize(atEndOf: .init(rebasing: $0[..<lineLength])) } : nil
        text += buffer.getString(at: buffer.readerIndex, length: lineLength) ?? ""
        buffer.moveReaderIndex(forwardBy: length)
        if let size {
            guard size <= Limits.clientMaximumLiteralSize else {
                throw MailClientError.tooLarge("a literal of \(size) bytes")
            }
            pendingLiteral = size
            literalBytes += size
            return .continue
        }
        if let bodyMode, bodyMode.expecting {
            bodyMode.expecting = false
            if text.hasPrefix("+OK") { bodyCount = 0 }
        }
        context.fireChannelRead(wrapInboundOut(ResponseFrame(text: text, literals: pieces, literalBytes: literalBytes)))
        text = ""
        pieces = []
        literalBytes = 0
        return .continue
    }

    /// The first line in `buffer`: its length with the LF, and without the line end (LF or CRLF).
    static func nextLine(in buffer: ByteBuffer) -> (length: Int, text: Int)? {
        buffer.withUnsafeReadableBytes { bytes in
            guard let newline = Self.newline(in: bytes, from: 0) else { return nil }
            let text = newline > 0 && bytes[newline - 1] == UInt8(ascii: "\r") ? newline - 1 : newline
            return (newline + 1, text)
        }
    }

    /// The offset of the first LF at or after `start`.
    static func newline(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard start < bytes.count, let base = bytes.baseAddress,
            let found = memchr(base + start, Int32(UInt8(ascii: "\n")), bytes.count - start)
        else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

    /// The lines of a POP3 body, counted (dot-unstuffed, each with CRLF) up to the lone `.` that ends it,
    /// all that `buffer` holds in one call.
    private mutating func countBody(context: ChannelHandlerContext, buffer: inout ByteBuffer, count: Int) throws
        -> DecodingState
    {
        let (consumed, total, ended) = Self.countBodyLines(buffer, from: count)
        buffer.moveReaderIndex(forwardBy: consumed)
        guard ended else {
            bodyCount = total
            if buffer.readableBytes > Limits.clientMaximumLineLength {
                throw MailClientError.tooLarge("a response line")
            }
            return .needMoreData
        }
        bodyCount = nil
        context.fireChannelRead(wrapInboundOut(ResponseFrame(text: ".", bodyBytes: total)))
        return .continue
    }

    /// Counts whole body lines from the start of `buffer` onto `count`: the bytes read (up to and
    /// including the lone `.` line when `ended`), and the count so far.
    static func countBodyLines(_ buffer: ByteBuffer, from count: Int) -> (consumed: Int, count: Int, ended: Bool) {
        buffer.withUnsafeReadableBytes { bytes in
            var count = count
            var start = 0
            while let newline = Self.newline(in: bytes, from: start) {
                var length = newline - start
                if length > 0, bytes[newline - 1] == UInt8(ascii: "\r") { length -= 1 }
                let dotted = length > 0 && bytes[start] == UInt8(ascii: ".")
                start = newline + 1
                if dotted, length == 1 { return (start, count, true) }
                count += (dotted ? length - 1 : length) + 2
            }
            return (start, count, false)
        }
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }

    /// N when a line ends in `{N}` (or `{N+}`), N of 1 to 12 ASCII digits.
    static func literalSize(atEndOf line: UnsafeRawBufferPointer) -> Int? {
        guard var end = line.indices.last, line[end] == UInt8(ascii: "}") else { return nil }
        if end > 0, line[end - 1] == UInt8(ascii: "+") { end -= 1 }
        var value = 0
        var digits = 0
        var index = end - 1
        while index >= 0, line[index] >= UInt8(ascii: "0"), line[index] <= UInt8(ascii: "9") {
            digits += 1
            index -= 1
        }
        guard digits > 0, digits <= 12, index >= 0, line[index] == UInt8(ascii: "{") else { return nil }
        for digit in line[(index + 1)..<end] { value = value * 10 + Int(digit - UInt8(ascii: "0")) }
        return value
    }

    /// `literalSize(atEndOf:)` of a string (tests).
    static func literalSize(atEndOf line: String) -> Int? {
        Array(line.utf8).withUnsafeBytes { literalSize(atEndOf: $0) }
    }
}
