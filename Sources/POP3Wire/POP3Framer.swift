import ExomockLimits
import NIOCore

/// One framed unit of POP3 client input.
public enum POP3Frame: Equatable, Sendable {
    /// A complete line without its line ending (`CRLF` or a bare `LF`).
    case line([UInt8])
    /// A line longer than the limit. Its bytes were discarded as they arrived (memory stays bounded by
    /// the limit); the framer resumes after the line's end. `length` counts the discarded bytes.
    case lineTooLong(length: Int)
    /// An `AUTH` line, or the SASL response line after one, longer than its own, larger limit
    /// (`Limits.pop3MaximumAuthenticateLineLength`). Discarded the same way.
    case authenticateLineTooLong(length: Int)
}

/// Splits client bytes into lines, bounded by `Limits.pop3MaximumLineLength`.
///
/// Crossing the limit is recoverable by design: the framer stops keeping bytes, skips to the next
/// `LF` and reports one `.lineTooLong`; the session answers `-ERR` and the connection stays usable.
/// At no time does it hold more than `maximumLineLength` bytes of one line. It remembers how far it
/// scanned, so a line delivered one byte at a time is scanned once (no quadratic rescans).
///
/// SASL lines get a larger limit (`maximumAuthenticateLineLength`): an `AUTH` command line (its
/// XOAUTH2 initial response carries a whole access token) and the line after an `AUTH <mechanism>`
/// without an initial response (the response to the `+ ` challenge).
public struct POP3LineFramer: Sendable {
    public let maximumLineLength: Int
    public let maximumAuthenticateLineLength: Int
    private var pending: [UInt8] = []
    /// Inside an over-long line: bytes dropped so far, waiting for its `LF`, and whether it was a SASL line.
    private var discarding: (count: Int, authenticate: Bool)?
    /// The previous line was `AUTH <mechanism>`: this one is the SASL response.
    private var saslResponseNext = false

    public init(
        maximumLineLength: Int = Limits.pop3MaximumLineLength,
        maximumAuthenticateLineLength: Int = Limits.pop3MaximumAuthenticateLineLength
    ) {
        self.maximumLineLength = maximumLineLength
        self.maximumAuthenticateLineLength = max(maximumLineLength, maximumAuthenticateLineLength)
        pending.reserveCapacity(256)
    }

    /// `AUTH ` at the start of a line, in any case.
    static func startsWithAUTH<Bytes: Collection>(_ head: Bytes) -> Bool where Bytes.Element == UInt8 {
        let verb = Array("AUTH ".utf8)
        guard head.count >= verb.count else { return false }
        for (b, v) in zip(head, verb) where (b >= 97 && b <= 122 ? b - 32 : b) != v { return false }
        return true
    }

    /// The line being read (held bytes, then `chunk`) is an `AUTH` line or a SASL response.
    private func isSASLLine<Bytes: Collection>(_ chunk: Bytes) -> Bool where Bytes.Element == UInt8 {
        saslResponseNext || Self.startsWithAUTH(Array(pending.prefix(8)) + Array(chunk.prefix(8)))
    }

    /// `AUTH <mechanism>` with nothing after it: a SASL response line follows.
    static func isAUTHWithoutResponse(_ line: [UInt8]) -> Bool {
        guard startsWithAUTH(line) else { return false }
        let words = line.split(separator: 32)
        return words.count == 2
    }

    /// Bytes held for an incomplete line.
    public var bufferedByteCount: Int { pending.count }

    /// Forgets everything buffered (STLS: plaintext pipelined after the command is discarded).
    public mutating func reset() {
        pending.removeAll(keepingCapacity: true)
        discarding = nil
        saslResponseNext = false
    }

    /// Appends `bytes` and returns the frames they complete, in order.
    public mutating func feed<Bytes: Collection>(_ bytes: Bytes) -> [POP3Frame] where Bytes.Element == UInt8 {
        var frames: [POP3Frame] = []
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let rest = bytes[index...]
            let newline = rest.firstIndex(of: UInt8(ascii: "\n"))
            let chunkEnd = newline ?? bytes.endIndex
            let chunk = bytes[index..<chunkEnd]
            let lineSize = pending.count + chunk.count + (newline == nil ? 0 : 1)
            if let dropped = discarding {
                if newline != nil {
                    let length = dropped.count + chunk.count + 1
                    frames.append(
                        dropped.authenticate ? .authenticateLineTooLong(length: length) : .lineTooLong(length: length))
                    discarding = nil
                    saslResponseNext = false
                } else {
                    discarding = (dropped.count + chunk.count, dropped.authenticate)
                }
            } else if lineSize > maximumLineLength, case let authenticate = isSASLLine(chunk),
                !authenticate || lineSize > maximumAuthenticateLineLength
            {
                // The line (LF included) does not fit: drop what we hold and skip to its end.
                let dropped = pending.count + chunk.count
                pending.removeAll(keepingCapacity: true)
                if newline != nil {
                    frames.append(
                        authenticate ? .authenticateLineTooLong(length: dropped + 1) : .lineTooLong(length: dropped + 1)
                    )
                    saslResponseNext = false
                } else {
                    discarding = (dropped, authenticate)
                }
            } else {
                pending.append(contentsOf: chunk)
                if newline != nil {
                    if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
                    frames.append(.line(pending))
                    saslResponseNext = !saslResponseNext && Self.isAUTHWithoutResponse(pending)
                    pending.removeAll(keepingCapacity: true)
                }
            }
            guard let newline else { break }
            index = bytes.index(after: newline)
        }
        return frames
    }

    /// Convenience for a `ByteBuffer`'s readable bytes (consumes them).
    public mutating func feed(buffer: inout ByteBuffer) -> [POP3Frame] {
        let frames = feed(buffer.readableBytesView)
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        return frames
    }
}
