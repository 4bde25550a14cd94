import Foundation
import SMTPWire

/// Every reply exomock's SMTP server sends, in one place. Sources: `shared/reference/microsoft.md` §8 and
/// real transcripts of `smtp.office365.com` (email-oauth2-proxy #93/#95/#232, cpython #115251, gophish
/// #2900); replies marked UNCONFIRMED are exomock's choice (see `docs/fidelity.md`).
public enum SMTPTexts {
    /// The bracket Exchange appends to failures: the front-end server's FQDN.
    public static func diagnosticHost(serverName: String) -> String { "\(serverName).namprd00.prod.outlook.com" }

    /// `220 <server>.outlook.office365.com Microsoft ESMTP MAIL Service ready at <RFC 5322 date>` (real logs).
    public static func banner(host: String, at date: Date) -> SMTPReply {
        SMTPReply(220, nil, "\(host) Microsoft ESMTP MAIL Service ready at \(rfc5322Date(date))")
    }

    /// The EHLO list, as Exchange Online sends it (real logs) without `BINARYMIME` and `CHUNKING`
    /// (exomock has no `BDAT`): `STARTTLS` before TLS, `AUTH LOGIN XOAUTH2` after it, never both.
    public static func ehlo(host: String, client: String, tlsActive: Bool, advertisedSize: Int) -> SMTPReply {
        var lines = ["\(host) Hello [\(client)]", "SIZE \(advertisedSize)", "PIPELINING", "DSN", "ENHANCEDSTATUSCODES"]
        lines.append(tlsActive ? "AUTH LOGIN XOAUTH2" : "STARTTLS")
        lines += ["8BITMIME", "SMTPUTF8"]
        return SMTPReply(250, lines: lines)
    }

    public static func helo(host: String, client: String) -> SMTPReply {
        SMTPReply(250, nil, "\(host) Hello [\(client)]")
    }
    /// Real logs.
    public static let startTLS = SMTPReply(220, EnhancedStatusCode(2, 0, 0), "SMTP server ready")
    /// Real logs.
    public static let authenticated = SMTPReply(235, EnhancedStatusCode(2, 7, 0), "Authentication successful")
    /// XOAUTH2's empty challenge (real logs: `334 `).
    public static let emptyChallenge = SMTPReply(334, nil, "")
    /// AUTH LOGIN's prompts, base64 of `Username:` and `Password:` (RFC 4954 practice; Exchange's are UNCONFIRMED).
    public static let usernamePrompt = SMTPReply(334, nil, "VXNlcm5hbWU6")
    public static let passwordPrompt = SMTPReply(334, nil, "UGFzc3dvcmQ6")

