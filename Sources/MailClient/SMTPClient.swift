import Foundation

/// An SMTP submission client session as a help desk's mailer speaks it (RFC 5321, RFC 3207, RFC 4954):
/// greeting, `EHLO`, `STARTTLS` and `EHLO` again, `AUTH XOAUTH2` in two steps (`334 ` then the response,
/// as Jakarta Mail and `smtplib` do), `MAIL FROM`/`RCPT TO`/`DATA`, `QUIT`.
///
/// A reply's status is its three-digit code (`250`); 2xx and 3xx are positive (`CommandOutcome.succeeded`).
public final class SMTPClient: ClientSession, MailProtocolClient {
    /// The name the client gives in `EHLO`.
    public var clientName = "exomock-flow.localhost"

    /// Connects and reads the greeting (`220 …`), then says `EHLO`: a submission client learns the
    /// server's extensions before anything else. The outcome holds the greeting and the `EHLO` answer.
    public static func connect(
        to endpoint: MailEndpoint, timeout: Double, recording: Bool = true
    ) async throws -> (SMTPClient, CommandOutcome) {
        let connection = try await MailConnection.connect(to: endpoint, literals: false, timeout: timeout)
        let client = SMTPClient(connection: connection, timeout: timeout, recording: recording)
        var greeting = await client.readReply(sent: nil)
        guard greeting.ending == .completed, greeting.succeeded else { return (client, greeting) }
        let ehlo = try await client.command("EHLO \(client.clientName)")
        greeting.lines += ehlo.lines
        greeting.status = ehlo.status
        greeting.ending = ehlo.ending
        return (client, greeting)
    }

    /// The three-digit code of a reply line (`250-SIZE` → `250`), or nil when the line is not a reply.
    static func code(of line: String) -> String? {
        let prefix = line.utf8.prefix(3)
        guard prefix.count == 3, prefix.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        return String(decoding: prefix, as: UTF8.self)
    }

    /// Whether the line ends a (possibly multi-line) reply: `250 OK`, not `250-SIZE`.
    static func isLast(_ line: String) -> Bool {
        let bytes = Array(line.utf8)
        return bytes.count == 3 || (bytes.count > 3 && bytes[3] != UInt8(ascii: "-"))
    }

    /// Reads one reply: its lines up to the one without a `-` after the code.
    func readReply(sent: String?) async -> CommandOutcome {
        var outcome = CommandOutcome(sent: sent)
        while let frame = await next(&outcome) {
            guard let code = Self.code(of: frame.text) else {
                outcome.ending = .failed("the server sent a line that is not an SMTP reply: '\(frame.text)'")
                return outcome
            }
            if Self.isLast(frame.text) {
                outcome.status = code
                return outcome
            }
        }
        return outcome
    }

    /// `STARTTLS`, TLS under the connection when the server says 220, then `EHLO` again (RFC 3207 §4.2:
    /// the client forgets what it knew). The outcome is the `EHLO` answer after TLS, or the refusal.
    public func startTLS() async throws -> CommandOutcome {
        let outcome = try await command("STARTTLS")
        guard outcome.succeeded else { return outcome }
        try await connection.startTLS()
        var ehlo = try await command("EHLO \(clientName)")
        ehlo.lines = outcome.lines + ehlo.lines
        return ehlo
    }

    /// `AUTH XOAUTH2`, then the response after the server's `334 `. A `334` error challenge after the
    /// response (RFC 7628 §3.2.2) is answered with an empty line, and the final reply read.
    public func authenticateXOAUTH2(user: String, token: String, display: String) async throws -> CommandOutcome {
        var outcome = try await command("AUTH XOAUTH2")
        guard outcome.ending == .completed, outcome.status == "334" else { return outcome }
        try await send(Self.xoauth2(user: user, token: token), display: display)
        var answer = await readReply(sent: display)
        if answer.ending == .completed, answer.status == "334" {
            try await send("")
            let final = await readReply(sent: "")
            answer.lines += final.lines
            answer.status = final.status
            answer.ending = final.ending
        }
        outcome.lines += answer.lines
        outcome.status = answer.status
        outcome.ending = answer.ending
        return outcome
    }

    /// Sends one command and reads its reply.
    public func command(_ text: String, display: String? = nil) async throws -> CommandOutcome {
        try await send(text, display: display)
        return await readReply(sent: display ?? text)
    }

    /// After a positive `354` to `DATA`: the message, dot-stuffed (RFC 5321 §4.5.2) with CRLF line ends,
    /// then the lone `.`, and the server's verdict. The body is logged as a byte count, not line by line.
    public func sendMessageData(_ message: String) async throws -> CommandOutcome {
        var lines = message.replacingOccurrences(of: "\r\n", with: "\n").split(
            separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        let stuffed = lines.map { $0.hasPrefix(".") ? "." + $0 : String($0) }
        try await connection.send(lines: stuffed)
        let bytes = stuffed.reduce(0) { $0 + $1.utf8.count + 2 }
        log(WireLine(.client, "(message, \(lines.count) lines)", dataBytes: bytes))
        return try await command(".")
    }

    /// `QUIT`, read to its `221` (or the server's close), then close.
    public func goodbye() async {
        await goodbye("QUIT") { try await command($0) }
    }
}
