import ExomockLimits

/// One framed unit of SMTP client input.
public enum SMTPFrame: Equatable, Sendable {
    /// A command line (or SASL response) without its CRLF.
    case line([UInt8])
    /// A line longer than its limit. Its bytes were dropped as they arrived; `length` counts them
    /// (the LF included). `authenticate` is true for an `AUTH` line or a SASL response.
    case lineTooLong(length: Int, authenticate: Bool)
    /// A command line ended by a bare LF (RFC 5321 §2.3.8 requires CRLF). The line is dropped.
    case bareLineFeed
    /// The end of a `DATA` section (`CRLF . CRLF`), with what was read.
    case message(SMTPMessageData)
}

/// What a `DATA` section held, once its terminating `.` line arrived.
public enum SMTPMessageData: Equatable, Sendable {
    /// The message, dot-unstuffed (RFC 5321 §4.5.2), with CRLF line ends as sent.
    case complete([UInt8])
    /// More than the size limit: the bytes past it were counted, not kept.
    case tooLarge(size: Int)
    /// The message had a bare LF (a line feed without its carriage return); it was read to its end
    /// but is refused (the SMTP smuggling lesson: only `CRLF . CRLF` ends data, and a message with
    /// ambiguous line ends is not passed on).
    case bareLineFeed(size: Int)
}

/// Splits client bytes into SMTP command lines, and reads `DATA` sections, with bounded memory.
///
/// Input is pulled one frame at a time (`next()`), so the driver can switch the framer to `DATA`
/// (`beginData()`) right after the `354` and before any byte that follows is framed, and discard
/// everything buffered after `STARTTLS` (`reset()`).
///
/// Limits: a command line over `maximumLineLength` (an `AUTH` line or SASL response: over
/// `maximumAuthenticateLineLength`) is dropped as it arrives and reported once (`lineTooLong`); a
/// message over `maximumMessageSize` is counted and dropped past the limit. The framer never holds
/// more than one line, one message up to the limit, and the unread rest of one read.
public struct SMTPFramer: Sendable {
    public let maximumLineLength: Int
    public let maximumAuthenticateLineLength: Int
    public let maximumMessageSize: Int
    /// The session waits for a SASL response (after `334`): the next line gets the larger limit.
    public var expectingSASLResponse = false

    private var buffer: [UInt8] = []
    private var start = 0
    /// Where the search for the next LF resumes (bytes before it were scanned already).
    private var scanned = 0
    /// Inside an over-long line: bytes dropped so far, and whether it was a SASL line.
    private var discarding: (count: Int, authenticate: Bool)?
    private var data: DataReader?

    public init(
        maximumLineLength: Int = Limits.smtpMaximumLineLength,
        maximumAuthenticateLineLength: Int = Limits.smtpMaximumAuthenticateLineLength,
        maximumMessageSize: Int = Limits.smtpMaximumMessageSize
    ) {
        self.maximumLineLength = maximumLineLength
        self.maximumAuthenticateLineLength = max(maximumLineLength, maximumAuthenticateLineLength)
        self.maximumMessageSize = maximumMessageSize
    }

    /// Bytes held: unread input plus the message read so far.
    public var bufferedByteCount: Int { buffer.count - start + (data?.content.count ?? 0) }
    /// True between `beginData()` and the end of the message.
    public var isReadingData: Bool { data != nil }

