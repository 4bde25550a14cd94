/// An ESMTP parameter of `MAIL FROM` or `RCPT TO` (`SIZE=1024`, `BODY=8BITMIME`), keyword upper-cased.
public struct SMTPParameter: Equatable, Sendable {
    public var keyword: String
    public var value: String?

    public init(_ keyword: String, _ value: String? = nil) {
        self.keyword = keyword
        self.value = value
    }
}

/// An SMTP command (RFC 5321, RFC 3207 `STARTTLS`, RFC 4954 `AUTH`), typed.
public enum SMTPCommand: Equatable, Sendable {
    case ehlo(String)
    case helo(String)
    case startTLS
    /// `AUTH mechanism [initial-response]`; the mechanism is upper-cased.
    case auth(mechanism: String, initialResponse: String?)
    /// `MAIL FROM:<path>`; the path is empty for the null reverse-path `<>`.
    case mail(from: String, parameters: [SMTPParameter])
    case rcpt(to: String, parameters: [SMTPParameter])
    case data
    case rset
    case noop
    case quit
    case vrfy(String)
    case help

    /// The command's verb as a client writes it (`MAIL`), for the journal and fault matching.
    public var verb: SMTPVerb {
        switch self {
        case .ehlo: .ehlo
        case .helo: .helo
        case .startTLS: .startTLS
        case .auth: .auth
        case .mail: .mail
        case .rcpt: .rcpt
        case .data: .data
        case .rset: .rset
        case .noop: .noop
        case .quit: .quit
        case .vrfy: .vrfy
        case .help: .help
        }
    }
}

/// The verbs exomock's SMTP server knows.
public enum SMTPVerb: String, Sendable, CaseIterable {
    case ehlo = "EHLO"
    case helo = "HELO"
    case startTLS = "STARTTLS"
    case auth = "AUTH"
    case mail = "MAIL"
    case rcpt = "RCPT"
    case data = "DATA"
    case rset = "RSET"
    case noop = "NOOP"
    case quit = "QUIT"
    case vrfy = "VRFY"
    case help = "HELP"
}

extension SMTPCommand: CustomStringConvertible {
    /// The command with SASL responses replaced by `<redacted>`: safe to log.
    public var description: String {
        switch self {
        case .ehlo(let domain): "EHLO \(domain)"
        case .helo(let domain): "HELO \(domain)"
        case .auth(let mechanism, let initialResponse):
            initialResponse == nil ? "AUTH \(mechanism)" : "AUTH \(mechanism) <redacted>"
        case .mail(let from, _): "MAIL FROM:<\(from)>"
        case .rcpt(let to, _): "RCPT TO:<\(to)>"
        case .vrfy(let text): "VRFY \(text)"
        default: verb.rawValue
        }
    }
}

/// Why a line is not an SMTP command. Each case says what was wrong, for the journal.
public enum SMTPParseError: Error, Equatable, Sendable {
    case emptyLine
    case unknownCommand(String)
    /// The verb is known but its arguments are not what RFC 5321 asks for.
    case syntax(verb: SMTPVerb, expected: String)
    /// `MAIL FROM` / `RCPT TO` with a path that is not `<local@domain>`.
    case invalidAddress(verb: SMTPVerb, text: String)

    public var explanation: String {
        switch self {
        case .emptyLine: "empty command line"
        case .unknownCommand(let name): "unknown command '\(name)'"
        case .syntax(let verb, let expected): "\(verb.rawValue) needs \(expected)"
        case .invalidAddress(let verb, let text): "\(verb.rawValue): '\(text)' is not an address in angle brackets"
        }
    }
}

/// Parses one command line (without its CRLF) into an `SMTPCommand`.
public enum SMTPCommandParser {
    public static func parse(_ line: [UInt8]) -> Result<SMTPCommand, SMTPParseError> {
        parse(String(decoding: line, as: UTF8.self))
    }

