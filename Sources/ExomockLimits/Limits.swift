/// Every limit exomock enforces, in one place.
///
/// Each limit has a test that crosses it (`LimitsTests`) and a row in `docs/limits.md`. A limit
/// protects the server from a client or a scenario: crossing one gets the protocol's own error
/// reply (IMAP `BAD`, POP3 `-ERR`, HTTP 413/400, a located scenario error), never a crash, a hang
/// or unbounded memory.
public enum Limits {
    // MARK: IMAP
    /// Longest IMAP command line, excluding literals, in bytes (CRLF included).
    public static let imapMaximumLineLength = 8 * 1024
    /// Longest `AUTHENTICATE` command line, or SASL response line after its `+`, in bytes (CRLF
    /// included). Larger than `imapMaximumLineLength` because an XOAUTH2 response carries the whole
    /// access token in base64: a token of `accessTokenMaximumLength` (16 KiB, tokens with many group
    /// claims run to 6–12 KB) is about 22 KiB on the wire. Exchange Online's own bound is not published.
    public static let imapMaximumAuthenticateLineLength = 32 * 1024
    /// Largest literal a client may announce with `{n}` or `{n+}` (APPEND bodies included).
    public static let imapMaximumLiteralSize = 35 * 1024 * 1024
    /// Deepest nesting of parenthesised lists and `NOT`/`OR` in one command.
    public static let imapMaximumNestingDepth = 64
    /// Most literals in one command.
    public static let imapMaximumLiteralsPerCommand = 64
    /// Bytes of IMAP responses encoded and written at a time. A FETCH over a large mailbox is written
    /// chunk by chunk as the client reads, so a connection holds about this much encoded output (plus
    /// the channel's write buffer), not the whole answer.
    public static let imapOutputChunkBytes = 64 * 1024
    /// Deepest MIME nesting (multipart within multipart, message/rfc822 within them) parsed for
    /// ENVELOPE, BODYSTRUCTURE and BODY[section]; deeper parts are shown as opaque leaves.
    public static let mimeMaximumNestingDepth = 32

    // MARK: POP3
    /// Longest POP3 command line (RFC 2449 says 255 octets; SASL initial responses need more).
    public static let pop3MaximumLineLength = 16 * 1024
    /// Longest `AUTH` command line, or SASL response line after its `+ `, in bytes (CRLF included):
    /// room for an XOAUTH2 response carrying an access token of `accessTokenMaximumLength`.
    public static let pop3MaximumAuthenticateLineLength = 32 * 1024

    // MARK: SMTP
    /// Longest SMTP command line in bytes (CRLF included). RFC 5321 §4.5.3.1.4 asks for at least 512;
    /// Exchange Online's own bound is not published.
    public static let smtpMaximumLineLength = 2 * 1024
    /// Longest `AUTH` command line, or SASL response line after its `334`, in bytes (CRLF included):
    /// room for an XOAUTH2 response carrying an access token of `accessTokenMaximumLength`.
    public static let smtpMaximumAuthenticateLineLength = 32 * 1024
    /// Largest message accepted by `DATA` (after dot-unstuffing): Exchange Online's default
    /// `MaxSendSize`, 35 MB. Bytes past it are counted and dropped, never held; the end of data is
    /// answered `552 5.3.4`. (EHLO still advertises Exchange's `SIZE 157286400`.)
    public static let smtpMaximumMessageSize = 35 * 1024 * 1024
    /// The `SIZE` Exchange Online advertises in its EHLO list; a `MAIL FROM ... SIZE=` above it is refused.
    public static let smtpAdvertisedMessageSize = 157_286_400
    /// Most `RCPT TO` per message (Exchange Online's default `RecipientLimits`, 500); the next gets `452 4.5.3`.
    public static let smtpMaximumRecipients = 500
    /// Messages kept in the outbox (mail to addresses outside the scenario) before dropping the oldest.
    public static let smtpOutboxCapacity = 10_000

