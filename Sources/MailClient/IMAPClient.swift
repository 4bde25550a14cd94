/// An IMAP client session as a mail handler speaks it: greeting, STARTTLS, AUTHENTICATE XOAUTH2 with
/// SASL-IR, tagged commands (`A1`, `A2`, …), LOGOUT.
public final class IMAPClient: ClientSession, MailProtocolClient {
    private var nextTag = 1

    /// Connects and reads the greeting (the outcome's status is `OK` for `* OK …`).
    public static func connect(
        to endpoint: MailEndpoint, timeout: Double, recording: Bool = true
    ) async throws -> (IMAPClient, CommandOutcome) {
        // Without a wire log (a load generator) nothing reads literal bytes: they are counted, not kept.
        let connection = try await MailConnection.connect(
            to: endpoint, literals: true, keepLiterals: recording, timeout: timeout)
        let client = IMAPClient(connection: connection, timeout: timeout, recording: recording)
        var greeting = CommandOutcome(sent: nil)
        if let frame = await client.next(&greeting) {
            let words = frame.text.split(separator: " ", maxSplits: 2)
            let status = words.count > 1 && words[0] == "*" ? String(words[1]).uppercased() : nil
            greeting.status = status == "PREAUTH" ? "OK" : status
        }
        return (client, greeting)
    }

    /// `STARTTLS`, and TLS under the connection when the server says OK.
    public func startTLS() async throws -> CommandOutcome {
        let outcome = try await command("STARTTLS")
        if outcome.succeeded { try await connection.startTLS() }
        return outcome
    }

    /// `AUTHENTICATE XOAUTH2` with the response on the command line (SASL-IR). A `+` challenge (an
    /// error report, as Gmail sends) is answered with an empty line, as RFC 7628 asks.
    public func authenticateXOAUTH2(user: String, token: String, display: String) async throws -> CommandOutcome {
        let response = Self.xoauth2(user: user, token: token)
        return try await command("AUTHENTICATE XOAUTH2 \(response)", display: "AUTHENTICATE XOAUTH2 \(display)")
    }

    /// Sends `TAG text` and reads until the tagged completion, the server hanging up, or the timeout.
    public func command(_ text: String, display: String? = nil) async throws -> CommandOutcome {
        let tag = "A\(nextTag)"
        nextTag += 1
        let sent = "\(tag) \(display ?? text)"
        try await send("\(tag) \(text)", display: sent)
        var outcome = CommandOutcome(sent: sent)
        while let frame = await next(&outcome) {
            outcome.dataBytes += frame.literalBytes
            if frame.text.hasPrefix("+") {
                try await send("")
                continue
            }
            if frame.text.hasPrefix(tag + " ") {
                let rest = frame.text.dropFirst(tag.count + 1)
                outcome.status = rest.split(separator: " ", maxSplits: 1).first.map { String($0).uppercased() }
                return outcome
            }
        }
        return outcome
    }

    /// `LOGOUT` (its `* BYE` and tagged `OK`, or the server's close), then close.
    public func goodbye() async {
        await goodbye("LOGOUT") { try await command($0) }
    }
}
