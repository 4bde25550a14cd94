import Foundation
import ListenerSupport

/// Exchange Online's IMAP4 lines (`shared/reference/microsoft.md` §6). Lines marked UNCONFIRMED are
/// exomock's choice where no capture was found; they are listed in the fidelity table.
public enum IMAPTexts {
    /// `* OK The Microsoft Exchange IMAP4 service is ready. [<base64 of UTF-16LE server name>]`
    public static func greeting(serverName: String) -> String {
        "The Microsoft Exchange IMAP4 service is ready. [\(ExchangeServerName.greetingToken(serverName))]"
    }

    /// 993 before authentication, basic authentication off.
    public static let capabilitiesImplicitTLS = [
        "IMAP4", "IMAP4rev1", "AUTH=XOAUTH2", "LOGINDISABLED", "SASL-IR", "UIDPLUS", "ID", "UNSELECT", "CHILDREN",
        "IDLE",
        "NAMESPACE", "LITERAL+",
    ]
    /// 993 before authentication, basic authentication on (legacy reproductions).
    public static let capabilitiesImplicitTLSBasicAuth = [
        "IMAP4", "IMAP4rev1", "AUTH=PLAIN", "AUTH=XOAUTH2", "SASL-IR", "UIDPLUS", "ID", "UNSELECT", "CHILDREN", "IDLE",
        "NAMESPACE", "LITERAL+",
    ]
    /// 143 before STARTTLS: no AUTH= mechanism, LOGINDISABLED.
    public static let capabilitiesBeforeStartTLS = [
        "IMAP4", "IMAP4rev1", "LOGINDISABLED", "STARTTLS", "UIDPLUS", "MOVE", "ID", "CHILDREN", "IDLE", "NAMESPACE",
        "LITERAL+",
    ]
    /// After authentication.
    public static let capabilitiesAuthenticated = [
        "IMAP4", "IMAP4rev1", "AUTH=PLAIN", "AUTH=XOAUTH2", "SASL-IR", "UIDPLUS", "MOVE", "ID", "UNSELECT",
        "CLIENTACCESSRULES",
        "CLIENTNETWORKPRESENCELOCATION", "BACKENDAUTHENTICATE", "CHILDREN", "IDLE", "NAMESPACE", "LITERAL+",
    ]

    public static let idResponse = [
        ("name", "Microsoft.Exchange.Imap4.Imap4Server"), ("version", "15.20"),
    ]
    public static let namespace = #"(("" "/")) NIL NIL"#
    public static let logoutBye = "Microsoft Exchange Server IMAP4 server signing off."
    /// Sent before closing on auto-logout and shutdown (captures show 10, 13 and 14 as the number).
    public static let connectionClosedBye = "Connection is closed. 13"
    public static let notConnected = "User is authenticated but not connected."
    /// Sent right after `BAD User is authenticated but not connected.`, then the connection closes
    /// (real logs: `* BYE Connection closed. 14`).
    public static let notConnectedBye = "Connection closed. 14"
    public static let authenticateFailed = "AUTHENTICATE failed."
    public static let authenticateCompleted = "AUTHENTICATE completed."
    public static let loginFailed = "LOGIN failed."
    public static let loginCompleted = "LOGIN completed."
    /// UNCONFIRMED: Exchange's text for commands in the wrong state, from client logs.
    public static let invalidState = "Command received in Invalid state."
    /// UNCONFIRMED.
    public static let beginTLS = "Begin TLS negotiation now."
    /// UNCONFIRMED (RFC 2177 leaves it free; this is the text seen in Exchange logs).
    public static let idleAccepted = "IDLE accepted, awaiting DONE command."
    /// UNCONFIRMED: exomock's choice for a client cancelling SASL with `*` (RFC 3501 requires BAD).
    public static let authenticateCancelled = "AUTHENTICATE cancelled by the client."
    /// UNCONFIRMED.
    public static let unsupportedMechanism = "Unsupported authentication mechanism; Exchange Online offers XOAUTH2."
    /// The continuation sent for a synchronising literal (RFC 3501 leaves the text free; UNCONFIRMED).
    public static let literalContinuation = "Ready for additional command text."
    public static let permanentFlags = ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft", "$MDNSent"]

    public static func completed(_ command: String) -> String { "\(command) completed." }
}
