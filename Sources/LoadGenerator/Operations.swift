import FlowRunner
import Foundation
import MailClient

/// What `imap` and `pop3` operations read and change.
public struct MailWork: Sendable {
    public var fetch: FetchPolicy = .new
    /// Most messages one operation reads.
    public var maxMessages = 1000
    /// IMAP: mark what was read `\Seen`.
    public var flag = false
    /// IMAP: `\Deleted` and `EXPUNGE` what was read; POP3: `DELE` it.
    public var expunge = false
    /// `smtp`: the size of the message each operation submits, headers included.
    public var messageBytes = 10 * 1024 {
        didSet { message = Self.message(bytes: messageBytes) }
    }
    /// `smtp`: the message, made once (`messageBytes` long with CRLF line ends once dot-stuffed, which it never needs).
    private(set) var message = Self.message(bytes: 10 * 1024)
    /// `smtp`: the recipient, outside every scenario tenant (`.invalid`, RFC 2606), so nothing is delivered.
    public static let recipient = "load-sink@exomock.invalid"

    static func message(bytes: Int) -> String {
        let head = "From: load@exomock.invalid\r\nTo: \(recipient)\r\nSubject: exomock load\r\n\r\n"
        var body = ""
        let line = String(repeating: "x", count: 76) + "\r\n"
        while head.utf8.count + body.utf8.count + line.utf8.count <= bytes { body += line }
        body += String(repeating: "y", count: max(0, bytes - head.utf8.count - body.utf8.count - 2)) + "\r\n"
        return head + body
    }

    public init() {}
}

/// Runs one operation of a kind for a handler, through the flow runner's clients with recording off.
struct Operations: Sendable {
    let target: LoadTarget
    let work: MailWork
    /// Read timeout of each command, in seconds.
    let timeout: Double

    func run(_ kind: LoadKind, _ handler: inout SimulatedHandler) async -> OperationResult {
        switch kind {
        case .refresh: await refresh(&handler)
        case .imap, .imapLogin: await mail(IMAPClient.self, .imap, target.imap, &handler, loginOnly: kind.loginOnly)
        case .pop3, .pop3Login: await mail(POP3Client.self, .pop3, target.pop3, &handler, loginOnly: kind.loginOnly)
        case .smtp: await mail(SMTPClient.self, .smtp, target.smtp, &handler, loginOnly: false)
        }
    }

    // MARK: Token

    func refresh(_ handler: inout SimulatedHandler) async -> OperationResult {
        guard let http = target.http, var grant = handler.refresh else {
            return .failed(ErrorClass("token: no refresh token"))
        }
        var form = [
            ("grant_type", "refresh_token"), ("client_id", grant.clientID), ("refresh_token", grant.refreshToken),
        ]
        if !grant.scope.isEmpty { form.append(("scope", grant.scope)) }
        if let secret = grant.secret { form.append(("client_secret", secret)) }
        let answer: HTTPAnswer
        do {
            answer = try await http.request(.POST, grant.tokenURL, form: form)
        } catch {
            return .failed(.tokenTransport("\(error)"))
        }
        let bytes = answer.body.utf8.count
        let json = answer.json ?? [:]
        guard answer.status == 200, json["access_token"] is String else {
            let codes = (json["error_codes"] as? [Any])?.compactMap { ($0 as? Int) ?? Int("\($0)") } ?? []
            return .failed(
                .token(status: answer.status, errorCodes: codes, error: json["error"] as? String), bytes: bytes)
        }
        if let next = json["refresh_token"] as? String {
            grant.refreshToken = next
            handler.refresh = grant
        }
        return OperationResult(bytes: bytes)
    }

    // MARK: Mail

