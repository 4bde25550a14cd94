import Determinism
import ExomockLimits
import Foundation
import Yams

/// Walks a composed YAML tree, reads typed values out of it and records, for every node it
/// visits, the path (`users[1].full_access[0]`) and the `Mark` where the node starts. Every
/// problem is collected; nothing stops at the first one.
struct NodeReader {
    let file: String
    private(set) var problems: [LocatedProblem] = []
    private(set) var marks: [String: Mark] = [:]
    private var visited = 0
    /// Set once the document expands (through aliases) past `Limits.scenarioMaximumNodes`; the
    /// walkers stop reading lists from then on.
    private(set) var overNodeLimit = false

    init(file: String) { self.file = file }

    // MARK: Reporting

    mutating func report(_ field: String, at mark: Mark?, _ message: String, _ fix: String) {
        problems.append(
            LocatedProblem(
                file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, field: field.isEmpty ? "scenario" : field,
                message: message, fix: fix
            )
        )
    }

    /// Records where `path` is, and counts the node against the node limit.
    mutating func record(_ path: String, _ node: Node) {
        if marks[path] == nil, let mark = node.mark { marks[path] = mark }
        visited += 1
        if visited > Limits.scenarioMaximumNodes, !overNodeLimit {
            overNodeLimit = true
            report(
                path, at: node.mark,
                "the scenario expands to more than \(Limits.scenarioMaximumNodes) YAML nodes",
                "Write fewer entries, or use fewer aliases (*name) that repeat large blocks."
            )
        }
    }

    /// The nearest recorded mark for a path: the node itself, else its closest recorded parent
    /// (a defaulted field has no node of its own).
    func mark(for path: String) -> Mark? {
        var current = Substring(path)
        while !current.isEmpty {
            if let mark = marks[String(current)] { return mark }
            guard let cut = current.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            current = current[..<cut]
        }
        return marks[""]
    }

    // MARK: Shapes

