import ExomockLimits
import Foundation
import ListenerSupport
import MailAuthentication
import NIOCore
import POP3Wire

/// POP3's part of a `MailConnectionHandler`: frames lines, runs `POP3Session`, and performs its effects
/// (the token check, the maildrop) against the server's authenticator and store.
///
/// Threading: the token check (one RS256 verify, ~85 µs) and the in-memory store calls run on the
/// connection's event loop, synchronously, which keeps the STLS fence trivially correct (no pipelined
/// byte is read between the `+OK` and the TLS handler).
struct POP3Driver: MailSessionDriver {
    let server: POP3Server
    let connection: ConnectionContext
    private(set) var session: POP3Session
    private var framer = POP3LineFramer(maximumLineLength: Limits.pop3MaximumLineLength)
    /// Frames of the last read not handled yet (the framer splits a read whole).
    private var frames: [POP3Frame] = []
    private var frameStart = 0
    /// The server's authenticator, through which a `throttle` fault reaches this connection's next login.
    private let authenticator: ThrottlingAuthenticator

    init(server: POP3Server, connection: ConnectionContext, session: POP3Session) {
        self.server = server
        self.connection = connection
        self.session = session
        self.authenticator = ThrottlingAuthenticator(server.authenticator)
    }

    mutating func started(link: MailConnectionLink, at now: Date) -> [MailConnectionAction] {
        [.send(POP3MessageOutput.output(session.greeting))]
    }

    mutating func buffer(_ bytes: ByteBuffer) {
        var bytes = bytes
        if frameStart > 0, frameStart == frames.count {
            frames.removeAll(keepingCapacity: true)
            frameStart = 0
        }
        frames.append(contentsOf: framer.feed(buffer: &bytes))
    }

    mutating func nextFrame() -> POP3Frame? {
        guard frameStart < frames.count else { return nil }
        defer { frameStart += 1 }
        return frames[frameStart]
    }

    mutating func discardBufferedInput() -> Int {
        var dropped = framer.bufferedByteCount
        for case .line(let bytes) in frames[frameStart...] { dropped += bytes.count + 2 }
        frames.removeAll(keepingCapacity: true)
        frameStart = 0
        framer.reset()
        return dropped
    }

    func faultSubject(of frame: POP3Frame) -> MailFaultSubject? {
        guard case .line(let bytes) = frame, !session.isAwaitingSASL else { return nil }
        var user: String?
        var clientID: String?
        if case .transaction(let transaction) = session.state {
            (user, clientID) = (transaction.mailbox, transaction.clientID)
        }
        let command = MailCommandName.firstWord(bytes)
        if user == nil, command == "AUTH" { user = MailCommandName.xoauth2User(inCommand: bytes, word: 2) }
        return MailFaultSubject(command: command, user: user, clientID: clientID)
    }

    var isAuthenticated: Bool {
        switch session.state {
        case .transaction, .update: true
        default: false
        }
    }

    mutating func handle(_ frame: POP3Frame) -> [MailConnectionAction] {
        perform(session.received(frame))
    }

    mutating func idleTimedOut(after seconds: Double, preAuthentication: Bool) -> [MailConnectionAction] {
        perform(session.idleTimedOut(after: seconds))
    }

    /// Shutdown closes without UPDATE: pending deletions are discarded, the lock released (`connectionClosed`).
    mutating func shuttingDown() -> [MailConnectionAction] { [.close] }

    mutating func connectionClosed() -> [MailConnectionAction] { perform(session.connectionDropped()) }

    mutating func posted(_ event: Any) -> [MailConnectionAction]? { nil }

    func faultReply(_ line: String, to frame: POP3Frame) -> [MailConnectionAction] { [.send(.line(line))] }

    func faultBye() -> [MailConnectionAction] { [.send(.line("-ERR " + POP3Texts.connectionClosed))] }

    mutating func throttleNextLogin() { authenticator.armed = true }

    private mutating func perform(_ effects: [POP3Session.Effect]) -> [MailConnectionAction] {
        var actions: [MailConnectionAction] = []
        for effect in effects {
            switch effect {
            case .send(let response):
                actions.append(.send(POP3MessageOutput.output(response)))
            case .record(let event, let detail):
                actions.append(.record(event, detail))
            case .startTLS:
                actions.append(.startTLS)
            case .authenticateXOAUTH2(let credentials):
                actions += perform(session.authenticated(authenticator.authenticate(credentials, service: .pop3)))
            case .authenticateBasic(let user, let password):
                let decision = authenticator.authenticateBasic(user: user, password: password, service: .pop3)
                actions += perform(session.authenticated(decision))
            case .openMaildrop(let mailbox):
                let result = server.store.openMaildrop(
                    mailbox, session: connection.connectionID, sharing: server.sharing)
                actions += perform(session.maildropOpened(result))
            case .expunge(let mailbox, let uids):
                server.store.expungeMaildrop(mailbox, session: connection.connectionID, uids: uids)
            case .releaseMaildrop(let mailbox):
                server.store.closeMaildrop(mailbox, session: connection.connectionID)
            case .close:
                actions.append(.close)
            }
        }
        return actions
    }
}
