import Foundation
import Testing

/// The malformed-input corpus in Tests/Corpus (written by Tests/Corpus/generate.py): one directory per
/// parser, one file per case (raw bytes), or `cases.jsonl` with one case per line.
///
/// Most parsers must refuse every case. A parser's `accepted.txt` lists, one name per line with the
/// reason after `#`, the cases it accepts (a mutation that left the input valid, or data that the
/// session refuses later). A case accepted but not listed fails (a malformed input got through, or the
/// list needs a reviewed line); a listed case now refused fails too, so the list stays exact.
/// `EXOMOCK_CORPUS_RECORD=1` rewrites `accepted.txt`, keeping reasons and marking new lines UNREVIEWED.
enum Corpus {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Corpus")

    struct Case: Sendable, CustomStringConvertible {
        var parser: String
        var name: String
        var bytes: [UInt8]
        var description: String { "\(parser)/\(name)" }
        var text: String { String(decoding: bytes, as: UTF8.self) }
    }

    /// Every case file of `parser` (generated and hand-written), sorted by name.
    static func cases(_ parser: String) throws -> [Case] {
        let directory = root.appendingPathComponent(parser)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasPrefix("gen-") || $0.hasPrefix("hand-") }.sorted()
        guard !names.isEmpty else { throw CorpusFailure("no cases in \(directory.path): run Tests/Corpus/generate.py") }
        return try names.map { name in
            Case(parser: parser, name: name, bytes: Array(try Data(contentsOf: directory.appendingPathComponent(name))))
        }
    }

    /// The objects of `parser/cases.jsonl`.
    static func lines(_ parser: String) throws -> [[String: String]] {
        let text = try String(
            contentsOf: root.appendingPathComponent(parser).appendingPathComponent("cases.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String] else {
                throw CorpusFailure("\(parser)/cases.jsonl: not an object of strings: \(line.prefix(80))")
            }
            return object
        }
    }

    /// The reviewed list of cases `parser` accepts: name → reason (`accepted.txt`), or another such list
    /// (`known-failures.txt`: cases a parser this helper does not own still gets wrong, each with what happens).
    static func accepted(_ parser: String, list: String = "accepted.txt") -> [String: String] {
        let path = root.appendingPathComponent(parser).appendingPathComponent(list).path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "#", maxSplits: 1)
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            if !name.isEmpty { result[name] = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "" }
        }
        return result
    }

    static var recording: Bool { ProcessInfo.processInfo.environment["EXOMOCK_CORPUS_RECORD"] == "1" }

    /// Compares the cases `parser` accepted with its `accepted.txt` (or rewrites the file when recording).
    static func expectAccepted(
        _ parser: String, _ acceptedNow: Set<String>, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let listed = accepted(parser)
        if recording {
            let path = root.appendingPathComponent(parser).appendingPathComponent("accepted.txt").path
            var text =
                "# Cases of Tests/Corpus/\(parser) that its parser accepts, each with why (Tests/CorpusTests/Corpus.swift).\n"
            for name in acceptedNow.sorted() { text += "\(name)  # \(listed[name] ?? "UNREVIEWED")\n" }
            try? text.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        let unexpected = acceptedNow.subtracting(listed.keys).sorted()
        let refused = Set(listed.keys).subtracting(acceptedNow).sorted()
        #expect(
            unexpected.isEmpty,
            "\(parser): \(unexpected.count) malformed cases accepted without a reviewed line in accepted.txt: \(unexpected.prefix(20))",
            sourceLocation: sourceLocation)
        #expect(
            refused.isEmpty,
            "\(parser): listed in accepted.txt but now refused (remove the lines): \(refused.prefix(20))",
            sourceLocation: sourceLocation)
    }

    /// What feeding one case to a framer and its parser gave: the frames in order (`ok:…`, `bad:…`), whether
    /// any command was accepted, and any broken invariant.
    struct FramedRun {
        var frames: [String] = []
        var accepted = false
        var problems: [String] = []
    }

    /// Runs every case of `parser` whole and three bytes at a time: no broken invariant, the same frames
    /// either way, and the accepted cases exactly those `accepted.txt` lists. Returns the cases by name.
    @discardableResult
    static func expectFramed(
        _ parser: String, atLeast minimum: Int, sourceLocation: SourceLocation = #_sourceLocation,
        _ run: ([UInt8], Int) -> FramedRun
    ) throws -> [String: [UInt8]] {
        let cases = try Corpus.cases(parser)
        #expect(cases.count >= minimum, sourceLocation: sourceLocation)
        var acceptedNow = Set<String>()
        for item in cases {
            let whole = run(item.bytes, max(1, item.bytes.count))
            let split = run(item.bytes, 3)
            #expect(whole.problems.isEmpty, "\(item): \(whole.problems)", sourceLocation: sourceLocation)
            #expect(
                whole.frames == split.frames, "\(item): framing depends on how the bytes arrive",
                sourceLocation: sourceLocation)
            if whole.accepted { acceptedNow.insert(item.name) }
        }
        expectAccepted(parser, acceptedNow, sourceLocation: sourceLocation)
        return Dictionary(uniqueKeysWithValues: cases.map { ($0.name, $0.bytes) })
    }

    /// One short line of printable ASCII: what a reply text built from client input must be.
    static func isPrintableLine(_ text: String, maximum: Int = 400) -> Bool {
        text.utf8.count <= maximum && text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }
}

struct CorpusFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