    /// How a node reads to a person: "a string", "a list", ...
    static func kind(of node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if scalar.style == .plain {
                if node.null != nil { return "nothing (null)" }
                if node.bool != nil { return "a boolean '\(scalar.string)'" }
                if node.int != nil || node.float != nil { return "a number '\(scalar.string)'" }
            }
            return "a string '\(Self.clip(scalar.string))'"
        }
    }

    /// A value as a problem quotes it (`LocatedProblem` escapes its control characters).
    static func clip(_ text: String) -> String { QuotedInput.clipped(text) }

    mutating func wrongType(_ path: String, _ node: Node, expected: String, example: String) {
        report(path, at: node.mark, "expected \(expected), found \(Self.kind(of: node))", "Write \(example).")
    }

    /// A mapping whose keys are all in `keys`. Unknown keys are reported with the valid ones (and
    /// the closest, for a typo); duplicate keys are caught by Yams before this.
    mutating func mapping(_ node: Node, _ path: String, keys: [String], what: String) -> Fields? {
        record(path, node)
        guard case .mapping(let mapping) = node else {
            wrongType(
                path, node, expected: "a mapping (\(what))",
                example: "it as `key: value` lines, one key per line, e.g. `\(keys[0]): ...`")
            return nil
        }
        var fields = Fields(path: path, mark: node.mark, what: what)
        for (keyNode, value) in mapping {
            guard case .scalar(let keyScalar) = keyNode else {
                report(
                    path, at: keyNode.mark, "a key must be a plain word, found \(Self.kind(of: keyNode))",
                    "Use one of: \(keys.joined(separator: ", ")).")
                continue
            }
            let key = keyScalar.string
            let keyPath = Self.join(path, key)
            guard keys.contains(key) else {
                var fix = ""
                if let near = Suggest.closest(to: key, among: keys) { fix = "Did you mean '\(near)'? " }
                fix += "Valid keys for \(what): \(keys.joined(separator: ", "))."
                report(keyPath, at: keyNode.mark, "unknown key '\(key)'", fix)
                continue
            }
            fields.values[key] = value
        }
        return fields
    }

    /// Reports a missing required key and returns nil; else the value.
    mutating func required(_ fields: Fields, _ key: String) -> Node? {
        if let node = fields.values[key] { return node }
        report(
            Self.join(fields.path, key), at: fields.mark, "missing required key '\(key)' in \(fields.what)",
            "Add `\(key):` to this \(fields.what)."
        )
        return nil
    }

    /// The elements of a list, with their paths. `nil` (reported) when the node is not a list.
    mutating func list(_ node: Node, _ path: String, example: String) -> [(Node, String)]? {
        record(path, node)
        guard case .sequence(let sequence) = node else {
            wrongType(path, node, expected: "a list", example: "a YAML list, e.g. \(example), or one `- item` per line")
            return nil
        }
        var items: [(Node, String)] = []
        for (i, item) in sequence.enumerated() {
            if overNodeLimit { return nil }
            items.append((item, "\(path)[\(i)]"))
        }
        return items
    }

    // MARK: Scalars

    mutating func string(_ node: Node, _ path: String) -> String? {
        record(path, node)
        guard case .scalar(let scalar) = node, node.null == nil else {
            wrongType(
                path, node, expected: "a string",
                example:
                    "a single value on the same line, quoted if it contains `: ` or starts with a special character")
            return nil
        }
        return scalar.string
    }

    mutating func bool(_ node: Node, _ path: String) -> Bool? {
        record(path, node)
        guard case .scalar = node, let value = node.bool else {
            wrongType(path, node, expected: "true or false", example: "`true` or `false`, without quotes")
            return nil
        }
        return value
    }

    mutating func int(_ node: Node, _ path: String, minimum: Int = 0, maximum: Int = Int.max) -> Int? {
        record(path, node)
        guard case .scalar(let scalar) = node, scalar.style == .plain, let value = Int(scalar.string) else {
            wrongType(path, node, expected: "a whole number", example: "digits only, without quotes, e.g. `5`")
            return nil
        }
        guard value >= minimum, value <= maximum else {
            report(path, at: node.mark, "\(value) is out of range", "Use a number from \(minimum) to \(maximum).")
            return nil
        }
        return value
    }

    mutating func unsigned64(_ node: Node, _ path: String) -> UInt64? {
        record(path, node)
        guard case .scalar(let scalar) = node, scalar.style == .plain, let value = UInt64(scalar.string) else {
            wrongType(
                path, node, expected: "an unsigned whole number", example: "digits only, without quotes, e.g. `1`")
            return nil
        }
        return value
    }

    mutating func duration(_ node: Node, _ path: String) -> Double? {
        record(path, node)
        guard case .scalar(let scalar) = node, node.null == nil else {
            wrongType(
                path, node, expected: "a duration",
                example: "a duration such as `90d`, `1h30m`, `250ms`, or a number of seconds")
            return nil
        }
        guard let seconds = DurationText.parse(scalar.string), seconds.isFinite else {
            report(
                path, at: node.mark, "'\(Self.clip(scalar.string))' is not a duration",
                "Write a number with units w, d, h, m, s or ms, e.g. 90d, 1h30m, 250ms, or a plain number of seconds."
            )
            return nil
        }
        guard seconds <= Limits.scenarioMaximumDurationSeconds else {
            report(
                path, at: node.mark, "'\(Self.clip(scalar.string))' is longer than the limit of 36500d",
                "Write a shorter duration; 100 years is the most a scenario can use."
            )
            return nil
        }
        return seconds
    }

    mutating func size(_ node: Node, _ path: String) -> Int? {
        record(path, node)
        guard case .scalar(let scalar) = node, node.null == nil else {
            wrongType(
                path, node, expected: "a size", example: "a size such as `2KiB`, `10KB`, `1MiB`, or a number of bytes")
            return nil
        }
        guard let bytes = SizeText.parse(scalar.string) else {
            report(
                path, at: node.mark, "'\(Self.clip(scalar.string))' is not a size",
                "Write a number of bytes or a number with B, KB, KiB, MB, MiB, GB or GiB, e.g. 2KiB."
            )
            return nil
        }
        return bytes
    }

    mutating func date(_ node: Node, _ path: String) -> Date? {
        record(path, node)
        guard case .scalar(let scalar) = node, node.null == nil else {
            wrongType(
                path, node, expected: "an RFC 3339 date-time", example: "a date-time such as `2026-01-01T00:00:00Z`")
            return nil
        }
        switch RFC3339.parse(scalar.string) {
        case .success(let date):
            return date
        case .failure(let problem):
            report(
                path, at: node.mark, "'\(Self.clip(scalar.string))' is not an RFC 3339 date-time: \(problem)",
                "Write date, time and zone, e.g. 2026-01-01T00:00:00Z or 2026-01-01T09:30:00-05:00."
            )
            return nil
        }
    }

    /// One of an enumeration's raw values.
    mutating func choice<T: RawRepresentable & CaseIterable>(
        _ node: Node, _ path: String, _ type: T.Type, what: String
    ) -> T? where T.RawValue == String {
        guard let text = string(node, path) else { return nil }
        if let value = T(rawValue: text) { return value }
        let names = T.allCases.map(\.rawValue)
        var fix = ""
        if let near = Suggest.closest(to: text, among: names) { fix = "Did you mean '\(near)'? " }
        fix += "Use one of: \(names.joined(separator: ", "))."
        report(path, at: node.mark, "unknown \(what) '\(Self.clip(text))'", fix)
        return nil
    }

    mutating func strings(_ node: Node, _ path: String, example: String) -> [String]? {
        guard let items = list(node, path, example: example) else { return nil }
        var values: [String] = []
        var ok = true
        for (item, itemPath) in items {
            if let value = string(item, itemPath) { values.append(value) } else { ok = false }
        }
        return ok ? values : nil
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
}

/// The known keys of one mapping, with where the mapping starts.
struct Fields {
    let path: String
    let mark: Mark?
    let what: String
    var values: [String: Node] = [:]

    init(path: String, mark: Mark?, what: String) {
        self.path = path
        self.mark = mark
        self.what = what
    }

    subscript(key: String) -> Node? { values[key] }
    func path(_ key: String) -> String { NodeReader.join(path, key) }
}

/// "Did you mean" for keys and names.
enum Suggest {
    /// The candidate closest to `word` by edit distance, if it is close enough to be a typo.
    static func closest(to word: String, among candidates: [String]) -> String? {
        let lowered = word.lowercased()
        var best: (String, Int)?
        for candidate in candidates {
            let distance = editDistance(lowered, candidate.lowercased())
            if best == nil || distance < best!.1 { best = (candidate, distance) }
        }
        guard let (candidate, distance) = best else { return nil }
        let allowed = max(2, min(word.count, candidate.count) / 3)
        return distance <= allowed ? candidate : nil
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars.prefix(64))
        let b = Array(b.unicodeScalars.prefix(64))
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
