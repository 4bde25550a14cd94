import Foundation
import ListenerSupport

/// Every line exomock's POP3 server sends, in one place. Lines marked UNCONFIRMED are exomock's choice
/// where no real Exchange Online transcript was found (`shared/reference/microsoft.md` §7).
public enum POP3Texts {
    /// `+OK The Microsoft Exchange POP3 service is ready. [<base64 UTF-16LE server name>]` (real logs).
    public static func greeting(serverName: String) -> String {
        "The Microsoft Exchange POP3 service is ready. [\(ExchangeServerName.greetingToken(serverName))]"
    }

    /// After a successful `AUTH XOAUTH2` (real logs) and, by analogy, `AUTH PLAIN` and `PASS`.
    public static let authenticated = "User successfully authenticated."
    /// `AUTH XOAUTH2` / `AUTH PLAIN` refused (real logs for XOAUTH2). Also exomock's choice for a valid
    /// token whose mailbox cannot be opened (UNCONFIRMED) and for malformed SASL strings.
    public static let authenticationFailure = "Authentication failure: unknown user name or bad password."
    /// `PASS` refused, basic authentication off or a wrong password (real logs).
    public static let logonFailure = "Logon failure: unknown user name or bad password."
    /// QUIT (UNCONFIRMED exact text, by analogy with IMAP's BYE).
    public static let signingOff = "Microsoft Exchange Server POP3 server signing off."
    /// A second POP3 session on a locked maildrop (UNCONFIRMED: no Exchange transcript found).
    public static let maildropLocked =
        "The mailbox is in use by another POP3 session; close it with QUIT and try again."
    /// Command not allowed in the current state (UNCONFIRMED).
    public static let invalidState = "Command is not valid in this state."
    /// Unknown command or bad arguments (UNCONFIRMED).
    public static let protocolError = "Protocol error."
    /// Message number out of range or already deleted (UNCONFIRMED).
    public static let outOfRange = "The specified message is out of range."
    /// Message marked deleted in this session (UNCONFIRMED).
    public static let alreadyDeleted = "The specified message has been deleted."
    /// An `AUTH` mechanism other than XOAUTH2 and PLAIN (UNCONFIRMED).
    public static let unknownMechanism = "Unrecognized authentication type."
    /// Client sent `*` during SASL (RFC 5034 requires -ERR; text UNCONFIRMED).
    public static let authenticationCanceled = "Authentication canceled."
    /// Exchange's abrupt close (a `bye` fault), by analogy with IMAP's `* BYE Connection is closed. 13`
    /// (UNCONFIRMED for POP3).
    public static let connectionClosed = "Connection is closed. 13"
    /// STLS accepted (RFC 2595's example text; Exchange's UNCONFIRMED).
    public static let beginTLS = "Begin TLS negotiation."
    /// The line crossed `Limits.pop3MaximumLineLength`.
    public static func lineTooLong(limit: Int) -> String {
        "Protocol error. Command line too long (limit \(limit) bytes)."
    }
    /// An `AUTH` line or SASL response crossed `Limits.pop3MaximumAuthenticateLineLength` (the token is too large).
    public static func authenticateLineTooLong(limit: Int) -> String {
        "Protocol error. AUTH line too long (limit \(limit) bytes); the access token is too large."
    }
}
