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
