import ExomockLimits
import IMAPWire
import MailStore

/// The one builder of IMAP response text (`<tag> NO <text>`, `* BYE <text>`, `+ <text>`) from anything
/// a client sent (issue 15, reply splitting). Client bytes may hold CR, LF or NUL; echoed into text, one
/// reply would become two lines a client parses. So:
///
/// - data a client named (a folder, a charset) is shown as an IMAP quoted string of printable ASCII
///   (a folder in modified UTF-7, as LIST shows it), or left out of the sentence when it cannot be
///   (too long for `Limits.imapMaximumEchoedTextBytes`, or not printable);
/// - every status, continuation and response-code text the session returns passes `sanitized` on its
///   way into `IMAPOutput`, so no text, whatever built it, carries a byte outside RFC 3501's TEXT-CHAR.
public enum IMAPResponseText {
    /// `"name"` (backslash and quote escaped), or nil when the value cannot be shown on one line.
    public static func quoted(_ value: String) -> String? {
        let bytes = Array(value.utf8)
        guard bytes.count <= Limits.imapMaximumEchoedTextBytes, bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
            return nil
        }
        var out = "\""
        for scalar in value.unicodeScalars {
            if scalar == "\"" || scalar == "\\" { out.append("\\") }
            out.unicodeScalars.append(scalar)
        }
        return out + "\""
    }

    /// A folder as the sentence's subject: `The folder "Sent Items"`, `The folder "&AOk-t&AOk-"`
    /// (modified UTF-7, as LIST shows it), or `The folder named in the command` when it cannot be shown.
    public static func folder(_ storeName: String) -> String {
        let wire = IMAPSessionStateMachine.clientName(storeName)
        return quoted(wire).map { "The folder \($0)" } ?? "The folder named in the command"
    }

    /// A mail-store error as `NO` text, with any folder name quoted (never `MailStoreError.description`,
    /// which writes names as they are).
    public static func storeError(_ error: MailStoreError) -> String {
        switch error {
        case .mailboxNotFound:
            "The mailbox does not exist."
        case .folderNotFound(let f):
            "\(folder(f)) doesn't exist."
        case .folderExists(let f):
            "\(folder(f)) already exists."
        case .folderProtected(let f):
            "\(folder(f)) is a default folder and can't be deleted or renamed."
        case .invalidFolderName(let f):
            "\(folder(f)) is not a valid name: it must be non-empty, without empty levels or control characters."
        case .messageTooLarge, .tooManyGeneratedMessages, .messageFileUnreadable:
            sanitized(error.description)
        }
    }

    /// The text with every byte outside TEXT-CHAR (printable US-ASCII: no CR, LF, NUL, other controls,
    /// DEL or 8-bit bytes) replaced by `?`.
    public static func sanitized(_ text: String) -> String {
        guard !text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value >= 0x20, scalar.value < 0x7F {
                out.unicodeScalars.append(scalar)
            } else {
                out.append("?")
            }
        }
        return out
    }

    /// The response with its human text and response code made safe (see `sanitized`).
    static func sanitized(_ response: IMAPResponse) -> IMAPResponse {
        switch response {
        case .tagged(let tag, let status, let code, let text):
            .tagged(sanitized(tag), status, code: code.map(sanitized), text: sanitized(text))
        case .untaggedStatus(let kind, let code, let text):
            .untaggedStatus(kind, code: code.map(sanitized), text: sanitized(text))
        case .continuation(let text):
            .continuation(sanitized(text))
        default:
            response
        }
    }
}
