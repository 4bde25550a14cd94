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
    /// Bytes of IMAP responses encoded and written at a time: `mailOutputChunkBytes`, IMAP's name for it.
    public static let imapOutputChunkBytes = mailOutputChunkBytes
    /// Longest client-supplied value (a folder name, a charset) shown, as an IMAP quoted string, in the
    /// human text of a response; a longer one is left out of the sentence (`The folder named in the command`).
    public static let imapMaximumEchoedTextBytes = 256
    /// Deepest parenthesis nesting of a `BODYSTRUCTURE` or `BODY` value, its own list being level 1.
    /// IMAP clients refuse deeper structures (issue 15: deeper than 32 levels is not valid IMAP).
    public static let imapMaximumBodyStructureDepth = 32
    /// Deepest MIME nesting (multipart within multipart, message/rfc822 within them) parsed for
    /// ENVELOPE, BODYSTRUCTURE and BODY[section]; a multipart or message/rfc822 at this depth is shown
    /// as an opaque `application/octet-stream` leaf. Three below `imapMaximumBodyStructureDepth`: a
    /// part at depth d is a list at level d + 1, its disposition parameters two levels below that, and
    /// a message/rfc822's envelope addresses three below.
    public static let mimeMaximumNestingDepth = imapMaximumBodyStructureDepth - 3

    // MARK: POP3
    /// Longest POP3 command line (RFC 2449 says 255 octets; SASL initial responses need more).
    public static let pop3MaximumLineLength = 16 * 1024
    /// Longest `AUTH` command line, or SASL response line after its `+ `, in bytes (CRLF included):
    /// room for an XOAUTH2 response carrying an access token of `accessTokenMaximumLength`.
    public static let pop3MaximumAuthenticateLineLength = 32 * 1024

    // MARK: Faults
    /// Longest `line` of a `reply` fault in bytes (CRLF not included): POP3's and SMTP's reply lines hold at
    /// most 512 bytes with CRLF (RFC 1939 §3, RFC 5321 §4.5.3.1.5); IMAP takes the same bound.
    public static let faultReplyLineMaximumBytes = 510

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
    /// Seconds a TLS handshake may take on every TLS listener (IMAP, POP3, SMTP, the token service), from
    /// accept (implicit TLS, HTTPS) or from the STARTTLS/STLS upgrade; a connection whose handshake has not
    /// completed by then is closed. Exchange Online's own value is not published.
    public static let tlsHandshakeTimeoutSeconds: Double = 10
    /// Bytes of mail output (IMAP responses, POP3 `RETR`, SMTP replies) produced and written at a time
    /// (`MailConnectionHandler`). A FETCH over a large mailbox or a thousand pipelined `RETR`s are
    /// written chunk by chunk as the client reads, so a connection holds about this much encoded output
    /// (plus the channel's write buffer), not the whole answer.
    public static let mailOutputChunkBytes = 64 * 1024
    /// Idle seconds (virtual clock) before a mail connection that has not logged in is closed, by
    /// default; `exchange.pre_auth_idle_timeout` sets it per scenario (0 turns it off). Exchange closes
    /// unauthenticated connections; on-premises Exchange's `PreAuthenticatedConnectionTimeout` defaults
    /// to 60 s (range 1–200 s); Exchange Online's value is UNCONFIRMED.
    public static let mailPreAuthenticationIdleSeconds: Double = 60
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
    /// Largest HTTP request body the token service and admin API read. A `Content-Length` above it is
    /// answered `413` before the body is read; a chunked body is cut off with `413` when it grows past it.
    public static let httpMaximumBodySize = 1024 * 1024
    /// Seconds a client has to send a whole request header, from the connection's start or the last
    /// answer (Hummingbird's idle timeout, so an idle keep-alive connection is closed after it too).
    /// Microsoft's front door's value is not published; Apache's `RequestReadTimeout` starts at 20 s.
    public static let httpHeaderReadTimeoutSeconds: Double = 10
    /// Seconds a client has to send a whole request body once its header is in; then `408` and close.
    /// Shorter than `httpHeaderReadTimeoutSeconds`, so a body that stops arriving gets its `408` before the
    /// idle timeout would close the connection without a word.
    public static let httpBodyReadTimeoutSeconds: Double = 8

    // MARK: Shutdown
    /// Seconds a closing TLS connection waits for the peer's `close_notify` before closing the socket
    /// (NIOSSL's default, 5 s, would outlast `shutdownSeconds` when a client holds its socket silently).
    public static let tlsCloseNotifyTimeoutSeconds: Double = 0.5
    /// Seconds from SIGTERM/SIGINT to the process's exit, whatever the clients are doing.
    public static let shutdownSeconds: Double = 2
    /// Seconds of the shutdown budget given to a graceful stop (mail sessions get `* BYE`, HTTP answers
    /// in progress finish); work still running after it (a body that never ends, a latency fault) is
    /// cancelled.
    public static let shutdownGraceSeconds: Double = 1

    // MARK: Token service
    /// Longest bearer token the verifier decodes (real Entra access tokens are 1.5–3 KB).
    public static let accessTokenMaximumLength = 16 * 1024
    /// Access tokens each cloud's mail servers keep as verified (with their claims, so a token's next login
    /// checks only its time); the next one empties the cache. At most about 16 MiB (16 KiB tokens).
    public static let mailVerifiedTokens = 1_024
    /// Longest single form or query parameter value the token service accepts.
    public static let tokenParameterMaximumLength = 16 * 1024
    /// Unredeemed authorization codes kept per cloud; the oldest is forgotten past this.
    public static let tokenOutstandingCodes = 100_000
    /// Refresh tokens kept per cloud; the oldest is forgotten past this (it then fails as unknown).
    public static let tokenRefreshTokens = 1_000_000
    /// Pending device codes kept per cloud; the oldest is forgotten past this.
    public static let tokenDeviceCodes = 10_000

    // MARK: Scenarios
    /// Largest scenario file read, in bytes: room for 100,000 declared users (about 70 bytes each);
    /// checking and loading are O(n log n) in the entries (`bench/loader.sh`).
    public static let scenarioMaximumFileSize = 16 * 1024 * 1024
    /// Most messages a scenario may generate for one folder.
    public static let scenarioMaximumGeneratedMessages = 1_000_000
    /// Most bytes the `generate` entries of one folder (or one `scale` inbox, or one `deliver` step) may
    /// ask for together, count × size: 2 GiB, the most messages at the default 2 KiB. A client opening the
    /// folder makes every message once to learn its size, so this bounds that pass and the sizes POP3
    /// and IMAP add up (`{count: 1000, size: 35MiB}` asks for 35 GiB and is refused).
    public static let scenarioMaximumGeneratedFolderBytes = 2 * 1024 * 1024 * 1024
    /// Most users, shared mailboxes and apps the `scale` entries of one scenario generate, all entries
    /// together. (Generated mail is virtual: a mailbox costs a few hundred bytes until a client opens it.)
    public static let scenarioMaximumScaleCount = 1_000_000
    /// Most FullAccess grants the `scale` entries make together (a mailbox entry's `full_access` times its
    /// count, an apps entry's `mailbox_access`): each costs about 150 bytes in the app's or user's list and
    /// the login index, so this bounds them near 300 MiB (1,000,000 mailboxes with two principals each).
    public static let scenarioMaximumScaleGrants = 2_000_000
    /// Bytes of generated (virtual) messages kept after a read, so reading them again does not make them
    /// again; the oldest go first. Messages are made from their seed on a miss, so this bounds memory, not
    /// what can be read. 128 MiB holds a load test's working set of a few mailboxes of 1,000 × 10 KiB
    /// (bench/scenario.yaml reads 83 MB; at 64 MiB a third of its reads made the message again).
    public static let virtualMailCacheBytes = 128 * 1024 * 1024
    /// Largest generated or loaded message, in bytes.
    public static let scenarioMaximumMessageSize = 35 * 1024 * 1024
    /// Most YAML nodes the loader walks in one scenario, aliases (`*name`) counted each time they
    /// are used, so a few repeated anchors cannot expand into billions of entries. Room for 100,000
    /// declared users of four to eight keys each.
    public static let scenarioMaximumNodes = 1_000_000
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
