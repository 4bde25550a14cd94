import ExomockLimits
import Foundation
import Journal
import MailAuthentication
import MailStore
import POP3Wire
import ScenarioModel

extension POP3Session {
    // MARK: TRANSACTION

    mutating func transaction(_ command: POP3Command, _ current: Transaction) -> [Effect] {
        var t = current
        let messages = t.snapshot.messages
        /// The message `n`, or the -ERR to send.
        func message(_ n: Int) -> Lookup {
            guard n >= 1, n <= messages.count else { return .refused(.err(POP3Texts.outOfRange)) }
            guard !t.deleted.contains(n) else { return .refused(.err(POP3Texts.alreadyDeleted)) }
            return .found(messages[n - 1])
        }
        /// Indices of the messages not marked deleted: worked out for STAT, LIST and UIDL only, not for
        /// every RETR (a pass over the whole maildrop per message, a few percent of a RETR loop).
        func liveIndices() -> [Int] { messages.indices.filter { !t.deleted.contains($0 + 1) } }

        switch command {
        case .capa:
            return [.send(.multiline("", lines: capabilities))]
        case .noop:
            return [.send(.ok(""))]
        case .stat:
            let live = liveIndices()
            let size = live.reduce(0) { $0 + messages[$1].size }
            return [.send(.ok("\(live.count) \(size)"))]
        case .list(nil):
            let live = liveIndices()
            let size = live.reduce(0) { $0 + messages[$1].size }
            return [
                .send(
                    .multiline(
                        "\(live.count) messages (\(size) octets)", lines: live.map { "\($0 + 1) \(messages[$0].size)" })
                )
            ]
        case .list(let n?):
            switch message(n) {
            case .found(let m): return [.send(.ok("\(n) \(m.size)"))]
            case .refused(let err): return [.send(err)]
            }
        case .uidl(nil):
            return [
                .send(.multiline("", lines: liveIndices().map { "\($0 + 1) \(t.snapshot.uniqueID(of: messages[$0]))" }))
            ]
        case .uidl(let n?):
            switch message(n) {
            case .found(let m): return [.send(.ok("\(n) \(t.snapshot.uniqueID(of: m))"))]
            case .refused(let err): return [.send(err)]
            }
        case .retr(let n):
            switch message(n) {
            case .found(let m): return [.send(.message("", content: m.content))]
            case .refused(let err): return [.send(err)]
            }
        case .top(let n, let lines):
            switch message(n) {
            case .found(let m):
                return [.send(.message("", content: POP3MessageText.top(of: m.content, bodyLines: lines)))]
            case .refused(let err): return [.send(err)]
            }
        case .dele(let n):
            switch message(n) {
            case .found:
                t.deleted.insert(n)
                state = .transaction(t)
                return [.send(.ok(""))]
            case .refused(let err): return [.send(err)]
            }
        case .rset:
            t.deleted = []
            state = .transaction(t)
            return [.send(.ok(""))]
        case .quit:
            state = .update
            let uids = t.deleted.sorted().map { messages[$0 - 1].uid }
            var effects: [Effect] = []
            if !uids.isEmpty {
                effects.append(.expunge(mailbox: t.mailbox, uids: uids))
            }
            effects += [
                .record(.pop3Update, ["mailbox": t.mailbox, "deleted": String(uids.count)]),
                .releaseMaildrop(mailbox: t.mailbox),
                .send(.ok(POP3Texts.signingOff)),
                .close,
            ]
            state = .closed
            return effects
        case .user, .pass, .auth, .stls:
            return [.send(.err(POP3Texts.invalidState))]
        }
    }

    // MARK: Endings without QUIT

    /// The connection closed (client drop, server shutdown): no UPDATE, deletion marks are lost.
    public mutating func connectionDropped() -> [Effect] {
        defer { state = .closed }
        if case .transaction(let t) = state {
            return [
                .record(.pop3Dropped, ["mailbox": t.mailbox, "discarded_deletions": String(t.deleted.count)]),
                .releaseMaildrop(mailbox: t.mailbox),
            ]
        }
        if case .authenticating = state, let grant = pendingGrant {
            pendingGrant = nil
            return [.releaseMaildrop(mailbox: grant.mailbox)]
        }
        return []
    }

    /// The idle timer fired: RFC 1939 autologout, which closes without entering UPDATE.
    public mutating func idleTimedOut(after seconds: Double) -> [Effect] {
        guard state != .closed else { return [] }
        let timeout: [Effect] = [.record(.sessionIdleTimeout, ["seconds": String(format: "%g", seconds)])]
        return timeout + connectionDropped() + [.close]
    }
}

/// A message number looked up in TRANSACTION: the message, or the `-ERR` to answer.
enum Lookup {
    case found(MaildropMessage)
    case refused(POP3Response)
}
