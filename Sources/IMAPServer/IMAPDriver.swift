import Determinism
import ExomockLimits
import Foundation
import IMAPWire
import ListenerSupport
import MailAuthentication
import MailStore
import NIOCore

/// IMAP's part of a `MailConnectionHandler`: frames commands (literals included), runs `IMAPSession`,
/// turns its output into the shell's actions, and watches the selected folder for IDLE.
///
/// Responses are encoded lazily (`IMAPResponsesOutput`), a chunk at a time as the client reads, so a
/// FETCH over a large mailbox holds its messages' bytes once (shared with the store), not an encoded copy.
struct IMAPDriver: MailSessionDriver {
    private(set) var session: IMAPSession
    private let store: MailStore
    private let throttle: ThrottlingAuthenticator
    private var framer = IMAPFramer()
    private var input: ByteBuffer?
    private var link: MailConnectionLink?
    private var subscription: ChangeSubscription?

    /// A watched folder changed (posted from the store's notification, handled on the event loop).
    struct FolderChanged: Sendable {}

    init(session: IMAPSession, store: MailStore, throttle: ThrottlingAuthenticator) {
        self.session = session
        self.store = store
        self.throttle = throttle
    }

    mutating func started(link: MailConnectionLink, at now: Date) -> [MailConnectionAction] {
        self.link = link
        return actions(session.greeting())
    }

    mutating func buffer(_ bytes: ByteBuffer) {
        var bytes = bytes
        if input == nil { input = bytes } else { input!.writeBuffer(&bytes) }
    }

    mutating func nextFrame() -> IMAPFrame? {
        guard var buffer = input, buffer.readableBytes > 0 else { return nil }
        framer.expectsSASLResponse = session.isAwaitingSASL
        let frame = framer.next(from: &buffer)
        if buffer.readableBytes == 0 {
            input = nil
        } else {
            buffer.discardReadBytes()
            input = buffer
        }
        return frame
    }

    mutating func discardBufferedInput() -> Int {
        let dropped = input?.readableBytes ?? 0
        input = nil
        framer.reset()
        return dropped
    }

    func faultSubject(of frame: IMAPFrame) -> MailFaultSubject? {
        guard case .command(let bytes) = frame, !session.expectsRawLine else { return nil }
        let command = MailCommandName.afterTag(bytes)
        var user = mailbox
        if user == nil, command == "AUTHENTICATE" { user = MailCommandName.xoauth2User(inCommand: bytes, word: 3) }
        return MailFaultSubject(command: command, user: user, clientID: session.clientID)
    }

    /// The mailbox this session logged in to, if any.
    private var mailbox: String? {
        switch session.state {
        case .authenticated(let mailbox), .selected(let mailbox), .idling(_, let mailbox): mailbox
        default: session.countedMailbox
        }
    }

    var isAuthenticated: Bool {
        switch session.state {
        case .notAuthenticated, .awaitingSASL, .loggedOut: false
        default: true
        }
    }

    mutating func handle(_ frame: IMAPFrame) -> [MailConnectionAction] {
        switch frame {
        case .continuationNeeded: actions(session.literalContinuation())
        case .rejected(let tag, let reason): actions(session.framingRejected(tag: tag, reason: reason))
        case .fatal(let tag, let reason): actions(session.framingFatal(tag: tag, reason: reason))
        case .command(let bytes): actions(session.received(bytes))
        }
    }

    mutating func idleTimedOut(after seconds: Double, preAuthentication: Bool) -> [MailConnectionAction] {
        let limit = DurationText.format(seconds: seconds)
        let reason =
            preAuthentication
            ? "not authenticated after \(limit) idle (virtual clock)" : "idle for more than \(limit) (virtual clock)"
        return actions(session.terminate(reason: reason))
    }

    mutating func shuttingDown() -> [MailConnectionAction] {
        actions(session.terminate(reason: "server shutting down")) + [.close]
    }

    mutating func connectionClosed() -> [MailConnectionAction] {
        unwatch()
        session.connectionClosed()
        return []
    }

    mutating func posted(_ event: Any) -> [MailConnectionAction]? {
        guard event is FolderChanged else { return nil }
        return actions(session.folderChanged())
    }

    /// `* ...` is sent as it is (a `* BYE` closes after it); anything else is tagged with the command's tag.
    func faultReply(_ line: String, to frame: IMAPFrame) -> [MailConnectionAction] {
        if line.hasPrefix("* ") {
            return [.send(.line(line))] + (line.uppercased().hasPrefix("* BYE") ? [.close] : [])
        }
        guard case .command(let bytes) = frame else { return [.send(.line("* " + line))] }
        return [.send(.line(IMAPFramer.tag(of: bytes) + " " + line))]
    }

    func faultBye() -> [MailConnectionAction] { [.send(.line("* BYE " + IMAPTexts.connectionClosedBye))] }

    mutating func throttleNextLogin() { throttle.armed = true }

    // MARK: Output

    private mutating func actions(_ output: IMAPOutput) -> [MailConnectionAction] {
        var actions: [MailConnectionAction] = output.notes.map { .record($0.event, $0.detail) }
        if !output.responses.isEmpty { actions.append(.send(.produced(IMAPResponsesOutput(output.responses)))) }
        switch output.after {
        case .none: break
        case .startTLS: actions.append(.startTLS)
        case .close: actions.append(.close)
        case .watch(let mailbox, let folder): watch(mailbox: mailbox, folder: folder)
        case .unwatch: unwatch()
        }
        return actions
    }

    private mutating func watch(mailbox: String, folder: String) {
        unwatch()
        guard let link else { return }
        subscription = store.subscribe(mailbox: mailbox, folder: folder) { _ in link.post(FolderChanged()) }
    }

    private mutating func unwatch() {
        if let subscription { store.unsubscribe(subscription) }
        subscription = nil
    }
}

/// IMAP responses encoded one at a time as the shell asks for output (a literal is encoded with its
/// response; the stored message's bytes are not copied before then).
struct IMAPResponsesOutput: MailOutputProducer {
    private let responses: [IMAPResponse]
    private var index = 0

    init(_ responses: [IMAPResponse]) { self.responses = responses }

    mutating func produce(into buffer: inout ByteBuffer, limit: Int) -> Bool {
        while index < responses.count, buffer.readableBytes < limit {
            responses[index].encode(into: &buffer)
            index += 1
        }
        return index >= responses.count
    }
}
