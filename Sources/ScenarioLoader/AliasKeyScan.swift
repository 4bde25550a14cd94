/// Finds a YAML alias (`*name`) used as a mapping key, before the text reaches Yams.
///
/// Yams checks every mapping for duplicate keys by hashing its key nodes, and an alias stands for a copy
/// of its anchored node: an alias of a nested collection used as a key (`{*a8: x}`, `*a8: x`, `? *a8`) is
/// hashed node by node, so ten lines of anchors make it 10^9 nodes and composing never ends (found by
/// `FuzzScenarioLoader`). `Limits.scenarioMaximumNodes` bounds aliases everywhere else, after composing.
/// A scenario's keys are names, so an alias in key position is refused up front.
///
/// The scan is lexical and cheap (one pass over the bytes): it knows quoted scalars, comments, block
/// scalars (`|`, `>`) and flow collections well enough to see where a node starts; it does not validate
/// YAML (Yams does, next).
enum AliasKeyScan {
    /// Where an alias is used as a key: its 1-based line and column and its name.
    struct Finding: Equatable {
        var line: Int
        var column: Int
        var name: String
    }

    static func firstAliasKey(in text: String) -> Finding? {
        let bytes = Array(text.utf8)
        var index = 0
        var line = 1
        var lineStart = 0
        var flow: [UInt8] = []
        /// The last byte that was not blank; nil at the start of a block-context line.
        var previous: UInt8?
        /// Inside a block scalar: lines indented more than this belong to it.
        var blockScalarIndent: Int?
        var lineIndent = 0

        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        func isBreak(_ byte: UInt8) -> Bool { byte == 0x0A || byte == 0x0D }
        /// libyaml's anchor names: ASCII letters, digits, `-` and `_`.
        func isAnchorByte(_ byte: UInt8) -> Bool {
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
        func atNodeStart(_ previous: UInt8?) -> Bool {
            guard let previous else { return true }
            return [
                UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: ","), UInt8(ascii: ":"), UInt8(ascii: "-"),
                UInt8(ascii: "?"),
            ].contains(previous)
        }

        while index < bytes.count {
            let byte = bytes[index]
            if isBreak(byte) {
                index += 1
                if byte == 0x0D, index < bytes.count, bytes[index] == 0x0A { index += 1 }
                line += 1
                lineStart = index
                lineIndent = 0
                while index < bytes.count, bytes[index] == 0x20 {
                    index += 1
                    lineIndent += 1
                }
                if let indent = blockScalarIndent {
                    let blankLine = index >= bytes.count || isBreak(bytes[index])
                    if blankLine || lineIndent > indent {
                        // A block scalar's content line: skip it whole.
                        while index < bytes.count, !isBreak(bytes[index]) { index += 1 }
                        continue
                    }
                    blockScalarIndent = nil
                }
                if flow.isEmpty { previous = nil }
                continue
            }
            if isBlank(byte) {
                index += 1
                continue
            }
            let nodeStart = atNodeStart(previous)
            switch byte {
            case UInt8(ascii: "#") where index == lineStart || isBlank(bytes[index - 1]):
                while index < bytes.count, !isBreak(bytes[index]) { index += 1 }
                continue
            case UInt8(ascii: "'") where nodeStart, UInt8(ascii: "\"") where nodeStart:
                // A quoted scalar, possibly over several lines ('' and \" escape the quote).
                index += 1
                while index < bytes.count {
                    let c = bytes[index]
                    if c == 0x0A {
                        line += 1
                        lineStart = index + 1
                    }
                    if byte == UInt8(ascii: "\""), c == UInt8(ascii: "\\") {
                        index += 2
                        continue
                    }
                    if c == byte {
                        if byte == UInt8(ascii: "'"), index + 1 < bytes.count, bytes[index + 1] == byte {
                            index += 2
                            continue
                        }
                        break
                    }
                    index += 1
                }
                index += 1
                previous = byte
                continue
            case UInt8(ascii: "|") where nodeStart && flow.isEmpty, UInt8(ascii: ">") where nodeStart && flow.isEmpty:
                blockScalarIndent = lineIndent
                while index < bytes.count, !isBreak(bytes[index]) { index += 1 }
                continue
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                flow.append(byte)
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                _ = flow.popLast()
            case UInt8(ascii: "*") where nodeStart:
                let start = index
                index += 1
                while index < bytes.count, isAnchorByte(bytes[index]) { index += 1 }
                var after = index
                while after < bytes.count, isBlank(bytes[after]) { after += 1 }
                let colonFollows =
                    after < bytes.count && bytes[after] == UInt8(ascii: ":")
                    && (after + 1 >= bytes.count || isBlank(bytes[after + 1]) || isBreak(bytes[after + 1])
                        || !flow.isEmpty)
                let setEntry =
                    flow.last == UInt8(ascii: "{")
                    && (previous == UInt8(ascii: "{") || previous == UInt8(ascii: ","))
                if colonFollows || setEntry || previous == UInt8(ascii: "?") {
                    let name = String(decoding: bytes[(start + 1)..<index], as: UTF8.self)
                    let column = String(decoding: bytes[lineStart..<start], as: UTF8.self).count + 1
                    return Finding(line: line, column: column, name: name)
                }
                previous = UInt8(ascii: "a")
                continue
            default:
                break
            }
            previous = byte
            index += 1
        }
        return nil
    }

    /// The located problem for an alias in key position, or nil when there is none.
    static func problem(in text: String, fileName: String) -> LocatedProblem? {
        guard let finding = firstAliasKey(in: text) else { return nil }
        return LocatedProblem(
            file: fileName, line: finding.line, column: finding.column, field: "yaml",
            message: "the alias *\(finding.name) is used as a mapping key",
            fix: "Write the key as a plain name; aliases (*name) may stand only for values.")
    }
}
