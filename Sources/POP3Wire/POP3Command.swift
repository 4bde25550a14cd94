/// A POP3 command (RFC 1939, RFC 2449 `CAPA`, RFC 2595 `STLS`, RFC 5034 `AUTH`), typed.
public enum POP3Command: Equatable, Sendable {
    case user(String)
    case pass(String)
    /// `AUTH`, `AUTH mech` or `AUTH mech initial-response` (RFC 5034). The mechanism is upper-cased.
    case auth(mechanism: String?, initialResponse: String?)
    case capa
    case stls
    case stat
    case list(Int?)
    case uidl(Int?)
    case retr(Int)
    case top(Int, lines: Int)
    case dele(Int)
    case rset
    case noop
    case quit

    /// The command's keyword as a client writes it (`RETR`), for the journal.
    public var keyword: String {
        switch self {
        case .user: "USER"
        case .pass: "PASS"
        case .auth: "AUTH"
        case .capa: "CAPA"
        case .stls: "STLS"
        case .stat: "STAT"
        case .list: "LIST"
        case .uidl: "UIDL"
        case .retr: "RETR"
        case .top: "TOP"
        case .dele: "DELE"
        case .rset: "RSET"
        case .noop: "NOOP"
        case .quit: "QUIT"
        }
    }
}

extension POP3Command: CustomStringConvertible {
    /// The command with secrets (passwords, SASL responses) replaced by `<redacted>`: safe to log.
    public var description: String {
        switch self {
        case .user(let name): "USER \(name)"
        case .pass: "PASS <redacted>"
        case .auth(let mechanism, let initialResponse):
            ["AUTH", mechanism, initialResponse.map { _ in "<redacted>" }].compactMap { $0 }.joined(separator: " ")
        case .list(let n): n.map { "LIST \($0)" } ?? "LIST"
        case .uidl(let n): n.map { "UIDL \($0)" } ?? "UIDL"
        case .retr(let n): "RETR \(n)"
        case .top(let n, let lines): "TOP \(n) \(lines)"
        case .dele(let n): "DELE \(n)"
        default: keyword
        }
    }
}

/// Why a line is not a POP3 command. Each case says what was wrong, for the journal and the `-ERR` text.
public enum POP3ParseError: Error, Equatable, Sendable {
    case emptyLine
    case unknownCommand(String)
    case missingArgument(command: String, expected: String)
    case invalidArgument(command: String, argument: String, expected: String)
    case tooManyArguments(command: String)

    /// A sentence for the journal: what was wrong and what a valid command looks like.
    public var explanation: String {
        switch self {
        case .emptyLine: "empty command line"
        case .unknownCommand(let name): "unknown command '\(name)'"
        case .missingArgument(let command, let expected): "\(command) needs \(expected)"
        case .invalidArgument(let command, let argument, let expected):
            "\(command): '\(argument)' is not \(expected)"
        case .tooManyArguments(let command): "\(command): too many arguments"
        }
    }
}

/// A client line read while a SASL exchange waits for the client's response (RFC 5034 §4).
public enum POP3SASLResponse: Equatable, Sendable {
    /// `*`: the client cancels the exchange.
    case cancel
    /// The base64 response (possibly empty), surrounding spaces removed.
    case response(String)

    public static func parse(_ line: [UInt8]) -> POP3SASLResponse {
        let text = String(decoding: line, as: UTF8.self).trimmingSpaces()
        return text == "*" ? .cancel : .response(text)
    }
}

/// Parses one command line (without its CRLF) into a `POP3Command`.
public enum POP3CommandParser {
    /// Largest message number or line count accepted: nine digits, so the value always fits an `Int`.
    public static let maximumNumberDigits = 9

    public static func parse(_ line: [UInt8]) -> Result<POP3Command, POP3ParseError> {
        parse(String(decoding: line, as: UTF8.self))
    }

    public static func parse(_ line: String) -> Result<POP3Command, POP3ParseError> {
        let trimmed = line.trimmingSpaces()
        guard !trimmed.isEmpty else { return .failure(.emptyLine) }
        let keywordEnd = trimmed.firstIndex(of: " ") ?? trimmed.endIndex
        let keyword = trimmed[..<keywordEnd].uppercased()
        let rest = trimmed[keywordEnd...].trimmingSpaces()
        let args = rest.split(separator: " ", omittingEmptySubsequences: true).map(String.init)

        func none(_ command: POP3Command) -> Result<POP3Command, POP3ParseError> {
            args.isEmpty ? .success(command) : .failure(.tooManyArguments(command: keyword))
        }
        func number(_ text: String, _ what: String) -> Result<Int, POP3ParseError> {
            guard !text.isEmpty, text.count <= maximumNumberDigits, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                let value = Int(text)
            else {
                return .failure(.invalidArgument(command: keyword, argument: text, expected: what))
            }
            return .success(value)
        }
        func optionalMessage(_ make: (Int?) -> POP3Command) -> Result<POP3Command, POP3ParseError> {
            switch args.count {
            case 0: return .success(make(nil))
            case 1: return number(args[0], "a message number").map(make)
            default: return .failure(.tooManyArguments(command: keyword))
            }
        }
        func message(_ make: (Int) -> POP3Command) -> Result<POP3Command, POP3ParseError> {
            switch args.count {
            case 0: return .failure(.missingArgument(command: keyword, expected: "a message number"))
            case 1: return number(args[0], "a message number").map(make)
            default: return .failure(.tooManyArguments(command: keyword))
            }
        }

        switch keyword {
        case "USER":
            guard !rest.isEmpty else { return .failure(.missingArgument(command: keyword, expected: "a user name")) }
            return .success(.user(rest))
        case "PASS":
            // RFC 1939: the password is the rest of the line after one space, and may contain spaces
            // (trailing ones included).
            let untrimmed = line.drop(while: { $0 == " " || $0 == "\t" })
            let raw = untrimmed.dropFirst(4).dropFirst()
            guard !raw.isEmpty else { return .failure(.missingArgument(command: keyword, expected: "a password")) }
            return .success(.pass(String(raw)))
        case "AUTH":
            switch args.count {
            case 0: return .success(.auth(mechanism: nil, initialResponse: nil))
            case 1: return .success(.auth(mechanism: args[0].uppercased(), initialResponse: nil))
            case 2: return .success(.auth(mechanism: args[0].uppercased(), initialResponse: args[1]))
            default: return .failure(.tooManyArguments(command: keyword))
            }
        case "CAPA": return none(.capa)
        case "STLS": return none(.stls)
        case "STAT": return none(.stat)
        case "RSET": return none(.rset)
        case "NOOP": return none(.noop)
        case "QUIT": return none(.quit)
        case "LIST": return optionalMessage { .list($0) }
        case "UIDL": return optionalMessage { .uidl($0) }
        case "RETR": return message { .retr($0) }
        case "DELE": return message { .dele($0) }
        case "TOP":
            guard args.count >= 2 else {
                return .failure(.missingArgument(command: keyword, expected: "a message number and a line count"))
            }
            guard args.count == 2 else { return .failure(.tooManyArguments(command: keyword)) }
            return number(args[0], "a message number").flatMap { n in
                number(args[1], "a line count").map { POP3Command.top(n, lines: $0) }
            }
        default:
            return .failure(.unknownCommand(String(trimmed[..<keywordEnd].prefix(40))))
        }
    }
}

extension StringProtocol {
    /// Drops leading and trailing spaces and tabs (no Foundation needed).
    func trimmingSpaces() -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