    /// A refused token, user or SASL string (real logs).
    public static func authenticationUnsuccessful(_ diag: String) -> SMTPReply {
        SMTPReply(535, EnhancedStatusCode(5, 7, 3), "Authentication unsuccessful [\(diag)]")
    }
    /// SMTP AUTH off for the tenant (real logs).
    public static func smtpAuthDisabledForTenant(_ diag: String) -> SMTPReply {
        SMTPReply(
            535, EnhancedStatusCode(5, 7, 139),
            "Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. "
                + "Visit https://aka.ms/smtp_auth_disabled for more information. [\(diag)]")
    }
    /// SMTP AUTH off for the mailbox (UNCONFIRMED wording, by analogy with the tenant line).
    public static func smtpAuthDisabledForMailbox(_ diag: String) -> SMTPReply {
        SMTPReply(
            535, EnhancedStatusCode(5, 7, 139),
            "Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. "
                + "Visit https://aka.ms/smtp_auth_disabled for more information. [\(diag)]")
    }
    /// AUTH LOGIN when basic authentication is off (real logs).
    public static func basicAuthDisabled(_ diag: String) -> SMTPReply {
        SMTPReply(
            535, EnhancedStatusCode(5, 7, 139),
            "Authentication unsuccessful, basic authentication is disabled. [\(diag)]")
    }
    /// AUTH before STARTTLS, or a mechanism other than LOGIN and XOAUTH2 (real logs for the text).
    public static func unrecognizedAuthentication(_ diag: String) -> SMTPReply {
        SMTPReply(504, EnhancedStatusCode(5, 7, 4), "Unrecognized authentication type [\(diag)]")
    }
    /// AUTH a second time (RFC 4954 §4 requires 503; text UNCONFIRMED).
    public static let alreadyAuthenticated = SMTPReply(503, EnhancedStatusCode(5, 5, 1), "Already authenticated")
    /// `*` during SASL (RFC 4954 requires 501; text UNCONFIRMED).
    public static let authenticationCanceled = SMTPReply(501, EnhancedStatusCode(5, 7, 0), "Authentication canceled")
    /// MAIL before a successful AUTH (text of Exchange Online's 5.7.57; exact wording UNCONFIRMED).
    public static func notAuthenticated(_ diag: String) -> SMTPReply {
        SMTPReply(530, EnhancedStatusCode(5, 7, 57), "Client not authenticated to send mail. [\(diag)]")
    }
    /// MAIL before STARTTLS (Exchange Online; UNCONFIRMED exact wording).
    public static func startTLSRequired(_ diag: String) -> SMTPReply {
        SMTPReply(451, EnhancedStatusCode(5, 7, 3), "STARTTLS is required to send mail [\(diag)]")
    }
    /// Exchange's bad-sequence replies (UNCONFIRMED for Exchange Online).
    public static let sendHelloFirst = SMTPReply(503, EnhancedStatusCode(5, 5, 2), "Send hello first")
    public static let senderAlreadySpecified = SMTPReply(503, EnhancedStatusCode(5, 5, 2), "Sender already specified")
    public static let needMail = SMTPReply(503, EnhancedStatusCode(5, 5, 2), "Need mail command")
    public static let needRecipient = SMTPReply(503, EnhancedStatusCode(5, 5, 2), "Need rcpt command")
    public static let badSequence = SMTPReply(503, EnhancedStatusCode(5, 5, 1), "Bad sequence of commands")
    /// Real Exchange replies to a good MAIL, RCPT and DATA.
    public static let senderOK = SMTPReply(250, EnhancedStatusCode(2, 1, 0), "Sender OK")
    public static let recipientOK = SMTPReply(250, EnhancedStatusCode(2, 1, 5), "Recipient OK")
    public static let startMailInput = SMTPReply(354, nil, "Start mail input; end with <CRLF>.<CRLF>")
    /// The message was accepted (Exchange's form; the message id is the message's own or exomock's).
    public static func queued(messageID: String, _ diag: String) -> SMTPReply {
        SMTPReply(250, EnhancedStatusCode(2, 0, 0), "OK <\(messageID)> [Hostname=\(diag)]")
    }
    /// Over the message size limit, declared (`SIZE=`) or read (Exchange's text).
    public static let messageTooLarge = SMTPReply(
        552, EnhancedStatusCode(5, 3, 4), "Message size exceeds fixed maximum message size")
    /// Past `Limits.smtpMaximumRecipients` (Exchange's text).
    public static let tooManyRecipients = SMTPReply(452, EnhancedStatusCode(4, 5, 3), "Too many recipients")
    /// A message with bare line feeds (UNCONFIRMED for submission; Exchange's code for bare LFs).
    public static let bareLineFeedsInMessage = SMTPReply(
        550, EnhancedStatusCode(5, 6, 11),
        "SMTPSEND.BareLinefeedsAreIllegal; message contains bare line feeds; end lines with CRLF")
    /// `MAIL FROM` without Send As, answered at the end of DATA as Exchange does (real logs: gophish #2900;
    /// the diagnostic data after `Cannot submit message.` is left out).
    public static func sendAsDenied(user: String, from: String) -> SMTPReply {
        SMTPReply(
            554, EnhancedStatusCode(5, 2, 252),
            "SendAsDenied; \(user) not allowed to send as \(from); "
                + "STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; "
                + "Failed to process message due to a permanent exception with message [BeginDiagnosticData]Cannot submit message."
        )
    }
    /// Delivery into the store failed (a folder deleted meanwhile); UNCONFIRMED.
    public static let localError = SMTPReply(
        451, EnhancedStatusCode(4, 3, 0), "Temporary server error; try again later")
    /// Real Exchange text for an unknown verb.
    public static func unrecognizedCommand(_ verb: String, _ diag: String) -> SMTPReply {
        SMTPReply(500, EnhancedStatusCode(5, 3, 3), "Unrecognized command '\(verb)' [\(diag)]")
    }
    /// Arguments that do not parse (UNCONFIRMED); invalid paths (Exchange's 5.1.7 / 5.1.3).
    public static func invalidArguments(_ diag: String) -> SMTPReply {
        SMTPReply(501, EnhancedStatusCode(5, 5, 4), "Invalid arguments [\(diag)]")
    }
    public static func invalidSender(_ diag: String) -> SMTPReply {
        SMTPReply(501, EnhancedStatusCode(5, 1, 7), "Invalid address [\(diag)]")
    }
    public static func invalidRecipient(_ diag: String) -> SMTPReply {
        SMTPReply(501, EnhancedStatusCode(5, 1, 3), "Invalid address [\(diag)]")
    }
    /// A command line over `Limits.smtpMaximumLineLength` (RFC 5321 §4.5.3.1.4 "500 Line too long"; text UNCONFIRMED).
    public static func lineTooLong(limit: Int) -> SMTPReply {
        SMTPReply(500, EnhancedStatusCode(5, 5, 6), "Line too long; the limit is \(limit) bytes")
    }
    /// A command line ended by a bare LF (UNCONFIRMED).
    public static let bareLineFeedCommand = SMTPReply(
        500, EnhancedStatusCode(5, 5, 2), "Command lines must end with CRLF, not a bare LF")
    public static let reset = SMTPReply(250, EnhancedStatusCode(2, 0, 0), "Resetting")
    public static let ok = SMTPReply(250, EnhancedStatusCode(2, 0, 0), "OK")
    public static let cannotVerify = SMTPReply(252, EnhancedStatusCode(2, 1, 5), "Cannot VRFY user")
    public static let help = SMTPReply(
        214,
        lines: [
            "This server supports the following commands:", "HELO EHLO STARTTLS RCPT DATA RSET MAIL QUIT HELP AUTH",
        ])
    /// QUIT (standard Exchange text).
    public static let closing = SMTPReply(221, EnhancedStatusCode(2, 0, 0), "Service closing transmission channel")
    /// The idle timer fired (UNCONFIRMED).
    public static let idleTimeout = SMTPReply(421, EnhancedStatusCode(4, 4, 2), "Connection timed out")
    /// The scenario is stopping.
    public static let shuttingDown = SMTPReply(
        421, EnhancedStatusCode(4, 3, 2), "Service not available, closing transmission channel")

    /// `Tue, 1 Dec 2026 22:37:31 +0000`, in UTC, as Exchange writes its banner date.
    static func rfc5322Date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int?) -> String { n.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return "\(days[(c.weekday ?? 1) - 1]), \(c.day ?? 1) \(months[(c.month ?? 1) - 1]) \(c.year ?? 1970) "
            + "\(two(c.hour)):\(two(c.minute)):\(two(c.second)) +0000"
    }
}
