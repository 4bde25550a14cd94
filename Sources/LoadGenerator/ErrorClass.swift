import ExomockLimits
import FlowRunner
import MailClient

/// Why an operation failed, grouped so that a report can count alike failures together: the
/// AADSTS code or HTTP status of a token answer, the server's line for IMAP and POP3 (tag dropped),
/// a timeout, or the connection closing under the client ("reset").
public struct ErrorClass: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// `token: AADSTS50126`, `token: HTTP 429`, `imap: NO AUTHENTICATE failed.`, `pop3: timeout`.
    public let text: String

    public init(_ text: String) { self.text = text }
    public var description: String { text }
    public static func < (a: ErrorClass, b: ErrorClass) -> Bool { a.text < b.text }

    /// Where the failure happened: the token service or a mail protocol.
    public enum Service: String, Sendable {
        case token, imap, pop3, smtp
    }

    public static func timeout(_ service: Service) -> ErrorClass { ErrorClass("\(service.rawValue): timeout") }
    public static func reset(_ service: Service) -> ErrorClass { ErrorClass("\(service.rawValue): reset") }
    public static func connect(_ service: Service) -> ErrorClass { ErrorClass("\(service.rawValue): connect failed") }
    /// Classes past `Limits.loadMaximumErrorClasses`.
    public static let other = ErrorClass("other")

    /// A token endpoint's non-200 answer: its first AADSTS code, else its HTTP status.
    public static func token(status: Int, errorCodes: [Int], error: String?) -> ErrorClass {
        if let code = errorCodes.first {
            return ErrorClass("token: AADSTS\(code)" + (error.map { " (\($0))" } ?? ""))
        }
        return ErrorClass("token: HTTP \(status)" + (error.map { " (\($0))" } ?? ""))
    }

    /// A token request that got no answer, from the HTTP client's error text.
    public static func tokenTransport(_ why: String) -> ErrorClass {
        let lower = why.lowercased()
        if lower.contains("timeout") || lower.contains("timedout") || lower.contains("deadline") {
            return .timeout(.token)
        }
        if lower.contains("connect") && (lower.contains("refused") || lower.contains("connectError")) {
            return .connect(.token)
        }
        return .reset(.token)
    }

    /// A mail command that did not succeed: the server's last line (tag dropped, cut to
    /// `Limits.loadErrorLineLength`), or how the connection ended.
    public static func mail(_ service: Service, _ outcome: CommandOutcome) -> ErrorClass {
        switch outcome.ending {
        case .timedOut: return .timeout(service)
        case .closed: return .reset(service)
        case .failed(let why): return ErrorClass("\(service.rawValue): \(cut(why))")
        case .completed:
            guard var line = outcome.lines.last else { return .reset(service) }
            if service == .imap, let space = line.firstIndex(of: " "), !line.hasPrefix("*"), !line.hasPrefix("+") {
                line = String(line[line.index(after: space)...])
            }
            return ErrorClass("\(service.rawValue): \(cut(line))")
        }
    }

    /// An error thrown while connecting or sending.
    public static func mail(_ service: Service, thrown error: any Error) -> ErrorClass {
        switch error as? MailClientError {
        case .timedOut: return .timeout(service)
        case .closed: return .reset(service)
        case .connectFailed(let why) where why.contains("TLS"):
            return ErrorClass("\(service.rawValue): TLS handshake failed")
        case .connectFailed: return .connect(service)
        case .tooLarge(let what): return ErrorClass("\(service.rawValue): \(what) too large")
        case .protocolViolation(let why): return ErrorClass("\(service.rawValue): \(cut(why))")
        case nil: return .reset(service)
        }
    }

    static func cut(_ text: String) -> String {
        text.count <= Limits.loadErrorLineLength ? text : String(text.prefix(Limits.loadErrorLineLength)) + "…"
    }
}