    /// Adds bytes read from the client.
    public mutating func append<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if start > 0 {
            buffer.removeFirst(start)
            scanned -= start
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// From now on, input is message content until `CRLF . CRLF`.
    public mutating func beginData() {
        data = DataReader(limit: maximumMessageSize)
    }

    /// Forgets every buffered byte (after `STARTTLS`: plaintext pipelined behind it is never a command).
    public mutating func reset() {
        buffer.removeAll(keepingCapacity: true)
        start = 0
        scanned = 0
        discarding = nil
        data = nil
        expectingSASLResponse = false
    }

    /// The next complete frame, or nil when more input is needed.
    public mutating func next() -> SMTPFrame? {
        if data != nil { return nextData() }
        let lf = UInt8(ascii: "\n")
        if let dropped = discarding {
            guard let end = buffer[start...].firstIndex(of: lf) else {
                discarding = (dropped.count + buffer.count - start, dropped.authenticate)
                start = buffer.count
                scanned = start
                return nil
            }
            discarding = nil
            let length = dropped.count + end - start + 1
            start = end + 1
            scanned = start
            return .lineTooLong(length: length, authenticate: dropped.authenticate)
        }
        guard let end = buffer[max(start, scanned)...].firstIndex(of: lf) else {
            scanned = buffer.count
            let held = buffer.count - start
            let authenticate = isSASLLine(buffer[start...])
            // The line cannot fit any more (its LF still to come): stop keeping it.
            if held + 1 > (authenticate ? maximumAuthenticateLineLength : maximumLineLength) {
                discarding = (held, authenticate)
                start = buffer.count
                scanned = start
            }
            return nil
        }
        let line = buffer[start..<end]
        let length = end - start + 1
        start = end + 1
        scanned = start
        let authenticate = isSASLLine(line)
        if length > (authenticate ? maximumAuthenticateLineLength : maximumLineLength) {
            return .lineTooLong(length: length, authenticate: authenticate)
        }
        guard line.last == UInt8(ascii: "\r") else { return .bareLineFeed }
        return .line(Array(line.dropLast()))
    }

    private func isSASLLine(_ head: ArraySlice<UInt8>) -> Bool {
        expectingSASLResponse || Self.startsWithAUTH(head)
    }

    /// `AUTH ` at the start of a line, in any case.
    static func startsWithAUTH(_ head: ArraySlice<UInt8>) -> Bool {
        let verb = Array("AUTH ".utf8)
        guard head.count >= verb.count else { return false }
        for (b, v) in zip(head, verb) where (b >= 97 && b <= 122 ? b - 32 : b) != v { return false }
        return true
    }

    private mutating func nextData() -> SMTPFrame? {
        guard var reader = data else { return nil }
        data = nil  // no copy-on-write of the content while it grows
        let (consumed, finished) = reader.consume(buffer[start...])
        start += consumed
        scanned = start
        guard finished else {
            data = reader
            return nil
        }
        return .message(reader.outcome)
    }
}

/// Reads one `DATA` section byte by byte: dot-unstuffing at line starts, `CRLF . CRLF` as the only end,
/// the size limit, and bare line feeds noted.
struct DataReader: Sendable {
    enum Position: Sendable {
        /// After CRLF (or at the start): a `.` here is stuffing or the end.
        case lineStart
        case middle
        /// A CR was read and not yet written (it may begin a CRLF).
        case carriageReturn
        /// A `.` at a line start was read and dropped.
        case dot
        /// `.` then CR at a line start: LF ends the message.
        case dotCarriageReturn
    }

    let limit: Int
    var content: [UInt8] = []
    var size = 0
    var bareLineFeed = false
    var position = Position.lineStart

    init(limit: Int) {
        self.limit = limit
    }

    var outcome: SMTPMessageData {
        if size > limit { return .tooLarge(size: size) }
        if bareLineFeed { return .bareLineFeed(size: size) }
        return .complete(content)
    }

    private mutating func emit(_ byte: UInt8) {
        size += 1
        if size <= limit { content.append(byte) }
    }

    /// Reads bytes until the end of the message; returns how many were consumed and whether it ended.
    mutating func consume(_ bytes: ArraySlice<UInt8>) -> (Int, Bool) {
        let cr = UInt8(ascii: "\r")
        let lf = UInt8(ascii: "\n")
        let dot = UInt8(ascii: ".")
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if position == .middle {
                // Fast path: copy the run up to the next CR or LF in one go.
                let end = bytes[index...].firstIndex { $0 == cr || $0 == lf } ?? bytes.endIndex
                emit(bytes[index..<end])
                index = end
                if index == bytes.endIndex { break }
            }
            let byte = bytes[index]
            index += 1
            switch position {
            case .lineStart:
                if byte == dot {
                    position = .dot
                } else {
                    plain(byte)
                }
            case .middle:
                plain(byte)
            case .carriageReturn:
                if byte == lf {
                    emit(cr)
                    emit(lf)
                    position = .lineStart
                } else {
                    emit(cr)
                    plain(byte)
                }
            case .dot:
                if byte == cr {
                    position = .dotCarriageReturn
                } else {
                    plain(byte)  // the leading dot is dropped (unstuffed)
                }
            case .dotCarriageReturn:
                if byte == lf { return (index - bytes.startIndex, true) }
                // `.` CR x: the dot was stuffing; the CR is content.
                emit(cr)
                plain(byte)
            }
        }
        return (index - bytes.startIndex, false)
    }

    private mutating func emit(_ run: ArraySlice<UInt8>) {
        let room = max(0, limit - size)
        size += run.count
        content.append(contentsOf: run.prefix(room))
    }

    /// A byte outside any line-end sequence.
    private mutating func plain(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\r"):
            position = .carriageReturn
        case UInt8(ascii: "\n"):
            bareLineFeed = true
            emit(byte)
            position = .middle
        default:
            emit(byte)
            position = .middle
        }
    }
}
