import MicrosoftClouds
import ScenarioModel
import Synchronization

/// What a scenario fault does to one IMAP or POP3 command.
public enum MailFaultAction: Sendable, Equatable {
    /// Wait this many seconds of real time, then handle the command as usual.
    case latency(seconds: Double)
    /// Close the connection without answering the command (POP3: no UPDATE, deletions are lost).
    case disconnect
}

/// The scenario's `faults:` for one mail service in one cloud, with their match counters.
///
/// Decisions are counts, never time: the n-th matching command (after `after`, for `count` commands)
/// gets the fault, in the order the server handles commands (counted across all connections of the
/// cloud's server). A `latency` fault then sleeps real time on the connection's event loop (no other
/// command of that connection runs meanwhile, other connections are unaffected); the virtual clock
/// does not move. Shared by IMAP and POP3 (here because both servers depend on this module).
public final class MailFaults: Sendable {
    struct Entry: Sendable {
        var fault: Fault
        var index: Int
    }

    let entries: [Entry]
    private let seen: Mutex<[Int: Int]>

    /// No faults.
    public static var none: MailFaults { MailFaults(faults: [], service: .imap, cloud: nil) }

    /// The faults whose `service` is `service` and whose `cloud` is nil or `cloud`.
    public init(faults: [Fault], service: Fault.Service, cloud: CloudName?) {
        entries = faults.enumerated().compactMap { index, fault in
            guard fault.service == service, fault.kind == .latency || fault.kind == .disconnect else { return nil }
            if let c = fault.cloud, let cloud, c != cloud { return nil }
            return Entry(fault: fault, index: index)
        }
        seen = Mutex([:])
    }

    public var isEmpty: Bool { entries.isEmpty }

    /// True when `match` names `command`: the same name in any case, or, for a `UID` command
    /// (`UID FETCH`), its inner verb too (`FETCH`). A fault without `match` matches every command.
    public static func matches(_ match: String?, command: String) -> Bool {
        guard let match else { return true }
        let m = match.uppercased()
        let c = command.uppercased()
        return m == c || (c.hasPrefix("UID ") && m == String(c.dropFirst(4)))
    }

    /// The fault that applies to this command, counting it against every fault it matches until one applies.
    public func action(forCommand command: String) -> MailFaultAction? {
        guard !entries.isEmpty else { return nil }
        return seen.withLock { seen in
            for entry in entries where Self.matches(entry.fault.match, command: command) {
                let n = seen[entry.index, default: 0]
                seen[entry.index] = n + 1
                guard n >= entry.fault.after else { continue }
                if let count = entry.fault.count, n >= entry.fault.after + count { continue }
                switch entry.fault.kind {
                case .latency: return .latency(seconds: max(0, entry.fault.seconds ?? 0))
                case .disconnect: return .disconnect
                case .throttle, .aadsts, .httpStatus: continue
                }
            }
            return nil
        }
    }
}
