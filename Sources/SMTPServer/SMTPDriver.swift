import Foundation
import ListenerSupport
import MailAuthentication
import NIOCore
import SMTPWire

/// SMTP's part of a `MailConnectionHandler`: frames lines and messages, runs `SMTPSession`, and performs
/// its effects (the token check, delivery).
///
/// Frames are pulled one at a time, so `DATA` (`beginData`) and `STARTTLS` (the shell's fence) change how
/// the very next byte is read. The token check and the in-memory delivery run on the event loop,
/// synchronously, which keeps the STARTTLS fence trivially correct.
struct SMTPDriver: MailSessionDriver {
    let server: SMTPServer
    let connection: ConnectionContext
    private(set) var session: SMTPSession
    private var framer: SMTPFramer
    /// The server's authenticator, through which a `throttle` fault reaches this connection's next login.
    private let authenticator: ThrottlingAuthenticator

    init(server: SMTPServer, connection: ConnectionContext, session: SMTPSession) {
        self.server = server
        self.connection = connection
        self.session = session
        self.authenticator = ThrottlingAuthenticator(server.authenticator)
        self.framer = SMTPFramer(maximumMessageSize: server.maximumMessageSize)
    }

    mutating func started(link: MailConnectionLink, at now: Date) -> [MailConnectionAction] {
        [.send(Self.output(session.greeting(at: now)))]
    }

    mutating func buffer(_ bytes: ByteBuffer) { framer.append(bytes.readableBytesView) }

    mutating func nextFrame() -> SMTPFrame? {
        framer.expectingSASLResponse = session.isAwaitingSASL
        return framer.next()
    }

    mutating func discardBufferedInput() -> Int {
        let dropped = framer.bufferedByteCount
        framer.reset()
        return dropped
    }

    func faultSubject(of frame: SMTPFrame) -> MailFaultSubject? {
        guard case .line(let bytes) = frame, !session.isAwaitingSASL else { return nil }
        var user: String?
        var clientID: String?
        if case .authenticated(let grant) = session.authentication {
            (user, clientID) = (grant.mailbox, grant.clientID)
        }
        let command = MailCommandName.firstWord(bytes)
        if user == nil, command == "AUTH" { user = MailCommandName.xoauth2User(inCommand: bytes, word: 2) }
        return MailFaultSubject(command: command, user: user, clientID: clientID)
    }

    var isAuthenticated: Bool {
        if case .authenticated = session.authentication { return true }
        return false
    }

    mutating func handle(_ frame: SMTPFrame) -> [MailConnectionAction] { perform(session.received(frame)) }

    mutating func idleTimedOut(after seconds: Double, preAuthentication: Bool) -> [MailConnectionAction] {
        perform(session.idleTimedOut(after: seconds))
    }

    mutating func shuttingDown() -> [MailConnectionAction] { perform(session.shuttingDown()) }

    mutating func connectionClosed() -> [MailConnectionAction] { [] }

    mutating func posted(_ event: Any) -> [MailConnectionAction]? { nil }

    func faultReply(_ line: String, to frame: SMTPFrame) -> [MailConnectionAction] { [.send(.line(line))] }

    /// `421 4.3.2 Service not available, closing transmission channel`, as at shutdown.
    func faultBye() -> [MailConnectionAction] { [.send(Self.output(SMTPTexts.shuttingDown))] }

    mutating func throttleNextLogin() { authenticator.armed = true }

    static func output(_ reply: SMTPReply) -> MailOutput {
        var buffer = ByteBuffer()
        SMTPReplyEncoder.encode(reply, into: &buffer)
        return .bytes(buffer)
    }

    private mutating func perform(_ effects: [SMTPSession.Effect]) -> [MailConnectionAction] {
        var actions: [MailConnectionAction] = []
        for effect in effects {
            switch effect {
            case .send(let reply):
                actions.append(.send(Self.output(reply)))
            case .record(let event, let detail):
                actions.append(.record(event, detail))
            case .startTLS:
                actions.append(.startTLS)
            case .authenticateXOAUTH2(let credentials):
                actions += perform(session.authenticated(authenticator.authenticate(credentials, service: .smtp)))
            case .authenticateBasic(let user, let password):
                let decision = authenticator.authenticateBasic(user: user, password: password, service: .smtp)
                actions += perform(session.authenticated(decision))
            case .beginData:
                framer.beginData()
            case .deliver(let submission):
                let diag = SMTPTexts.diagnosticHost(serverName: session.configuration.serverName)
                let outcome = server.delivery.deliver(submission, connection: connection, diagnosticHost: diag)
                actions += perform(session.delivered(outcome, submission: submission))
            case .close:
                actions.append(.close)
            }
        }
        return actions
    }
}
