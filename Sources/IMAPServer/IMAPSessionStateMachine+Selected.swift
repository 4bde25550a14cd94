import IMAPWire
import MailStore

// Selected state: SEARCH, STORE, EXPUNGE, COPY, MOVE, CLOSE, UNSELECT (FETCH in +Fetch), and the
// session's view of the selected folder (`view`: EXPUNGE and EXISTS news).
extension IMAPSessionStateMachine {
    /// A message in the session's view: its sequence number and UID.
    struct Target: Sendable, Equatable {
        var sequence: Int
        var uid: UInt32
    }

    /// The store write a selected-state command waits on, and how its answer ends the command.
    enum SelectedWrite: Sendable, Equatable {
        case close(tag: String)
        case expunge(tag: String, verb: String)
        case store(tag: String, targets: [Target], silent: Bool, byUID: Bool)
        case copy(tag: String, isMove: Bool)
        /// FETCH set `\Seen`; its responses are ready.
        case fetchSeen(tag: String, responses: [IMAPResponse], byUID: Bool)
    }

    static let readOnlyText = "The folder is read-only (opened with EXAMINE)."

    /// A selected-state command with the selected folder's snapshot in `reply.selected`.
    mutating func executeSelected(_ tag: String, _ command: IMAPCommand, _ reply: MailboxReply) -> [Action] {
        guard let mailbox = sessionMailbox, let current = selected else { return [] }
        guard let snapshot = reply.selected, snapshot.uidValidity == current.uidValidity else {
            selected = nil
            state = .authenticated(mailbox: mailbox)
            return Self.answer([.bye("The selected folder no longer exists.")], after: .close)
        }
        let folder = current.folder
        switch command {
        case .close, .unselect:
            if case .close = command, !current.readOnly {
                return request(
                    .expunge(folder: folder, uids: nil), mailbox: mailbox, then: .selectedWrite(.close(tag: tag)))
            }
            return closed(tag, verb: command.name)
        case .expunge, .uidExpunge:
            if current.readOnly { return Self.answer([.no(tag, Self.readOnlyText)]) }
            var only: [UInt32]?
            if case .uidExpunge(let set) = command {
                only = current.uids.filter { set.contains($0, largest: current.uids.last ?? 0) }
            }
            return request(
                .expunge(folder: folder, uids: only), mailbox: mailbox,
                then: .selectedWrite(.expunge(tag: tag, verb: command.name)))
        case .search(let charset, let key, let uid):
            if let charset, !["UTF-8", "US-ASCII"].contains(charset.uppercased()) {
                let named = IMAPResponseText.quoted(charset) ?? "named in the command"
                return Self.answer([
                    .no(
                        tag, "The charset \(named) is not supported; use UTF-8 or US-ASCII.",
                        code: "BADCHARSET (US-ASCII UTF-8)")
                ])
            }
            let byUID = Dictionary(snapshot.messages.map { ($0.uid, $0) }, uniquingKeysWith: { a, _ in a })
            var found: [UInt32] = []
            let largestSeq = UInt32(current.uids.count)
            let largestUID = current.uids.last ?? 0
            for (i, u) in current.uids.enumerated() {
                guard let m = byUID[u] else { continue }
                if MessageView(m).matches(
                    key, sequence: UInt32(i + 1), largestSequence: largestSeq, largestUID: largestUID)
                {
                    found.append(uid ? u : UInt32(i + 1))
                }
            }
            return Self.answer(
                view(snapshot, allowExpunge: uid) + [.search(found), .ok(tag, IMAPTexts.completed("SEARCH"))])
        case .fetch(let set, let items, let uid):
            return fetch(tag, set: set, items: items, byUID: uid, current: current, snapshot: snapshot)
        case .store(let set, let mode, let silent, let flags, let uid):
            if current.readOnly { return Self.answer([.no(tag, Self.readOnlyText)]) }
            let targets = resolve(set, byUID: uid, current)
            let op: MailStore.FlagOperation = mode == .replace ? .replace : mode == .add ? .add : .remove
            return request(
                .setFlags(folder: folder, uids: targets.map(\.uid), op, Set(flags)), mailbox: mailbox,
                then: .selectedWrite(.store(tag: tag, targets: targets, silent: silent, byUID: uid)))
        case .copy(let set, let destination, let uid), .move(let set, let destination, let uid):
            let isMove: Bool
            if case .move = command { isMove = true } else { isMove = false }
            if isMove, current.readOnly { return Self.answer([.no(tag, Self.readOnlyText)]) }
            let uids = resolve(set, byUID: uid, current).map(\.uid)
            let to = Self.storeName(destination)
            return request(
                isMove ? .move(from: folder, uids: uids, to: to) : .copy(from: folder, uids: uids, to: to),
                mailbox: mailbox, then: .selectedWrite(.copy(tag: tag, isMove: isMove)))
        default:
            return Self.answer([.bad(tag, IMAPTexts.invalidState)])
        }
    }

