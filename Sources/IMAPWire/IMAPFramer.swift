import ExomockLimits
import NIOCore

// Framing of IMAP client input (RFC 3501 §2.2, RFC 7888 LITERAL+): bytes → whole commands.
//
// A command is one line, or several when it carries literals: `a APPEND Inbox {310}\r\n<310 bytes>\r\n`.
// The framer collects a command with its literals inline (exactly as sent), so the parser sees one byte
// string. It tells its driver when a synchronising literal `{n}` needs the `+` continuation, and it
// enforces the named limits before buffering: the line length outside literals, the announced literal
// size (never pre-allocated), and the number of literals in one command.

/// Something the framer found in the input.
public enum IMAPFrame: Sendable, Equatable {
    /// A whole command, literals inline, without the final CRLF.
    case command([UInt8])
    /// The client announced a synchronising literal `{n}` and waits for `+` before sending it.
    case continuationNeeded
    /// The command broke a limit or could not be framed. Answer `<tag> BAD <text>` and go on reading:
    /// the framer has already skipped the rest of the command.
    case rejected(tag: String, reason: IMAPFramingError)
    /// The input cannot be resynchronised (a non-synchronising literal over the limit would be followed by
    /// bytes we cannot tell from commands). Send `* BYE` and close.
    case fatal(tag: String, reason: IMAPFramingError)
}

/// Why the framer rejected input. `description` is the text sent after BAD or BYE.
public enum IMAPFramingError: Sendable, Equatable, CustomStringConvertible {
    case lineTooLong(limit: Int)
    /// An `AUTHENTICATE` line or SASL response line over its own, larger limit.
    case authenticateLineTooLong(limit: Int)
    case literalTooLarge(size: String, limit: Int)
    case tooManyLiterals(limit: Int)

    public var description: String {
        switch self {
        case .lineTooLong(let limit):
            "Command Error. The command line is longer than \(limit) bytes (Limits.imapMaximumLineLength); send long values as literals."
        case .authenticateLineTooLong(let limit):
            "Command Error. The AUTHENTICATE line is longer than \(limit) bytes (Limits.imapMaximumAuthenticateLineLength); the access token is too large."
        case .literalTooLarge(let size, let limit):
            "Command Error. The literal of \(size) bytes is larger than \(limit) bytes (Limits.imapMaximumLiteralSize)."
        case .tooManyLiterals(let limit):
            "Command Error. The command has more than \(limit) literals (Limits.imapMaximumLiteralsPerCommand)."
        }
    }
}

public struct IMAPFramer: Sendable {
    public let maximumLineLength: Int
    /// The limit for `AUTHENTICATE` lines and SASL response lines (XOAUTH2 carries whole tokens).
    public let maximumAuthenticateLineLength: Int
    public let maximumLiteralSize: Int
    public let maximumLiteralsPerCommand: Int
    /// Set by the driver while the session waits for a SASL response after `+`: the next line is
    /// held to `maximumAuthenticateLineLength` instead of `maximumLineLength`.
    public var expectsSASLResponse = false

    enum State: Sendable, Equatable {
        /// Reading line bytes of the current command.
        case line
        /// Inside a literal with this many bytes to go.
        case literal(remaining: Int)
        /// Skipping to the end of an over-long line, then rejecting the command.
        case discardingLine(tag: String, reason: IMAPFramingError)
    }

    var state: State = .line
    /// The command so far (lines and literals).
    var current: [UInt8] = []
    /// Line bytes (outside literals) of the current command.
    var lineBytes = 0
    var literals = 0

    public init(
        maximumLineLength: Int = Limits.imapMaximumLineLength,
        maximumAuthenticateLineLength: Int = Limits.imapMaximumAuthenticateLineLength,
        maximumLiteralSize: Int = Limits.imapMaximumLiteralSize,
        maximumLiteralsPerCommand: Int = Limits.imapMaximumLiteralsPerCommand
    ) {
        self.maximumLineLength = maximumLineLength
        self.maximumAuthenticateLineLength = max(maximumLineLength, maximumAuthenticateLineLength)
        self.maximumLiteralSize = maximumLiteralSize
        self.maximumLiteralsPerCommand = maximumLiteralsPerCommand
    }

    /// True while a command is partly read (for the idle/BYE logic and tests).
    public var hasPartialCommand: Bool { !current.isEmpty || state != .line }

    /// Forgets any partial command (after STARTTLS, whose pipelined plaintext must be discarded).
    public mutating func reset() {
        state = .line
        current = []
        lineBytes = 0
        literals = 0
    }

