import IMAPWire
import MailStore

// LIST and LSUB: the store's folders matched against the client's pattern.
extension IMAPSessionStateMachine {
    /// The LIST/LSUB responses for `pattern` (reference and pattern joined) and the tagged OK.
    func list(_ tag: String, _ folders: [FolderInfo], pattern full: String, subscribedOnly: Bool) -> [IMAPResponse] {
        var responses: [IMAPResponse] = []
        for folder in folders where !subscribedOnly || folder.subscribed {
            let shown = Self.clientName(folder.name)
            guard
                Self.matches(pattern: Array(full.utf8), name: Array(shown.utf8))
                    || (full.uppercased().hasPrefix("INBOX")
                        && Self.matches(pattern: Array(full.uppercased().utf8), name: Array(shown.uppercased().utf8)))
            else { continue }
            var attributes = [folder.hasChildren ? "\\HasChildren" : "\\HasNoChildren"]
            if let special = folder.specialUse { attributes.append(special) }
            responses.append(
                subscribedOnly
                    ? .lsub(attributes: attributes, delimiter: "/", name: shown)
                    : .list(attributes: attributes, delimiter: "/", name: shown))
        }
        return responses + [.ok(tag, IMAPTexts.completed(subscribedOnly ? "LSUB" : "LIST"))]
    }

    /// LIST wildcards: `*` matches anything, `%` anything but the delimiter. Iterative (no recursion on input).
    static func matches(pattern: [UInt8], name: [UInt8]) -> Bool {
        var p = 0
        var n = 0
        var star: (p: Int, n: Int)?
        var percent: (p: Int, n: Int)?
        while n < name.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                star = (p, n)
                percent = nil
                p += 1
            } else if p < pattern.count, pattern[p] == UInt8(ascii: "%") {
                percent = (p, n)
                p += 1
            } else if p < pattern.count, pattern[p] == name[n] {
                p += 1
                n += 1
            } else if let pc = percent, name[pc.n] != UInt8(ascii: "/") {
                percent = (pc.p, pc.n + 1)
                p = pc.p + 1
                n = pc.n + 1
            } else if let s = star {
                star = (s.p, s.n + 1)
                percent = nil
                p = s.p + 1
                n = s.n + 1
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") || pattern[p] == UInt8(ascii: "%") { p += 1 }
        return p == pattern.count
    }
}