    // MARK: Clients (the flow runner and the load generator)
    /// Longest response line the client accepts from a server, literals excluded (CRLF included).
    public static let clientMaximumLineLength = 1024 * 1024
    /// Largest literal or multi-line body the client accepts in one response.
    public static let clientMaximumLiteralSize = 64 * 1024 * 1024
    /// Connect, TLS handshake and read timeout of a client session unless a step sets `read_timeout`.
    public static let clientDefaultTimeoutSeconds: Double = 30

    // MARK: Connections
    /// Open connections one listener accepts before it refuses new ones.
    public static let maximumConnectionsPerListener = 20_000
    /// Concurrent IMAP sessions per mailbox by default (Exchange Online documents 20; UNCONFIRMED against
    /// 16); a scenario sets its own with `exchange.imap_sessions_per_mailbox`.
    public static let imapSessionsPerMailbox = 20
    /// Concurrent POP3 sessions per mailbox by default (documented: 20, like IMAP), with
    /// `exchange.pop3_maildrop: shared`; `exclusive` is RFC 1939's one-session lock.
    /// A scenario sets its own with `exchange.pop3_sessions_per_mailbox`.
    public static let pop3SessionsPerMailbox = 20
    /// Largest `imap_sessions_per_mailbox` / `pop3_sessions_per_mailbox` a scenario may set (one listener's
    /// connections, `maximumConnectionsPerListener`).
    public static let maximumSessionsPerMailbox = maximumConnectionsPerListener

    // MARK: HTTP
    /// Largest HTTP request body the token service and admin API read.
    public static let httpMaximumBodySize = 1024 * 1024

    // MARK: Token service
    /// Longest bearer token the verifier decodes (real Entra access tokens are 1.5–3 KB).
    public static let accessTokenMaximumLength = 16 * 1024
    /// Longest single form or query parameter value the token service accepts.
    public static let tokenParameterMaximumLength = 16 * 1024
    /// Unredeemed authorization codes kept per cloud; the oldest is forgotten past this.
    public static let tokenOutstandingCodes = 100_000
    /// Refresh tokens kept per cloud; the oldest is forgotten past this (it then fails as unknown).
    public static let tokenRefreshTokens = 1_000_000
    /// Pending device codes kept per cloud; the oldest is forgotten past this.
    public static let tokenDeviceCodes = 10_000

    // MARK: Scenarios
    /// Largest scenario file read, in bytes.
    public static let scenarioMaximumFileSize = 4 * 1024 * 1024
    /// Most messages a scenario may generate for one folder.
    public static let scenarioMaximumGeneratedMessages = 1_000_000
    /// Most users or shared mailboxes the `scale` entries of one scenario generate, all entries together.
    /// (Generated mail is virtual: a mailbox costs a few hundred bytes until a client opens it.)
    public static let scenarioMaximumScaleCount = 1_000_000
    /// Bytes of generated (virtual) messages kept after a read, so reading them again does not make them
    /// again; the oldest go first. Messages are made from their seed on a miss, so this bounds memory, not
    /// what can be read.
    public static let virtualMailCacheBytes = 64 * 1024 * 1024
    /// Largest generated or loaded message, in bytes.
    public static let scenarioMaximumMessageSize = 35 * 1024 * 1024
    /// Most YAML nodes the loader walks in one scenario, aliases (`*name`) counted each time they
    /// are used, so a few repeated anchors cannot expand into billions of entries.
    public static let scenarioMaximumNodes = 250_000
    /// Longest duration a scenario may write (lifetimes, `advance`, fault delays): 100 years of
    /// 365 days, so token expiry instants stay far inside what `Int` seconds and `Date` hold.
    public static let scenarioMaximumDurationSeconds: Double = 100 * 365 * 86_400

    // MARK: Journal
    /// Events a journal keeps before dropping the oldest.
    public static let journalCapacity = 200_000
    /// Distinct (cloud, service, event) kinds the journal counts for `GET /metrics`; kinds past this are
    /// counted under the event name `other`.
    public static let journalCountedKinds = 1_000
}
