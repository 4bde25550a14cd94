import MailAuthentication

/// A message accepted at the end of DATA, for the driver to check (Send As) and deliver.
public struct SMTPSubmission: Sendable, Equatable {
    public var grant: MailGrant
    /// The `MAIL FROM` path (empty for `<>`).
    public var from: String
    public var recipients: [String]
    public var content: [UInt8]
    /// 1 for the connection's first message.
    public var sequence: Int
}

/// What delivery did with a submission.
public enum SMTPDeliveryOutcome: Sendable, Equatable {
    /// Delivered: `local` recipients' Inboxes, `outbound` addresses to the outbox.
    case delivered(messageID: String, local: Int, outbound: Int)
    /// The login may not send as `MAIL FROM`.
    case sendAsDenied
    case failed(String)
}

/// The SMTP server's journal events.
public enum SMTPEvent: String, Sendable {
    case commandTooLong = "command.too_long"
    case commandInvalid = "command.invalid"
    case tlsStarted = "tls.started"
    case tlsFailed = "tls.failed"
    case authSucceeded = "auth.succeeded"
    case authFailed = "auth.failed"
    case authCanceled = "auth.canceled"
    case recipientRefused = "smtp.recipient_refused"
    case messageAccepted = "smtp.accepted"
    case messageRefused = "smtp.refused"
    case idleTimeout = "session.idle_timeout"
    case faultDisconnect = "fault.disconnect"
    case faultLatency = "fault.latency"
    case connectionError = "connection.error"
}
