import ExomockLimits
import NIOCore

/// One framed unit of POP3 client input.
public enum POP3Frame: Equatable, Sendable {
    /// A complete line without its line ending (`CRLF` or a bare `LF`).
    case line([UInt8])
    /// A line longer than the limit. Its bytes were discarded as they arrived (memory stays bounded by
    /// the limit); the framer resumes after the line's end. `length` counts the discarded bytes.
    case lineTooLong(length: Int)
}

/// Splits client bytes into lines, bounded by `Limits.pop3MaximumLineLength`.
///
/// Crossing the limit is recoverable by design: the framer stops keeping bytes, skips to the next
/// `LF` and reports one `.lineTooLong`; the session answers `-ERR` and the connection stays usable.
/// At no time does it hold more than `maximumLineLength` bytes of one line. It remembers how far it
/// scanned, so a line delivered one byte at a time is scanned once (no quadratic rescans).
public struct POP3LineFramer: Sendable {
    public let maximumLineLength: Int
    private var pending: [UInt8] = []
    /// Inside an over-long line: bytes dropped so far, waiting for its `LF`.
    private var discarding: Int?

    public init(maximumLineLength: Int = Limits.pop3MaximumLineLength) {
        self.maximumLineLength = maximumLineLength
        pending.reserveCapacity(256)
    }

    /// Bytes held for an incomplete line.
    public var bufferedByteCount: Int { pending.count }

    /// Forgets everything buffered (STLS: plaintext pipelined after the command is discarded).
    public mutating func reset() {
        pending.removeAll(keepingCapacity: true)
        discarding = nil
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
            if let dropped = discarding {
                if newline != nil {
                    frames.append(.lineTooLong(length: dropped + chunk.count + 1))
                    discarding = nil
                } else {
                    discarding = dropped + chunk.count
                }
            } else if pending.count + chunk.count + (newline == nil ? 0 : 1) > maximumLineLength {
                // The line (LF included) does not fit: drop what we hold and skip to its end.
                let dropped = pending.count + chunk.count
                pending.removeAll(keepingCapacity: true)
                if newline != nil {
                    frames.append(.lineTooLong(length: dropped + 1))
                } else {
                    discarding = dropped
                }
            } else {
                pending.append(contentsOf: chunk)
                if newline != nil {
                    if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
                    frames.append(.line(pending))
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