    /// Connect, STARTTLS when the endpoint asks for it, XOAUTH2, the kind's commands, goodbye.
    func mail<Client: MailProtocolClient>(
        _: Client.Type, _ service: ErrorClass.Service, _ endpoint: MailEndpoint?, _ handler: inout SimulatedHandler,
        loginOnly: Bool
    ) async -> OperationResult {
        guard let endpoint else { return .failed(ErrorClass("\(service.rawValue): no endpoint")) }
        // The session's jobs and its connection on one event loop: no thread hop per command (a RETR each).
        return await MailConnection.onOneEventLoop {
            await mailSession(Client.self, service, endpoint, &handler, loginOnly: loginOnly)
        }
    }

    func mailSession<Client: MailProtocolClient>(
        _: Client.Type, _ service: ErrorClass.Service, _ endpoint: MailEndpoint, _ handler: inout SimulatedHandler,
        loginOnly: Bool
    ) async -> OperationResult {
        let client: Client
        do {
            let (connected, greeting) = try await Client.connect(to: endpoint, timeout: timeout, recording: false)
            client = connected
            guard greeting.succeeded else {
                await client.close()
                return .failed(.mail(service, greeting))
            }
        } catch {
            return .failed(.mail(service, thrown: error))
        }
        var result: OperationResult
        do {
            result = try await session(client, service, endpoint, &handler, loginOnly: loginOnly)
        } catch {
            result = .failed(.mail(service, thrown: error))
        }
        if result.error == nil { await client.goodbye() } else { await client.close() }
        return result
    }

    func session<Client: MailProtocolClient>(
        _ client: Client, _ service: ErrorClass.Service, _ endpoint: MailEndpoint, _ handler: inout SimulatedHandler,
        loginOnly: Bool
    ) async throws -> OperationResult {
        if endpoint.security == .starttls {
            let tls = try await client.startTLS()
            guard tls.succeeded else { return .failed(.mail(service, tls)) }
        }
        let auth = try await client.authenticateXOAUTH2(user: handler.mailbox, token: handler.accessToken, display: "")
        guard auth.succeeded else { return .failed(.mail(service, auth)) }
        if loginOnly { return OperationResult() }
        if let imap = client as? IMAPClient { return try await fetchIMAP(imap, &handler) }
        if let pop = client as? POP3Client { return try await retrievePOP3(pop, &handler) }
        if let smtp = client as? SMTPClient { return try await submit(smtp, from: handler.mailbox) }
        return OperationResult()
    }

    /// `MAIL FROM` the handler's mailbox, `RCPT TO` the sink, `DATA` with the message.
    func submit(_ client: SMTPClient, from: String) async throws -> OperationResult {
        for command in ["MAIL FROM:<\(from)>", "RCPT TO:<\(MailWork.recipient)>", "DATA"] {
            let answer = try await client.command(command)
            guard answer.succeeded else { return .failed(.mail(.smtp, answer)) }
        }
        let queued = try await client.sendMessageData(work.message)
        guard queued.succeeded else { return .failed(.mail(.smtp, queued)) }
        return OperationResult(bytes: work.messageBytes, messages: 1)
    }

    /// `SELECT INBOX`, then the messages to read: `FETCH 1:n` (`--fetch all`), or the UIDs above the
    /// last one read (`UID FETCH last+1:* (UID)` to list them, then their bodies).
    func fetchIMAP(_ client: IMAPClient, _ handler: inout SimulatedHandler) async throws -> OperationResult {
        let select = try await client.command("SELECT INBOX")
        guard select.succeeded else { return .failed(.mail(.imap, select)) }
        let set: String
        let prefix: String
        switch work.fetch {
        case .all:
            let exists = select.lines.lazy.compactMap(IMAPText.exists).last ?? 0
            guard exists > 0 else { return OperationResult() }
            set = "1:\(min(exists, work.maxMessages))"
            prefix = ""
        case .new:
            let listed = try await client.command("UID FETCH \(handler.lastUID + 1):* (UID)")
            guard listed.succeeded else { return .failed(.mail(.imap, listed)) }
            let uids = listed.lines.compactMap(IMAPText.uid).filter { $0 > handler.lastUID }.sorted().prefix(
                work.maxMessages)
            guard let first = uids.first, let last = uids.last else { return OperationResult() }
            handler.lastUID = last
            // The listing had every UID above the last one read, so no other UID lies between these two.
            set = "\(first):\(last)"
            prefix = "UID "
        }
        let fetched = try await client.command("\(prefix)FETCH \(set) (BODY.PEEK[])")
        let messages = fetched.lines.count(where: IMAPText.isFetch)
        guard fetched.succeeded else {
            return .failed(.mail(.imap, fetched), bytes: fetched.dataBytes, messages: messages)
        }
        var changes: [String] = []
        if work.flag { changes.append("\(prefix)STORE \(set) +FLAGS.SILENT (\\Seen)") }
        if work.expunge { changes += ["\(prefix)STORE \(set) +FLAGS.SILENT (\\Deleted)", "EXPUNGE"] }
        for change in changes {
            let answer = try await client.command(change)
            guard answer.succeeded else {
                return .failed(.mail(.imap, answer), bytes: fetched.dataBytes, messages: messages)
            }
        }
        return OperationResult(bytes: fetched.dataBytes, messages: messages)
    }