    /// Consumes bytes from `buffer` and returns the next frame, or nil when more bytes are needed
    /// (then every readable byte has been consumed, so no byte is ever scanned twice).
    public mutating func next(from buffer: inout ByteBuffer) -> IMAPFrame? {
        while buffer.readableBytes > 0 {
            switch state {
            case .literal(let remaining):
                let take = min(remaining, buffer.readableBytes)
                current.append(contentsOf: buffer.readBytes(length: take) ?? [])
                state = take == remaining ? .line : .literal(remaining: remaining - take)

            case .discardingLine(let tag, let reason):
                if let lf = buffer.readableBytesView.firstIndex(of: 10) {
                    buffer.moveReaderIndex(to: lf + 1)
                    reset()
                    return .rejected(tag: tag, reason: reason)
                }
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)

            case .line:
                let view = buffer.readableBytesView
                let lf = view.firstIndex(of: 10)
                let take = (lf.map { $0 + 1 } ?? view.endIndex) - view.startIndex
                if lineBytes + take > maximumLineLength {
                    let head =
                        Array(current.prefix(64))
                        + (buffer.getBytes(at: buffer.readerIndex, length: min(take, 64)) ?? [])
                    let authenticateLine = expectsSASLResponse || (literals == 0 && Self.isAuthenticateCommand(head))
                    if authenticateLine, lineBytes + take <= maximumAuthenticateLineLength {
                        current.append(contentsOf: buffer.readBytes(length: take) ?? [])
                        lineBytes += take
                        guard lf != nil else { return nil }
                        if let frame = lineEnded() { return frame }
                        continue
                    }
                    let tag = Self.tag(of: head)
                    let reason: IMAPFramingError =
                        authenticateLine
                        ? .authenticateLineTooLong(limit: maximumAuthenticateLineLength)
                        : .lineTooLong(limit: maximumLineLength)
                    if let lf {
                        buffer.moveReaderIndex(to: lf + 1)
                        reset()
                        return .rejected(tag: tag, reason: reason)
                    }
                    buffer.moveReaderIndex(forwardBy: take)
                    current = []
                    state = .discardingLine(tag: tag, reason: reason)
                    continue
                }
                current.append(contentsOf: buffer.readBytes(length: take) ?? [])
                lineBytes += take
                guard lf != nil else { return nil }
                if let frame = lineEnded() { return frame }
            }
        }
        return nil
    }

    /// Called with `current` ending in LF: either the command is complete, or a literal follows.
    mutating func lineEnded() -> IMAPFrame? {
        var end = current.count - 1  // the LF
        if end > 0, current[end - 1] == 13 { end -= 1 }
        guard let header = Self.literalHeader(current, lineEnd: end) else {
            let command = Array(current[0..<end])
            reset()
            return .command(command)
        }
        let tag = Self.tag(of: current)
        literals += 1
        if literals > maximumLiteralsPerCommand {
            reset()
            return .rejected(tag: tag, reason: .tooManyLiterals(limit: maximumLiteralsPerCommand))
        }
        guard let size = header.size, size <= maximumLiteralSize else {
            let reason = IMAPFramingError.literalTooLarge(size: header.digits, limit: maximumLiteralSize)
            reset()
            // A synchronising literal is never sent without our `+`, so the client waits for the BAD.
            return header.synchronising ? .rejected(tag: tag, reason: reason) : .fatal(tag: tag, reason: reason)
        }
        state = size > 0 ? .literal(remaining: size) : .line
        return header.synchronising ? .continuationNeeded : nil
    }

    struct LiteralHeader {
        var digits: String
        var size: Int?
        var synchronising: Bool
    }

    /// `{123}` or `{123+}` at the end of the line (before CRLF). `size` is nil on overflow.
    static func literalHeader(_ line: [UInt8], lineEnd: Int) -> LiteralHeader? {
        var i = lineEnd - 1
        guard i >= 0, line[i] == UInt8(ascii: "}") else { return nil }
        i -= 1
        var synchronising = true
        if i >= 0, line[i] == UInt8(ascii: "+") {
            synchronising = false
            i -= 1
        }
        let digitsEnd = i + 1
        while i >= 0, line[i] >= 48, line[i] <= 57 { i -= 1 }
        guard i >= 0, line[i] == UInt8(ascii: "{"), digitsEnd > i + 1 else { return nil }
        let digitBytes = line[(i + 1)..<digitsEnd]
        let digits = String(decoding: digitBytes.prefix(20), as: UTF8.self) + (digitBytes.count > 20 ? "..." : "")
        var size = 0
        for d in digitBytes {
            let (m, o1) = size.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int(d - 48))
            if o1 || o2 { return LiteralHeader(digits: digits, size: nil, synchronising: synchronising) }
            size = s
        }
        return LiteralHeader(digits: digits, size: size, synchronising: synchronising)
    }

    /// True when `head` (the first bytes of a line) is `<tag> AUTHENTICATE ` in any case.
    static func isAuthenticateCommand(_ head: [UInt8]) -> Bool {
        guard let space = head.firstIndex(of: 32), space > 0 else { return false }
        let verb = Array("AUTHENTICATE ".utf8)
        let rest = head[(space + 1)...]
        guard rest.count >= verb.count else { return false }
        for (b, v) in zip(rest, verb) where (b >= 97 && b <= 122 ? b - 32 : b) != v { return false }
        return true
    }

    /// The tag of a (possibly broken) command line, or `*` when there is no usable tag.
    public static func tag(of bytes: [UInt8]) -> String {
        var tag: [UInt8] = []
        for b in bytes {
            if b == 32 { return tag.isEmpty ? "*" : String(decoding: tag, as: UTF8.self) }
            guard IMAPGrammar.isTagChar(b) else { return "*" }
            tag.append(b)
            if tag.count > 64 { return "*" }
        }
        // No space after it: not a command line we can answer by tag.
        return "*"
    }
}

/// Character classes of RFC 3501 §9.
public enum IMAPGrammar {
    /// ATOM-CHAR: any CHAR except atom-specials `(){ %*"\]` , CTL and SP.
    public static func isAtomChar(_ b: UInt8) -> Bool {
        guard b > 0x20, b < 0x7F else { return false }
        switch b {
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "{"), UInt8(ascii: "%"), UInt8(ascii: "*"),
            UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "]"):
            return false
        default: return true
        }
    }

    /// ASTRING-CHAR: ATOM-CHAR or `]`.
    public static func isAStringChar(_ b: UInt8) -> Bool { isAtomChar(b) || b == UInt8(ascii: "]") }

    /// tag: 1*<any ASTRING-CHAR except "+">.
    public static func isTagChar(_ b: UInt8) -> Bool { isAStringChar(b) && b != UInt8(ascii: "+") }
}
