import Foundation
import Journal
import MailAuthentication
import NIOCore

/// What a mail protocol (IMAP, POP3, SMTP) plugs into `MailConnectionHandler`: its framer, its session and
/// the performer of its session's effects (token checks, the store), behind one value per connection.
///
/// The shell owns everything that is the same for every protocol: the channel registry, the idle policy
/// (virtual clock, pre-authentication limit), faults per command, one command at a time with reads held
/// while an answer is being written, output produced chunk by chunk as the peer reads, the STARTTLS fence,
/// error and close bookkeeping. The driver owns what differs: how bytes become frames, what a frame does,
/// and the protocol's lines for a fault.
///
/// Every method is called on the connection's event loop, one at a time.
public protocol MailSessionDriver: SendableMetatype {
    /// One framed unit of input (a command line, a SASL line, a message body).
    associatedtype Frame

    /// The first output (the greeting or banner).
    mutating func started(link: MailConnectionLink, at now: Date) -> [MailConnectionAction]
    /// Buffers bytes read from the peer (the framer's input).
    mutating func buffer(_ bytes: ByteBuffer)
    /// The next complete frame of the buffered input, or nil (more bytes needed). Pulled one at a time,
    /// after the previous frame's answer is written, so a frame can change how the next is framed.
    mutating func nextFrame() -> Frame?
    /// Drops buffered input (the STARTTLS fence); returns how many bytes were dropped.
    mutating func discardBufferedInput() -> Int
    /// What faults match this frame against (its command name, the user), or nil when the frame is not
    /// a command (a SASL response, message data, a literal continuation).
    func faultSubject(of frame: Frame) -> MailFaultSubject?
    /// Handles a frame: the session's answer, with its effects already performed.
    mutating func handle(_ frame: Frame) -> [MailConnectionAction]
    /// True once a login succeeded (the pre-authentication idle limit no longer applies).
    var isAuthenticated: Bool { get }
    /// The idle limit passed on the virtual clock: the protocol's autologout.
    mutating func idleTimedOut(after seconds: Double, preAuthentication: Bool) -> [MailConnectionAction]
    /// The server is stopping: the protocol's goodbye, ending with `.close`.
    mutating func shuttingDown() -> [MailConnectionAction]
    /// The connection is gone (either side): release what the session holds. Only `.record` is honoured.
    mutating func connectionClosed() -> [MailConnectionAction]
    /// An event the driver posted through its `MailConnectionLink` (IMAP: a watched folder changed); nil
    /// when the event is not the driver's.
    mutating func posted(_ event: Any) -> [MailConnectionAction]?
    /// A `reply` fault: `line` in place of the answer to `frame` (which is not performed).
    func faultReply(_ line: String, to frame: Frame) -> [MailConnectionAction]
    /// A `bye` fault: Exchange's abrupt close, ending with `.close`.
    func faultBye() -> [MailConnectionAction]
    /// A `throttle` fault: the next login of this connection succeeds but connects no mailbox.
    mutating func throttleNextLogin()
}

/// What a fault is matched against: `match` names the command, `user` the mailbox.
public struct MailFaultSubject: Sendable, Equatable {
    /// The command's name, upper case (`RETR`, `UID FETCH`).
    public var command: String
    /// The authenticated user, or the mailbox an XOAUTH2 initial response names; nil before that.
    public var user: String?
    /// The token's application (client) id when known.
    public var clientID: String?

    public init(command: String, user: String? = nil, clientID: String? = nil) {
        self.command = command
        self.user = user
        self.clientID = clientID
    }
}

/// What the shell does for a driver, in order.
public enum MailConnectionAction {
    /// Output, produced and written chunk by chunk while the channel is writable.
    case send(MailOutput)
    /// A journal event for this connection (recorded at once).
    case record(JournalEvent.Name, [String: String])
    /// After the output before it is written: drop buffered plaintext and put TLS in front.
    case startTLS
    /// After the output before it is written: close the connection.
    case close
}

/// Bytes for the peer: ready, or produced on demand (a large message, many responses).
public enum MailOutput {
    case bytes(ByteBuffer)
    case produced(any MailOutputProducer)

    /// A text line with CRLF.
    public static func line(_ text: String) -> MailOutput {
        var buffer = ByteBuffer()
        buffer.writeString(text)
        buffer.writeStaticString("\r\n")
        return .bytes(buffer)
    }
}

/// Output written as the peer reads: the shell asks for a chunk only when the channel is writable, so a
/// 35 MB message, or a thousand of them pipelined, holds about one chunk of encoded bytes at a time.
public protocol MailOutputProducer {
    /// Appends the next bytes to `buffer`, stopping once it holds `limit` bytes or more (a producer may
    /// overshoot by one unit, such as one line or one small response). Returns true when nothing is left.
    mutating func produce(into buffer: inout ByteBuffer, limit: Int) -> Bool
}

/// The shell's handle for a driver: posts events back onto the connection from any thread (a store
/// change notification), delivered to `MailSessionDriver.posted` on the event loop.
public struct MailConnectionLink: Sendable {
    let channel: any Channel

    public init(channel: any Channel) { self.channel = channel }

    /// Delivers `event` to the driver on the connection's event loop, always later (never inside the call,
    /// even on the loop: a store notification fires while the driver is still handling the command that
    /// changed the store). Dropped once the connection closed.
    public func post(_ event: any Sendable) {
        let channel = self.channel
        channel.eventLoop.execute {
            channel.pipeline.fireUserInboundEventTriggered(MailConnectionPosted(event: event))
        }
    }
}

struct MailConnectionPosted: Sendable {
    let event: any Sendable
}

/// The server is shutting down: sent to every open connection by `OpenChannels.beginShutdown`.
public struct MailConnectionShutdown: Sendable {
    public init() {}
}

/// Command names for fault matching.
public enum MailCommandName {
    /// POP3 and SMTP: the first word, upper case (`RETR`, `MAIL`).
    public static func firstWord(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix(64).prefix { $0 != 32 && $0 != 13 && $0 != 10 }, as: UTF8.self).uppercased()
    }

    /// IMAP: the word after the tag (`SELECT`), or `UID FETCH` style for UID commands.
    public static func afterTag(_ bytes: [UInt8]) -> String {
        let words = bytes.prefix(128).split(separator: 32, maxSplits: 3, omittingEmptySubsequences: true)
        guard words.count >= 2 else { return "" }
        func word(_ i: Int) -> String {
            String(decoding: words[i].prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).uppercased()
        }
        let verb = word(1)
        if verb == "UID", words.count >= 3 { return "UID " + word(2) }
        return verb
    }

    /// The mailbox an XOAUTH2 initial response names (`user=`), when the command's `word`-th word (from 0)
    /// is one: IMAP `a AUTHENTICATE XOAUTH2 <b64>` (word 3), POP3 `AUTH XOAUTH2 <b64>` (word 2).
    public static func xoauth2User(inCommand bytes: [UInt8], word: Int) -> String? {
        let words = bytes.split(separator: 32, omittingEmptySubsequences: true)
        guard words.count > word, String(decoding: words[word - 1], as: UTF8.self).uppercased() == "XOAUTH2" else {
            return nil
        }
        let response = words[word].prefix { $0 != 13 && $0 != 10 }
        let parsed = response.withUnsafeBufferPointer { XOAUTH2Credentials.parse(base64Bytes: $0) }
        guard case .success(let credentials) = parsed else { return nil }
        return credentials.user
    }
}
