import Determinism
import Foundation
import NIOCore

/// One line on the wire, as a transcript shows it.
public struct WireLine: Sendable, Equatable {
    public enum Direction: String, Sendable {
        case client = "C"
        case server = "S"
    }
    public var direction: Direction
    /// The line as sent or received (literal data left out, `{N}` kept), or a masked form of it.
    public var text: String
    /// Bytes of literal or multi-line body data that came with the line.
    public var dataBytes: Int

    public init(_ direction: Direction, _ text: String, dataBytes: Int = 0) {
        self.direction = direction
        self.text = text
        self.dataBytes = dataBytes
    }
}

/// How a command's answer ended.
public enum CommandEnding: Error, Sendable, Equatable {
    /// The server completed it (tagged line, `+OK`/`-ERR`).
    case completed
    /// The server hung up first.
    case closed
    /// No answer within the read timeout.
    case timedOut(seconds: Double)
    /// The connection failed otherwise (TLS, a frame over the client's limits).
    case failed(String)
}

/// What one command (or the greeting, or a SASL exchange) got back.
public struct CommandOutcome: Sendable {
    /// What the client sent, as shown in transcripts (masked where it carries a secret).
    public var sent: String?
    /// Every line the server sent in answer, the completion line last.
    public var lines: [String]
    /// `OK`/`NO`/`BAD` (IMAP), `+OK`/`-ERR` (POP3) or the reply code (SMTP `250`); nil when it did not complete.
    public var status: String?
    /// Bytes of message data in the answer (IMAP literals, POP3 multi-line bodies).
    public var dataBytes: Int
    public var ending: CommandEnding

    public init(
        sent: String?, lines: [String] = [], status: String? = nil, dataBytes: Int = 0,
        ending: CommandEnding = .completed
    ) {
        self.sent = sent
        self.lines = lines
        self.status = status
        self.dataBytes = dataBytes
        self.ending = ending
    }

    /// IMAP `OK`, POP3 `+OK`, or an SMTP reply code of class 2 or 3 (`250`, `334`, `354`).
    public var succeeded: Bool {
        guard ending == .completed, let status else { return false }
        return status == "OK" || status == "+OK" || status.hasPrefix("2") || status.hasPrefix("3")
    }
}

/// What IMAP and POP3 client sessions share: the connection, the read timeout, the wire log.
/// Not thread-safe: one task drives a session from start to end.
public class ClientSession {
    public let connection: MailConnection
    public var timeout: Double
    /// Whether to keep `wire` (a load generator turns it off).
    public let recording: Bool
    public private(set) var wire: [WireLine] = []
    /// Frames read from the connection in one batch and not yet handed out.
    private var received: ArraySlice<ResponseFrame> = []

    init(connection: MailConnection, timeout: Double, recording: Bool) {
        self.connection = connection
        self.timeout = timeout
        self.recording = recording
    }

    func log(_ line: WireLine) {
        if recording { wire.append(line) }
    }

    /// Sends a line, logging `display` in its place when given.
    func send(_ line: String, display: String? = nil, expectingBody: Bool = false) async throws {
        log(WireLine(.client, display ?? line))
        try await connection.send(line, expectingBody: expectingBody)
    }

    /// The next frame, or how reading ended. `logging: false` leaves it out of `wire` (the lines of a
    /// POP3 message body, counted instead).
    public func receive(logging: Bool = true) async -> Result<ResponseFrame, CommandEnding> {
        do {
            if received.isEmpty { received = try await connection.readBatch(timeout: timeout)[...] }
            let frame = received.removeFirst()
            if logging { log(WireLine(.server, frame.text, dataBytes: frame.literalBytes)) }
            return .success(frame)
        } catch let error as MailClientError {
            switch error {
            case .closed: return .failure(.closed)
            case .timedOut(let s): return .failure(.timedOut(seconds: s))
            default: return .failure(.failed(error.description))
            }
        } catch {
            return .failure(.failed("\(error)"))
        }
    }

    /// Ends the session without a goodbye.
    public func close() async { await connection.close() }

    /// Wire lines not yet taken by `takeNewWire()`.
    private var taken = 0

    /// The wire lines logged since the last call.
    public func takeNewWire() -> [WireLine] {
        defer { taken = wire.count }
        return Array(wire[taken...])
    }

    /// The next frame of an answer, its line appended to `outcome` (when `appending`); nil once reading
    /// ended, with `outcome.ending` saying how. The one read loop step of every client.
    func next(_ outcome: inout CommandOutcome, logging: Bool = true, appending: Bool = true) async -> ResponseFrame? {
        switch await receive(logging: logging) {
        case .success(let frame):
            if appending { outcome.lines.append(frame.text) }
            return frame
        case .failure(let ending):
            outcome.ending = ending
            return nil
        }
    }

    /// Sends the protocol's goodbye and reads its answer, then closes. When the server has already hung up
    /// (after `* BYE`), the goodbye cannot be sent, and what the server said before closing is read from
    /// the inbox instead, so a transcript shows the same lines however the close and the send raced.
    func goodbye(_ text: String, answer: (String) async throws -> CommandOutcome) async {
        do {
            _ = try await answer(text)
        } catch {
            var rest = CommandOutcome(sent: text)
            await readUntilClosed(&rest)
        }
        await close()
    }

    /// Reads on after a completed answer until the server hangs up (or the read times out): for a
    /// command expected to end the connection (`* BYE` after a tagged `BAD`).
    public func readUntilClosed(_ outcome: inout CommandOutcome) async {
        while await next(&outcome) != nil {}
    }

    /// The XOAUTH2 SASL response (base64 of `user=U^Aauth=Bearer T^A^A`, RFC 7628 style).
    public static func xoauth2(user: String, token: String) -> String {
        Data("user=\(user)\u{01}auth=Bearer \(token)\u{01}\u{01}".utf8).base64EncodedString()
    }
}

/// What IMAP and POP3 client sessions offer a flow step or a load generator, so either drives both.
public protocol MailProtocolClient: ClientSession {
    /// Connects and reads the greeting.
    static func connect(to endpoint: MailEndpoint, timeout: Double, recording: Bool) async throws -> (
        Self, CommandOutcome
    )
    /// STARTTLS / STLS, and TLS under the connection when the server agrees.
    func startTLS() async throws -> CommandOutcome
    /// SASL XOAUTH2, logging `display` in place of the response.
    func authenticateXOAUTH2(user: String, token: String, display: String) async throws -> CommandOutcome
    /// One command and its whole answer.
    func command(_ text: String, display: String?) async throws -> CommandOutcome
    /// LOGOUT or QUIT, read to its answer (or the server's close), then close.
    func goodbye() async
}