    /// `STAT`, then `RETR` of the messages to read (and `DELE` with `--expunge`).
    func retrievePOP3(_ client: POP3Client, _ handler: inout SimulatedHandler) async throws -> OperationResult {
        let stat = try await client.command("STAT")
        guard stat.succeeded else { return .failed(.mail(.pop3, stat)) }
        let count = stat.lines.first.flatMap(POP3Text.statCount) ?? 0
        if count < handler.popRead { handler.popRead = 0 }
        let first = work.fetch == .new && !work.expunge ? handler.popRead + 1 : 1
        let last = min(count, first - 1 + work.maxMessages)
        var result = OperationResult()
        guard first <= last else { return result }
        for number in first...last {
            let retr = try await client.command("RETR \(number)")
            guard retr.succeeded else {
                return .failed(.mail(.pop3, retr), bytes: result.bytes, messages: result.messages)
            }
            result.bytes += retr.dataBytes
            result.messages += 1
            if work.expunge {
                let dele = try await client.command("DELE \(number)")
                guard dele.succeeded else {
                    return .failed(.mail(.pop3, dele), bytes: result.bytes, messages: result.messages)
                }
            }
        }
        if work.fetch == .new, !work.expunge { handler.popRead = last }
        return result
    }
}

/// The bits of IMAP answers the load generator reads.
enum IMAPText {
    /// N of `* N EXISTS`.
    static func exists(_ line: String) -> Int? {
        let words = line.split(separator: " ")
        guard words.count == 3, words[0] == "*", words[2].uppercased() == "EXISTS" else { return nil }
        return Int(words[1])
    }

    private static let fetchMarker = Array(" FETCH (".utf8)

    /// Whether a line is a `* n FETCH (…` answer (compared as bytes: no Foundation string search per line).
    static func isFetch(_ line: String) -> Bool {
        let needle = fetchMarker
        return line.utf8.withContiguousStorageIfAvailable { bytes in
            guard bytes.count > needle.count, bytes[0] == UInt8(ascii: "*"), bytes[1] == UInt8(ascii: " ") else {
                return false
            }
            for start in 1...(bytes.count - needle.count) where bytes[start] == needle[0] {
                if (1..<needle.count).allSatisfy({ bytes[start + $0] == needle[$0] }) { return true }
            }
            return false
        } ?? (line.hasPrefix("* ") && line.contains(" FETCH ("))
    }

    /// The UID in a `* n FETCH (… UID u …)` line.
    static func uid(_ line: String) -> Int? {
        guard line.hasPrefix("* "), let range = line.range(of: "UID ", options: .caseInsensitive) else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }
}

enum POP3Text {
    /// N of `+OK N SIZE`.
    static func statCount(_ line: String) -> Int? {
        let words = line.split(separator: " ")
        guard words.count >= 2, words[0] == "+OK" else { return nil }
        return Int(words[1])
    }
}
