import IMAPWire
import MailStore

// FETCH: the items of each message in the session's view; BODY[...] and RFC822(.TEXT) without PEEK
// set `\Seen`, which is one store write before the answer.
extension IMAPSessionStateMachine {
    mutating func fetch(
        _ tag: String, set: SequenceSet, items: [FetchAttribute], byUID: Bool, current: Selected,
        snapshot: FolderSnapshot
    ) -> [Action] {
        if !byUID {
            // A sequence number past the session's view is an error (RFC 3501 §6.4.5: BAD for invalid numbers).
            let largest = UInt32(current.uids.count)
            for r in set.ranges {
                for n in [r.first, r.last] {
                    if case .number(let v) = n, v > largest {
                        return Self.answer([
                            .bad(
                                tag,
                                "\(IMAPParser.argumentErrorPrefix) Message \(v) does not exist; the folder has \(largest) messages."
                            )
                        ])
                    }
                }
            }
        }
        let byUIDMap = Dictionary(snapshot.messages.map { ($0.uid, $0) }, uniquingKeysWith: { a, _ in a })
        var responses: [IMAPResponse] = []
        var markSeen: [UInt32] = []
        for target in resolve(set, byUID: byUID, current) {
            guard let message = byUIDMap[target.uid] else { continue }
            var (out, setsSeen) = Self.fetchItems(items, of: message)
            if setsSeen, !current.readOnly, !message.hasFlag("\\Seen") {
                markSeen.append(message.uid)
                var flags = message.flags
                flags.insert("\\Seen")
                let flagItem = FetchItem("FLAGS", .list(Self.sortedFlags(flags).map { .atom($0) }))
                if let i = out.firstIndex(where: { $0.name == "FLAGS" }) {
                    out[i] = flagItem
                } else {
                    out.append(flagItem)
                }
            }
            responses.append(.fetch(target.sequence, out))
        }
        if !markSeen.isEmpty, let mailbox = sessionMailbox {
            return request(
                .setFlags(folder: current.folder, uids: markSeen, .add, ["\\Seen"]), mailbox: mailbox,
                then: .selectedWrite(.fetchSeen(tag: tag, responses: responses, byUID: byUID)))
        }
        return Self.answer(
            view(snapshot, allowExpunge: byUID) + responses + [.ok(tag, IMAPTexts.completed("FETCH"))])
    }

    /// One message's FETCH items, and whether fetching them sets `\Seen`.
    static func fetchItems(_ items: [FetchAttribute], of message: StoredMessage) -> ([FetchItem], Bool) {
        let view = MessageView(message)
        var out: [FetchItem] = []
        var setsSeen = false
        for item in items {
            switch item {
            case .flags: out.append(FetchItem("FLAGS", .list(sortedFlags(message.flags).map { .atom($0) })))
            case .uid: out.append(FetchItem("UID", .number(Int(message.uid))))
            case .internalDate:
                out.append(FetchItem("INTERNALDATE", .text(MessageView.internalDate(message.internalDate))))
            case .rfc822Size: out.append(FetchItem("RFC822.SIZE", .number(message.size)))
            case .envelope: out.append(FetchItem("ENVELOPE", view.envelope()))
            case .bodyStructure: out.append(FetchItem("BODYSTRUCTURE", view.bodyStructure(extensible: true)))
            case .bodyStructureNonExtensible: out.append(FetchItem("BODY", view.bodyStructure(extensible: false)))
            case .rfc822:
                out.append(FetchItem("RFC822", .literal(message.raw)))
                setsSeen = true
            case .rfc822Header:
                out.append(FetchItem("RFC822.HEADER", .literal(Array(message.raw[view.mime.headerRange]))))
            case .rfc822Text:
                out.append(FetchItem("RFC822.TEXT", .literal(Array(message.raw[view.mime.bodyRange]))))
                setsSeen = true
            case .body(let section, let peek, let partial):
                var bytes = view.sectionBytes(section) ?? []
                var name = MessageView.sectionName(section)
                if let partial {
                    let start = min(partial.offset, bytes.count)
                    let end = min(bytes.count, start + partial.count)
                    bytes = Array(bytes[start..<end])
                    name += "<\(partial.offset)>"
                }
                out.append(FetchItem(name, .literal(bytes)))
                if !peek { setsSeen = true }
            }
        }
        return (out, setsSeen)
    }
}
