import Foundation
import IMAPWire
import MailStore

// Authenticated state: SELECT/EXAMINE, LIST/LSUB, STATUS, APPEND, CREATE, DELETE, RENAME, (UN)SUBSCRIBE,
// NAMESPACE, CHECK, IDLE; and how each store answer continues its command.
extension IMAPSessionStateMachine {
    /// How a `.mailbox` answer continues the command that asked for it.
    enum MailboxStep: Sendable, Equatable {
        /// Bring the view up to date; answer `before`, the view's news, then `then`.
        case sync(allowExpunge: Bool, before: [IMAPResponse], then: [IMAPResponse])
        case select(tag: String, readOnly: Bool)
        case status(tag: String, items: [StatusAttribute])
        /// CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE: OK or the store's refusal.
        case folderCommand(tag: String, verb: String)
        case list(tag: String, pattern: String, subscribedOnly: Bool)
        case append(tag: String)
        /// A selected-state command, once the selected folder's snapshot is in.
        case selected(tag: String, command: IMAPCommand)
        /// The second store operation of a selected-state command.
        case selectedWrite(SelectedWrite)
    }

    mutating func continueMailbox(_ step: MailboxStep, _ reply: MailboxReply) -> [Action] {
        switch step {
        case .sync(let allowExpunge, let before, let then):
            return Self.answer(before + view(reply.selected, allowExpunge: allowExpunge) + then)
        case .select(let tag, let readOnly):
            return selectAnswered(tag, readOnly: readOnly, reply)
        case .status(let tag, let items):
            return statusAnswered(tag, items: items, reply)
        case .folderCommand(let tag, let verb):
            if case .failure(let error) = reply.outcome {
                return Self.answer([.no(tag, IMAPResponseText.storeError(error))])
            }
            return Self.answer([.ok(tag, IMAPTexts.completed(verb))])
        case .list(let tag, let pattern, let subscribedOnly):
            guard case .success(.folders(let folders)) = reply.outcome else {
                return Self.answer([.ok(tag, IMAPTexts.completed(subscribedOnly ? "LSUB" : "LIST"))])
            }
            return Self.answer(list(tag, folders, pattern: pattern, subscribedOnly: subscribedOnly))
        case .append(let tag):
            switch reply.outcome {
            case .success(.appended(let validity, let uid)):
                return Self.answer(
                    view(reply.selected, allowExpunge: true) + [
                        .ok(tag, IMAPTexts.completed("APPEND"), code: "APPENDUID \(validity) \(uid)")
                    ])
            case .failure(let error):
                return Self.answer([Self.storeRefusal(tag, error)])
            case .success:
                return Self.answer([.ok(tag, IMAPTexts.completed("APPEND"))])
            }
        case .selected(let tag, let command):
            return executeSelected(tag, command, reply)
        case .selectedWrite(let write):
            return selectedWriteAnswered(write, reply)
        }
    }

    mutating func executeAuthenticated(_ tag: String, _ command: IMAPCommand, mailbox: String) -> [Action] {
        switch command {
        case .namespace:
            return Self.answer([.namespace(IMAPTexts.namespace), .ok(tag, IMAPTexts.completed("NAMESPACE"))])
        case .startTLS, .authenticate, .login:
            return Self.answer([.bad(tag, IMAPTexts.invalidState)])
        case .select(let name), .examine(let name):
            let readOnly: Bool
            if case .examine = command { readOnly = true } else { readOnly = false }
            return request(
                .snapshot(folder: Self.storeName(name)), mailbox: mailbox, then: .select(tag: tag, readOnly: readOnly))
        case .create(let name):
            return request(
                .createFolder(Self.storeName(name)), mailbox: mailbox, then: .folderCommand(tag: tag, verb: "CREATE"))
        case .delete(let name):
            return request(
                .deleteFolder(Self.storeName(name)), mailbox: mailbox, then: .folderCommand(tag: tag, verb: "DELETE"))
        case .rename(let from, let to):
            return request(
                .renameFolder(from: Self.storeName(from), to: Self.storeName(to)), mailbox: mailbox,
                then: .folderCommand(tag: tag, verb: "RENAME"))
        case .subscribe(let name), .unsubscribe(let name):
            let subscribe: Bool
            if case .subscribe = command { subscribe = true } else { subscribe = false }
            return request(
                .setSubscribed(folder: Self.storeName(name), subscribe), mailbox: mailbox,
                then: .folderCommand(tag: tag, verb: subscribe ? "SUBSCRIBE" : "UNSUBSCRIBE"))
        case .list(let reference, let pattern), .lsub(let reference, let pattern):
            let subscribedOnly: Bool
            if case .lsub = command { subscribedOnly = true } else { subscribedOnly = false }
            if pattern.isEmpty, !subscribedOnly {
                return Self.answer([
                    .list(attributes: ["\\Noselect", "\\HasChildren"], delimiter: "/", name: ""),
                    .ok(tag, IMAPTexts.completed("LIST")),
                ])
            }
            return request(
                .folders, mailbox: mailbox,
                then: .list(tag: tag, pattern: reference + pattern, subscribedOnly: subscribedOnly))
        case .status(let name, let items):
            return request(
                .snapshot(folder: Self.storeName(name)), mailbox: mailbox, then: .status(tag: tag, items: items))
        case .append(let name, let flags, let date, let message):
            let internalDate = date.map { Date(timeIntervalSince1970: TimeInterval($0.secondsSince1970)) }
            return request(
                .append(folder: Self.storeName(name), message: message, flags: Set(flags), internalDate: internalDate),
                mailbox: mailbox, then: .append(tag: tag))
        case .check:
            return sync(allowExpunge: true, then: [.ok(tag, IMAPTexts.completed("CHECK"))])
        case .idle:
            state = .idling(tag: tag, mailbox: mailbox)
            return sync(allowExpunge: true, before: [.continuation(IMAPTexts.idleAccepted)], then: [])
        default:
            guard selected != nil else { return Self.answer([.bad(tag, IMAPTexts.invalidState)]) }
            return request(.read, mailbox: mailbox, then: .selected(tag: tag, command: command))
        }
    }

