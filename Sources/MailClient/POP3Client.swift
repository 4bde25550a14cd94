/// A POP3 client session: greeting, STLS, `AUTH XOAUTH2` in two steps (`+ ` then the response),
/// commands with multi-line answers read to the lone `.`, QUIT.
public final class POP3Client: ClientSession, MailProtocolClient {
    /// Connects and reads the greeting (`+OK …`).
    public static func connect(
        to endpoint: MailEndpoint, timeout: Double, recording: Bool = true
    ) async throws -> (POP3Client, CommandOutcome) {
        let connection = try await MailConnection.connect(to: endpoint, literals: false, timeout: timeout)
        let client = POP3Client(connection: connection, timeout: timeout, recording: recording)
        var greeting = CommandOutcome(sent: nil)
        if let frame = await client.next(&greeting) { greeting.status = Self.status(of: frame.text) }
        return (client, greeting)
    }

    static func status(of line: String) -> String? {
        if line.hasPrefix("+OK") { return "+OK" }
        if line.hasPrefix("-ERR") { return "-ERR" }
        return nil
    }

    /// `STLS`, and TLS under the connection when the server says `+OK`.
    public func startTLS() async throws -> CommandOutcome {
        let outcome = try await command("STLS")
        if outcome.succeeded { try await connection.startTLS() }
        return outcome
    }

    /// `AUTH XOAUTH2`, then the response after the server's `+ `.
    public func authenticateXOAUTH2(user: String, token: String, display: String) async throws -> CommandOutcome {
        var outcome = try await command("AUTH XOAUTH2")
        guard outcome.ending == .completed, outcome.status == nil, outcome.lines.last?.hasPrefix("+") == true else {
            return outcome
        }
        try await send(Self.xoauth2(user: user, token: token), display: display)
        guard var frame = await next(&outcome) else { return outcome }
        if frame.text == "+" || frame.text.hasPrefix("+ ") {
            // An error challenge (RFC 7628 §3.2.2: `+ ` and the base64 JSON status, as Dovecot sends it):
            // the client answers with an empty line and the server ends the exchange with `-ERR`.
            try await send("", display: "")
            guard let last = await next(&outcome) else { return outcome }
            frame = last
        }
        outcome.status = Self.status(of: frame.text)
        return outcome
    }

    /// Whether a successful answer to `text` is multi-line (RFC 1939, RFC 2449).
    static func isMultiLine(_ text: String) -> Bool {
        let words = text.split(separator: " ")
        guard let verb = words.first?.uppercased() else { return false }
        switch verb {
        case "RETR", "TOP", "CAPA": return true
        case "LIST", "UIDL": return words.count == 1
        default: return false
        }
    }

    /// Sends a command and reads its answer: one status line, and for a multi-line `+OK` the lines up
    /// to the lone `.` (their bytes, dot-unstuffed with CRLF, counted as data, not logged one by one).
    public func command(_ text: String, display: String? = nil) async throws -> CommandOutcome {
        let listing = !text.uppercased().hasPrefix("RETR") && !text.uppercased().hasPrefix("TOP")
        // A RETR/TOP body is counted by the decoder and arrives as one `.` frame with its bytes.
        try await send(text, display: display, expectingBody: !listing && Self.isMultiLine(text))
        var outcome = CommandOutcome(sent: display ?? text)
        guard let first = await next(&outcome) else { return outcome }
        outcome.status = Self.status(of: first.text)
        guard outcome.status == "+OK", Self.isMultiLine(text) else { return outcome }
        while true {
            guard let frame = await next(&outcome, logging: false, appending: false) else { return outcome }
            outcome.dataBytes += frame.bodyBytes
            if frame.text == "." {
                log(WireLine(.server, ".", dataBytes: listing ? 0 : outcome.dataBytes))
                outcome.lines.append(".")
                return outcome
            }
            let line = frame.text.hasPrefix(".") ? String(frame.text.dropFirst()) : frame.text
            if listing {
                log(WireLine(.server, line))
                outcome.lines.append(line)
            } else {
                outcome.dataBytes += line.utf8.count + 2
            }
        }
    }

    /// `QUIT` (read up to its `+OK` or the server's close: deletions happen at QUIT), then close.
    public func goodbye() async {
        await goodbye("QUIT") { try await command($0) }
    }
}
