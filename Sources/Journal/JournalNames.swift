/// The journal's vocabulary: every event name and service, as typed values.
///
/// A service records `.authFailed`, never the string `"auth.failed"`, so a misspelt name is a compile error
/// rather than an event nobody's filter matches. New names are added here, once, next to their siblings;
/// the initialisers are internal to this module so no other module can mint a name from a string. On the
/// wire (`GET /journal`, transcripts, metrics labels) a name is its dotted string, unchanged.
///
/// One vocabulary for every protocol: IMAP, POP3 and SMTP all write `auth.canceled` for a client's `*`,
/// `tls.started` / `tls.failed` / `tls.discarded` for STARTTLS and STLS.
extension JournalEvent {
    /// What happened: a short dotted name (`auth.failed`).
    public struct Name: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
        /// The name as it is written in the journal's JSON.
        public let rawValue: String
        init(_ rawValue: String) { self.rawValue = rawValue }

        public var description: String { rawValue }
        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
        /// Whether the name starts with `prefix` (`"fault."`).
        public func hasPrefix(_ prefix: String) -> Bool { rawValue.hasPrefix(prefix) }
        /// Reading a journal back accepts any string: a name this build does not declare is still shown.
        public init(from decoder: any Decoder) throws { self.init(try String(from: decoder)) }
        public func encode(to encoder: any Encoder) throws { try rawValue.encode(to: encoder) }
    }

    /// Which part of exomock recorded an event (`token`, `imap`, `admin`).
    public struct Service: Hashable, Sendable, CustomStringConvertible, Codable {
        /// The service as it is written in the journal's JSON.
        public let rawValue: String
        init(_ rawValue: String) { self.rawValue = rawValue }

        public var description: String { rawValue }
        public init(from decoder: any Decoder) throws { self.init(try String(from: decoder)) }
        public func encode(to encoder: any Encoder) throws { try rawValue.encode(to: encoder) }
    }
}

extension JournalEvent.Service {
    /// The token service of a cloud.
    public static let token = Self("token")
    public static let imap = Self("imap")
    public static let pop3 = Self("pop3")
    public static let smtp = Self("smtp")
    /// The admin API (clock, changes, deliveries).
    public static let admin = Self("admin")
    /// The scenario as a whole (start, ready).
    public static let scenario = Self("scenario")
}

extension JournalEvent.Name {
    // MARK: Scenario and admin
    public static let scenarioReady = Self("scenario.ready")
    public static let clockAdvanced = Self("clock.advanced")
    /// A live directory or Exchange change (`POST /changes`, a flow's `change` step).
    public static let directoryChanged = Self("directory.changed")
    /// A message delivered through the admin API.
    public static let mailDelivered = Self("mail.delivered")

    // MARK: Connections (every mail protocol)
    public static let connectionOpened = Self("connection.opened")
    public static let connectionClosed = Self("connection.closed")
    /// The listener refused a connection (its limit was reached).
    public static let connectionRefused = Self("connection.refused")
    /// A transport error (TLS handshake, reset) ended the connection.
    public static let connectionError = Self("connection.error")
    /// IMAP: the server said `* BYE` (auto-logout, shutdown).
    public static let connectionBye = Self("connection.bye")
    /// IMAP: the framer could not resynchronise; `* BYE` and close.
    public static let connectionFatal = Self("connection.fatal")
    /// The session was idle past `exchange.idle_timeout` (POP3; IMAP writes `connection.bye` with a reason).
    public static let sessionIdleTimeout = Self("session.idle_timeout")

    // MARK: TLS upgrade (STARTTLS, STLS)
    /// The "begin TLS" reply was sent and TLS put in front of the protocol.
    public static let tlsStarted = Self("tls.started")
    /// The TLS handler could not be installed.
    public static let tlsFailed = Self("tls.failed")
    /// Plaintext pipelined after STARTTLS/STLS, discarded unread (`bytes`).
    public static let tlsDiscarded = Self("tls.discarded")

    // MARK: Commands
    /// IMAP: a command refused by the framer (a limit crossed).
    public static let commandRejected = Self("command.rejected")
    /// POP3: a line that does not parse as a command.
    public static let commandInvalid = Self("command.invalid")
    /// POP3: a line over the length limit.
    public static let commandTooLong = Self("command.too_long")
    /// IMAP: a mailbox command in the "authenticated but not connected" state.
    public static let commandNotConnected = Self("command.not_connected")
    public static let logout = Self("logout")
    /// POP3 UPDATE state: deletions applied at QUIT.
    public static let pop3Update = Self("pop3.update")
    /// POP3: the connection ended in TRANSACTION without QUIT; deletion marks discarded.
    public static let pop3Dropped = Self("pop3.dropped")

    // MARK: Mail logins
    public static let authSucceeded = Self("auth.succeeded")
    public static let authFailed = Self("auth.failed")
    /// IMAP: AUTHENTICATE succeeded, the mailbox is refused (`BAD User is authenticated but not connected.`).
    public static let authNotConnected = Self("auth.not_connected")
    /// The client answered a SASL challenge with `*`.
    public static let authCanceled = Self("auth.canceled")

    // MARK: SMTP submission
    public static let smtpAccepted = Self("smtp.accepted")
    public static let smtpRefused = Self("smtp.refused")
    public static let smtpRecipientRefused = Self("smtp.recipient_refused")
    public static let smtpDelivered = Self("smtp.delivered")
    public static let smtpSentCopyFailed = Self("smtp.sent_copy_failed")
    public static let smtpOutbox = Self("smtp.outbox")

    // MARK: Faults
    public static let faultLatency = Self("fault.latency")
    public static let faultDisconnect = Self("fault.disconnect")
    /// Token service: a `truncated_body` fault cut the answer; a `malformed_json` fault answered non-JSON.
    public static let faultTruncatedBody = Self("fault.truncated_body")
    public static let faultMalformedJSON = Self("fault.malformed_json")
    /// A fault on the live fault board fired; `fault` names its id (`f1`), beside what it did.
    public static let faultFired = Self("fault.fired")
    /// The admin API added (`POST /faults`) or removed (`DELETE /faults/{id}`) a fault.
    public static let faultAdded = Self("faults.added")
    public static let faultRemoved = Self("faults.removed")

    // MARK: Token service
    public static let tokenIssued = Self("token.issued")
    public static let tokenRejected = Self("token.rejected")
    public static let tokenThrottled = Self("token.throttled")
    public static let discoveryServed = Self("discovery.served")
    public static let discoveryRejected = Self("discovery.rejected")
    public static let deviceCodeIssued = Self("devicecode.issued")
    public static let deviceCodeApproved = Self("devicecode.approved")
    public static let deviceCodeDeclined = Self("devicecode.declined")
    public static let deviceCodeRefused = Self("devicecode.refused")
    public static let authorizePage = Self("authorize.page")
    public static let authorizeCode = Self("authorize.code")
    public static let authorizeError = Self("authorize.error")
    public static let authorizeErrorPage = Self("authorize.error_page")
    /// Browser (SSO) sessions set or cleared.
    public static let ssoSet = Self("sso.set")
    public static let ssoCleared = Self("sso.cleared")
    /// Refresh tokens and sessions revoked (admin "revoke sessions").
    public static let sessionsRevoked = Self("sessions.revoked")

    /// The metrics bucket for kinds past `Limits.journalCountedKinds`.
    public static let other = Self("other")
}