    mutating func selectAnswered(_ tag: String, readOnly: Bool, _ reply: MailboxReply) -> [Action] {
        guard let mailbox = sessionMailbox else { return [] }
        let snapshot: FolderSnapshot
        switch reply.outcome {
        case .success(.snapshot(let s)): snapshot = s
        case .failure(let error):
            let wasSelected = selected != nil
            selected = nil
            state = .authenticated(mailbox: mailbox)
            return Self.answer(
                [.no(tag, IMAPResponseText.storeError(error))], after: wasSelected ? .unwatch : .none)
        case .success: return []
        }
        selected = Selected(
            folder: snapshot.name, readOnly: readOnly, uidValidity: snapshot.uidValidity,
            uids: snapshot.messages.map(\.uid))
        state = .selected(mailbox: mailbox)
        var responses: [IMAPResponse] = [
            .exists(snapshot.messages.count), .recent(0), .flags(IMAPTexts.permanentFlags),
            .untaggedStatus(
                "OK",
                code: "PERMANENTFLAGS (" + (readOnly ? "" : IMAPTexts.permanentFlags.joined(separator: " ")) + ")",
                text: "Permanent flags"),
        ]
        if let first = snapshot.messages.firstIndex(where: { !$0.hasFlag("\\Seen") }) {
            responses.append(.untaggedStatus("OK", code: "UNSEEN \(first + 1)", text: "Is the first unseen message"))
        }
        responses.append(.untaggedStatus("OK", code: "UIDVALIDITY \(snapshot.uidValidity)", text: "UIDVALIDITY value"))
        responses.append(
            .untaggedStatus("OK", code: "UIDNEXT \(snapshot.uidNext)", text: "The next unique identifier value"))
        let verb = readOnly ? "EXAMINE" : "SELECT"
        responses.append(.ok(tag, IMAPTexts.completed(verb), code: readOnly ? "READ-ONLY" : "READ-WRITE"))
        return Self.answer(responses, after: .watch(mailbox: mailbox, folder: snapshot.name))
    }

    func statusAnswered(_ tag: String, items: [StatusAttribute], _ reply: MailboxReply) -> [Action] {
        switch reply.outcome {
        case .success(.snapshot(let s)):
            let values: [(StatusAttribute, Int)] = items.map { item in
                switch item {
                case .messages: (item, s.messages.count)
                case .recent: (item, 0)
                case .uidNext: (item, Int(s.uidNext))
                case .uidValidity: (item, Int(s.uidValidity))
                case .unseen: (item, s.unseenCount)
                }
            }
            return Self.answer([
                .status(name: Self.clientName(s.name), values), .ok(tag, IMAPTexts.completed("STATUS")),
            ])
        case .failure(let error):
            return Self.answer([.no(tag, IMAPResponseText.storeError(error))])
        case .success:
            return []
        }
    }

    /// `NO` for a store error, `[TRYCREATE]` when the destination folder does not exist (RFC 3501 §6.3.11).
    static func storeRefusal(_ tag: String, _ error: MailStoreError) -> IMAPResponse {
        if case .folderNotFound = error { return .no(tag, IMAPResponseText.storeError(error), code: "TRYCREATE") }
        return .no(tag, IMAPResponseText.storeError(error))
    }

    /// Maps a client's mailbox name to the store's: `INBOX` in any case is `Inbox`.
    static func storeName(_ wireName: String) -> String {
        let name = ModifiedUTF7.decode(wireName) ?? wireName
        if name.uppercased() == "INBOX" { return "Inbox" }
        if name.uppercased().hasPrefix("INBOX/") { return "Inbox" + name.dropFirst(5) }
        return name
    }

    /// The name a client sees: the Inbox is `INBOX`.
    static func clientName(_ name: String) -> String {
        name.lowercased() == "inbox" ? "INBOX" : ModifiedUTF7.encode(name)
    }
}
