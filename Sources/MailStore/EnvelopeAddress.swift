// RFC 5322 address lists for IMAP ENVELOPE (split out of MIME.swift).

/// One address of an ENVELOPE list.
public struct EnvelopeAddress: Sendable, Equatable {
    public var name: String?
    public var mailbox: String?
    public var host: String?
    /// A group start (`name` set, mailbox = group name, host nil) or end (all nil) marker.
    public var isGroupMarker: Bool

    public init(name: String?, mailbox: String?, host: String?, isGroupMarker: Bool = false) {
        self.name = name
        self.mailbox = mailbox
        self.host = host
        self.isGroupMarker = isGroupMarker
    }

    /// Parses an address list header (`"Doe, J" <j@x.com>, k@y.org, Team: a@b.c;`).
    public static func parseList(_ value: String) -> [EnvelopeAddress] {
        var result: [EnvelopeAddress] = []
        for item in splitTopLevel(value, separator: ",") {
            let text = item.trimmed
            if text.isEmpty { continue }
            // Groups: `Name: a, b;` — flattened to their members, as most servers do for simple cases.
            if let colon = firstTopLevel(text, ":"),
                !text.contains("<") || firstTopLevel(text, "<").map({ colon < $0 }) == true
            {
                var inner = String(text[text.index(after: colon)...]).trimmed
                if inner.hasSuffix(";") { inner.removeLast() }
                for member in splitTopLevel(inner, separator: ",") {
                    if let single = parseSingle(member.trimmed) { result.append(single) }
                }
                continue
            }
            if let single = parseSingle(text) { result.append(single) }
        }
        return result
    }

    static func parseSingle(_ input: String) -> EnvelopeAddress? {
        var text = input
        if text.hasSuffix(";") { text.removeLast() }
        if text.isEmpty { return nil }
        if let lt = text.lastIndex(of: "<"), let gt = text.lastIndex(of: ">"), lt < gt {
            var name = String(text[..<lt]).trimmed
            if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") {
                name = String(name.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
            }
            let addr = String(text[text.index(after: lt)..<gt]).trimmed
            return address(addr, name: name.isEmpty ? nil : name)
        }
        // Bare address, perhaps with a trailing (comment).
        var addr = text
        if let paren = addr.firstIndex(of: "(") { addr = String(addr[..<paren]).trimmed }
        return address(addr, name: nil)
    }

    static func address(_ spec: String, name: String?) -> EnvelopeAddress {
        var spec = spec
        // A source route (`@relay:user@host`): keep what follows its colon.
        if let colon = spec.lastIndex(of: ":"), spec.hasPrefix("@") { spec = String(spec[spec.index(after: colon)...]) }
        if let at = spec.lastIndex(of: "@") {
            return EnvelopeAddress(
                name: name, mailbox: String(spec[..<at]), host: String(spec[spec.index(after: at)...]))
        }
        return EnvelopeAddress(name: name, mailbox: spec.isEmpty ? nil : spec, host: nil)
    }

    static func firstTopLevel(_ text: String, _ target: Character) -> String.Index? {
        var quoted = false
        var angle = 0
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            if c == "\"" {
                quoted.toggle()
            } else if !quoted {
                if c == "<" {
                    if target == "<" { return i }
                    angle += 1
                } else if c == ">" {
                    angle -= 1
                } else if c == target, angle == 0 {
                    return i
                }
            }
            i = text.index(after: i)
        }
        return nil
    }

    static func splitTopLevel(_ text: String, separator: Character) -> [String] {
        var result: [String] = []
        var current = ""
        var quoted = false
        var angle = 0
        var paren = 0
        var group = false
        for c in text {
            if c == "\"" {
                quoted.toggle()
            } else if !quoted {
                if c == "<" {
                    angle += 1
                } else if c == ">" {
                    angle = max(0, angle - 1)
                } else if c == "(" {
                    paren += 1
                } else if c == ")" {
                    paren = max(0, paren - 1)
                } else if c == ":", angle == 0, paren == 0 {
                    group = true
                } else if c == ";", angle == 0, paren == 0 {
                    group = false
                }
                if c == separator, angle == 0, paren == 0, !group {
                    result.append(current)
                    current = ""
                    continue
                }
            }
            current.append(c)
        }
        result.append(current)
        return result
    }
}