    public static func parse(_ line: String) -> Result<SMTPCommand, SMTPParseError> {
        let trimmed = line.trimmingBlanks()
        guard !trimmed.isEmpty else { return .failure(.emptyLine) }
        let verbEnd = trimmed.firstIndex(of: " ") ?? trimmed.endIndex
        let word = trimmed[..<verbEnd].uppercased()
        let rest = trimmed[verbEnd...].trimmingBlanks()
        guard let verb = SMTPVerb(rawValue: word) else {
            return .failure(.unknownCommand(String(trimmed[..<verbEnd].prefix(40))))
        }
        func bare(_ command: SMTPCommand) -> Result<SMTPCommand, SMTPParseError> {
            rest.isEmpty ? .success(command) : .failure(.syntax(verb: verb, expected: "no arguments"))
        }
        switch verb {
        case .ehlo, .helo:
            guard !rest.isEmpty, !rest.contains(" ") else {
                return .failure(.syntax(verb: verb, expected: "one domain or address literal"))
            }
            return .success(verb == .ehlo ? .ehlo(rest) : .helo(rest))
        case .startTLS: return bare(.startTLS)
        case .data: return bare(.data)
        case .rset: return bare(.rset)
        case .quit: return bare(.quit)
        case .noop: return .success(.noop)  // RFC 5321 §4.1.1.9: an argument is allowed and ignored
        case .help: return .success(.help)
        case .vrfy:
            guard !rest.isEmpty else { return .failure(.syntax(verb: verb, expected: "a user or mailbox")) }
            return .success(.vrfy(rest))
        case .auth:
            let words = rest.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            switch words.count {
            case 1: return .success(.auth(mechanism: words[0].uppercased(), initialResponse: nil))
            case 2: return .success(.auth(mechanism: words[0].uppercased(), initialResponse: words[1]))
            default: return .failure(.syntax(verb: verb, expected: "a mechanism and at most one initial response"))
            }
        case .mail:
            return path(rest, keyword: "FROM:", verb: verb, allowsEmpty: true).map {
                .mail(from: $0.0, parameters: $0.1)
            }
        case .rcpt:
            return path(rest, keyword: "TO:", verb: verb, allowsEmpty: false).map { .rcpt(to: $0.0, parameters: $0.1) }
        }
    }

    /// `FROM:<path> [params]` / `TO:<path> [params]`. A space after the colon is tolerated (common
    /// clients send it); a source route (`<@a,@b:user@c>`) is dropped, as RFC 5321 §C allows.
    static func path(_ text: String, keyword: String, verb: SMTPVerb, allowsEmpty: Bool)
        -> Result<(String, [SMTPParameter]), SMTPParseError>
    {
        guard text.uppercased().hasPrefix(keyword) else {
            return .failure(.syntax(verb: verb, expected: "\(keyword)<address>"))
        }
        let afterColon = text.dropFirst(keyword.count).drop { $0 == " " }
        guard afterColon.first == "<", let close = afterColon.firstIndex(of: ">") else {
            return .failure(.invalidAddress(verb: verb, text: String(afterColon.prefix(80))))
        }
        var address = String(afterColon[afterColon.index(after: afterColon.startIndex)..<close])
        if address.hasPrefix("@"), let colon = address.firstIndex(of: ":") {
            address = String(address[address.index(after: colon)...])
        }
        let valid = address.isEmpty ? allowsEmpty : isMailbox(address)
        guard valid else { return .failure(.invalidAddress(verb: verb, text: address)) }
        var parameters: [SMTPParameter] = []
        for word in afterColon[afterColon.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        {
            if let equals = word.firstIndex(of: "=") {
                parameters.append(
                    SMTPParameter(word[..<equals].uppercased(), String(word[word.index(after: equals)...])))
            } else {
                parameters.append(SMTPParameter(word.uppercased()))
            }
        }
        return .success((address, parameters))
    }

    /// `local@domain`, both parts non-empty, no spaces or angle brackets.
    static func isMailbox(_ address: String) -> Bool {
        guard let at = address.lastIndex(of: "@") else { return false }
        let local = address[..<at]
        let domain = address[address.index(after: at)...]
        return !local.isEmpty && !domain.isEmpty && !address.contains(where: { $0 == " " || $0 == "<" || $0 == ">" })
    }
}

/// A line read while a SASL exchange waits for the client's response (RFC 4954 §4).
public enum SMTPSASLResponse: Equatable, Sendable {
    /// `*`: the client cancels the exchange.
    case cancel
    /// The base64 response (possibly empty), surrounding blanks removed.
    case response(String)

    public static func parse(_ line: [UInt8]) -> SMTPSASLResponse {
        let text = String(decoding: line, as: UTF8.self).trimmingBlanks()
        return text == "*" ? .cancel : .response(text)
    }
}

extension StringProtocol {
    /// Drops leading and trailing spaces and tabs.
    func trimmingBlanks() -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
