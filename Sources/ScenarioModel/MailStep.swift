import MicrosoftClouds

/// A mail session of an `imap`, `pop3` or `smtp` step: where it connects, how it authenticates, its commands.
public struct MailStep: Sendable, Equatable, Codable {
    public enum TLS: String, Sendable, Codable, CaseIterable {
        case implicit, starttls
    }
    /// How the session authenticates before its commands.
    public enum Auth: String, Sendable, Codable, CaseIterable {
        /// SASL XOAUTH2 with a saved access token (the default).
        case xoauth2
        /// No authentication: the commands do it themselves (`LOGIN`, `USER`/`PASS`) or run unauthenticated.
        case none
    }
    /// The cloud whose mail server is asked (default: the mailbox's cloud).
    public var cloud: CloudName?
    /// The server name the handler is configured with, which its TLS check expects in the certificate
    /// (default: the cloud's first Outlook host, or its SMTP host for `smtp`).
    public var host: String?
    /// The SASL `user=`: the mailbox to open.
    public var mailbox: String
    /// The saved token to present (required with `auth: xoauth2`).
    public var token: String?
    public var tls: TLS
    public var auth: Auth
    /// Before connecting, refresh the saved tokens when the access token has expired on the virtual
    /// clock, as a mail handler does (a `refresh_token` grant with the scopes first asked for).
    public var refresh: Bool
    /// Client read timeout in real seconds: no answer for this long ends the session as a timeout.
    public var readTimeout: Double?
    /// Leave the session open after its commands (no LOGOUT), as a handler's other connection: later
    /// sessions to the mailbox count it, until the flow ends and the runner drops it.
    public var keepOpen = false
    /// Commands sent after authenticating, as written on the wire without tags.
    public var commands: [MailCommand]

    public init(
        cloud: CloudName? = nil, mailbox: String, token: String? = nil, tls: TLS = .implicit, auth: Auth = .xoauth2,
        refresh: Bool = false, readTimeout: Double? = nil, commands: [MailCommand] = []
    ) {
        self.cloud = cloud
        self.mailbox = mailbox
        self.token = token
        self.tls = tls
        self.auth = auth
        self.refresh = refresh
        self.readTimeout = readTimeout
        self.commands = commands
    }
}

/// An SMTP submission session (a help desk sending its reply): the session as for IMAP and POP3 (STARTTLS
/// by default, as Exchange's port 587 asks), then the session's own commands, then the message if any.
public struct SMTPStep: Sendable, Equatable, Codable {
    public var session: MailStep
    public var message: OutgoingMessage?

    public init(session: MailStep, message: OutgoingMessage? = nil) {
        self.session = session
        self.message = message
    }

    /// The commands the session sends: its own, then `MAIL FROM`, one `RCPT TO` per recipient and `DATA`
    /// carrying `text` (the message as the flow runner renders it).
    public func commands(text: String) -> [MailCommand] {
        guard let message else { return session.commands }
        let from = message.from ?? session.mailbox
        return session.commands + [MailCommand("MAIL FROM:<\(from)>")]
            + message.to.map { MailCommand("RCPT TO:<\($0)>") }
            + [MailCommand("DATA", data: text)]
    }
}

/// A plain-text message an `smtp` step sends; the runner adds `Date` (virtual time) and `Message-ID`.
public struct OutgoingMessage: Sendable, Equatable, Codable {
    /// `MAIL FROM` and the `From:` header (default: the step's mailbox).
    public var from: String?
    public var to: [String]
    public var subject: String
    public var body: String

    public init(from: String? = nil, to: [String], subject: String, body: String) {
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
    }
}

/// One command of a mail session, with what its answer must be.
public struct MailCommand: Sendable, Equatable, Codable {
    /// The command as written on the wire, without the IMAP tag (`SELECT INBOX`, `RETR 1`).
    public var text: String
    public var expect: CommandExpectation?
    public var location: SourceLocation?
    /// Data sent after a positive intermediate answer (SMTP `DATA`'s `354`): the message, dot-stuffed.
    public var data: String?

    public init(_ text: String, expect: CommandExpectation? = nil, location: SourceLocation? = nil, data: String? = nil)
    {
        self.text = text
        self.expect = expect
        self.location = location
        self.data = data
    }
}

/// What one IMAP or POP3 command must answer.
public struct CommandExpectation: Sendable, Equatable, Codable {
    /// The completion status: `OK`, `NO`, `BAD` (IMAP's tagged line) or `+OK`, `-ERR` (POP3).
    public var status: String?
    /// A line the server must send in answer, exactly (IMAP tags written as `*` or `TAG`).
    public var line: String?
    /// A regular expression one answer line must match.
    public var pattern: String?
    /// IMAP: the count of an untagged `* N EXISTS`.
    public var exists: Int?
    /// The bytes of message data the answer carries (IMAP literals, POP3 multi-line bodies).
    public var bytes: Int?
    /// The server hangs up instead of (or right after) answering.
    public var closed: Bool?

    public init(
        status: String? = nil, line: String? = nil, pattern: String? = nil, exists: Int? = nil, bytes: Int? = nil,
        closed: Bool? = nil
    ) {
        self.status = status
        self.line = line
        self.pattern = pattern
        self.exists = exists
        self.bytes = bytes
        self.closed = closed
    }
}