    /// The answer to a selected-state command's write.
    mutating func selectedWriteAnswered(_ write: SelectedWrite, _ reply: MailboxReply) -> [Action] {
        switch write {
        case .close(let tag):
            return closed(tag, verb: "CLOSE")
        case .expunge(let tag, let verb):
            return Self.answer(view(reply.selected, allowExpunge: true) + [.ok(tag, IMAPTexts.completed(verb))])
        case .fetchSeen(let tag, let responses, let byUID):
            return Self.answer(
                view(reply.selected, allowExpunge: byUID) + responses + [.ok(tag, IMAPTexts.completed("FETCH"))])
        case .store(let tag, let targets, let silent, let byUID):
            var responses: [IMAPResponse] = []
            if !silent, case .success(.flagsChanged(let changed)) = reply.outcome {
                let changedByUID = Dictionary(changed.map { ($0.uid, $0) }, uniquingKeysWith: { a, _ in a })
                for t in targets {
                    guard let m = changedByUID[t.uid] else { continue }
                    var items = [FetchItem("FLAGS", .list(Self.sortedFlags(m.flags).map { .atom($0) }))]
                    if byUID { items.append(FetchItem("UID", .number(Int(t.uid)))) }
                    responses.append(.fetch(t.sequence, items))
                }
            }
            return Self.answer(
                view(reply.selected, allowExpunge: byUID) + responses + [.ok(tag, IMAPTexts.completed("STORE"))])
        case .copy(let tag, let isMove):
            let verb = isMove ? "MOVE" : "COPY"
            switch reply.outcome {
            case .failure(let error):
                return Self.answer([Self.storeRefusal(tag, error)])
            case .success(let outcome):
                var code: String?
                if case .copied(let result) = outcome, !result.sourceUIDs.isEmpty {
                    code =
                        "COPYUID \(result.destinationUIDValidity) \(Self.uidSet(result.sourceUIDs)) \(Self.uidSet(result.destinationUIDs))"
                }
                let news = view(reply.selected, allowExpunge: true)
                if isMove {
                    let copyUID: [IMAPResponse] = code.map { [.untaggedStatus("OK", code: $0, text: "Moved")] } ?? []
                    return Self.answer(copyUID + news + [.ok(tag, IMAPTexts.completed(verb))])
                }
                return Self.answer(news + [.ok(tag, IMAPTexts.completed(verb), code: code)])
            }
        }
    }

    /// CLOSE or UNSELECT done: back to authenticated, no more folder news.
    mutating func closed(_ tag: String, verb: String) -> [Action] {
        if let mailbox = sessionMailbox { state = .authenticated(mailbox: mailbox) }
        selected = nil
        return Self.answer([.ok(tag, IMAPTexts.completed(verb))], after: .unwatch)
    }

    /// Asks for the selected folder's snapshot to bring the view up to date, then answers `before`, the
    /// news and `then`. Without a selected folder there is nothing to ask: `before + then` at once.
    mutating func sync(allowExpunge: Bool, before: [IMAPResponse] = [], then: [IMAPResponse]) -> [Action] {
        guard let mailbox = sessionMailbox, selected != nil else { return Self.answer(before + then) }
        return request(.read, mailbox: mailbox, then: .sync(allowExpunge: allowExpunge, before: before, then: then))
    }

    /// Brings the session's view of the selected folder up to `snapshot`: `EXPUNGE` for removed messages
    /// (when allowed: never during FETCH, STORE or SEARCH by sequence number) and `EXISTS` for new ones.
    mutating func view(_ snapshot: FolderSnapshot?, allowExpunge: Bool) -> [IMAPResponse] {
        guard var current = selected, let snapshot else { return [] }
        var responses: [IMAPResponse] = []
        let present = Set(snapshot.messages.map(\.uid))
        if allowExpunge {
            var i = current.uids.count - 1
            while i >= 0 {
                if !present.contains(current.uids[i]) {
                    responses.append(.expunge(i + 1))
                    current.uids.remove(at: i)
                }
                i -= 1
            }
        }
        let highest = current.uids.last ?? 0
        let new = snapshot.messages.filter { $0.uid > highest }.map(\.uid)
        if !new.isEmpty {
            current.uids += new
            responses.append(.exists(current.uids.count))
        }
        selected = current
        return responses
    }

    static func sortedFlags(_ flags: Set<String>) -> [String] {
        let order = IMAPTexts.permanentFlags
        return flags.sorted { a, b in
            let ia = order.firstIndex(of: a) ?? Int.max
            let ib = order.firstIndex(of: b) ?? Int.max
            return ia != ib ? ia < ib : a < b
        }
    }

    /// `1,2,3,5` → `1:3,5`.
    static func uidSet(_ uids: [UInt32]) -> String {
        var parts: [String] = []
        var i = 0
        while i < uids.count {
            var j = i
            while j + 1 < uids.count, uids[j + 1] == uids[j] + 1 { j += 1 }
            parts.append(i == j ? "\(uids[i])" : "\(uids[i]):\(uids[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    /// The messages a set names in the session's view.
    func resolve(_ set: SequenceSet, byUID: Bool, _ current: Selected) -> [Target] {
        var out: [Target] = []
        let largestUID = current.uids.last ?? 0
        let largestSeq = UInt32(current.uids.count)
        for (i, u) in current.uids.enumerated() {
            let hit = byUID ? set.contains(u, largest: largestUID) : set.contains(UInt32(i + 1), largest: largestSeq)
            if hit { out.append(Target(sequence: i + 1, uid: u)) }
        }
        return out
    }
}
