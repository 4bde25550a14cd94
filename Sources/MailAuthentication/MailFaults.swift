import MicrosoftClouds
import ScenarioModel

/// What a scenario fault does to one IMAP or POP3 command.
public enum MailFaultAction: Sendable, Equatable {
    /// Wait this many seconds of real time, then handle the command as usual.
    case latency(seconds: Double)
    /// Close the connection without answering the command (POP3: no UPDATE, deletions are lost); with
    /// `afterBytes`, after writing the first `afterBytes` bytes of the command's answer (a cut mid-literal).
    case disconnect(afterBytes: Int?)
    /// Send `line` in place of the real answer; the command is not performed (IMAP: tagged unless it starts
    /// with `* `; an untagged `* BYE` closes the connection after it).
    case reply(line: String)
    /// Exchange's abrupt close: `* BYE Connection is closed. 13` (POP3 `-ERR ...`, SMTP `421 4.3.2 ...`).
    case bye
    /// Exchange's throttling: authenticated, but not connected to the mailbox.
    case throttle
}

/// The live faults (`FaultBoard`) for one mail service in one cloud.
///
/// Decisions are the board's one rule (`FaultBoard.fire`): the n-th matching command (after `after`, for
/// `count` firings) in the order the server handles commands (counted across all connections of the cloud's
/// server), for the fault's `user` and `client_id`, within its window of virtual time, with its seeded
/// `probability`. Real time never decides. A `latency` fault then sleeps real time on the connection's event
/// loop (no other command of that connection runs meanwhile, other connections are unaffected); the virtual
/// clock does not move. The board is read on every command, so a fault added over the admin API applies to
/// the next command and stops when removed. Shared by IMAP, POP3 and SMTP
/// (here because the servers depend on this module).
public final class MailFaults: Sendable {
    let board: FaultBoard
    let service: Fault.Service
    let cloud: CloudName?

    /// No faults.
    public static var none: MailFaults { MailFaults(faults: [], service: .imap, cloud: nil) }

    /// The faults on `board` whose `service` is `service` and whose `cloud` is nil or `cloud`.
    public init(board: FaultBoard, service: Fault.Service, cloud: CloudName?) {
        self.board = board
        self.service = service
        self.cloud = cloud
    }

    /// A board of its own holding `faults` (tests, and servers run without a live scenario).
    public convenience init(faults: [Fault], service: Fault.Service, cloud: CloudName?) {
        self.init(board: FaultBoard(faults), service: service, cloud: cloud)
    }

    /// Whether no fault on the board is for this service (in this cloud) now.
    public var isEmpty: Bool { !board.entries.contains { applies($0.fault) } }

    /// False when the board holds no fault at all (one atomic load): no command can fire one then, so the
    /// connection need not work out a command's fault subject (an XOAUTH2 `user=` costs a parse).
    public var mayFire: Bool { !board.isEmpty }

    /// The kinds that act on a mail command (the network kinds act on connections: `NetworkFaults`).
    static let kinds: Set<Fault.Kind> = [.latency, .disconnect, .reply, .bye, .throttle]

    func applies(_ fault: Fault) -> Bool {
        guard fault.service == service, Self.kinds.contains(fault.kind) else { return false }
        if let c = fault.cloud, let cloud, c != cloud { return false }
        return true
    }

    /// True when `match` names `command`: the same name in any case, or, for a `UID` command
    /// (`UID FETCH`), its inner verb too (`FETCH`). A fault without `match` matches every command.
    public static func matches(_ match: String?, command: String) -> Bool {
        guard let match else { return true }
        let m = match.uppercased()
        let c = command.uppercased()
        return m == c || (c.hasPrefix("UID ") && m == String(c.dropFirst(4)))
    }

    /// The fault that applies to this command, counting it against every fault it matches until one applies.
    /// `user` is the authenticated user or the mailbox XOAUTH2 named (nil before authentication: a fault
    /// with `user` does not match), `clientID` the token's `appid`.
    public func action(forCommand command: String, user: String? = nil, clientID: String? = nil) -> MailFaultAction? {
        let occurrence = FaultBoard.Occurrence(cloud: cloud, on: command, user: user, clientID: clientID)
        let fired = board.fire(occurrence) { applies($0) && Self.matches($0.match, command: command) }
        switch fired?.fault.kind {
        case .latency: return .latency(seconds: max(0, fired?.fault.seconds ?? 0))
        case .disconnect: return .disconnect(afterBytes: fired?.fault.bytes)
        case .reply: return .reply(line: fired?.fault.line ?? "")
        case .bye: return .bye
        case .throttle: return .throttle
        default: return nil
        }
    }
}
