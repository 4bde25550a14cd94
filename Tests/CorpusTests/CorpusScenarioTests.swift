import Determinism
import Foundation
import ScenarioLoader
import Testing

/// Tests/Corpus/yaml (scenario files) and Tests/Corpus/{duration,size,date} (values written into a
/// valid scenario's `lifetimes.access_token`, `generate.size` and `clock.start`) through the loader.
/// No trap; every refusal names at least one problem located in the file (`FILE:LINE:COL: field:
/// message. fix`); every malformed case refused unless accepted.txt says why not.
@Suite struct CorpusScenarioTests {
    static let file = "corpus.yaml"

    static var template: String {
        get throws {
            try String(
                contentsOf: Corpus.root.appendingPathComponent("yaml/valid-scenario.yaml"), encoding: .utf8)
        }
    }

    /// Loads `text`: nil when it loads, else its problems (each checked to be located in the file).
    static func problems(_ text: String, _ label: String) -> [LocatedProblem]? {
        do {
            _ = try ScenarioLoader.load(yaml: text, fileName: file, baseDirectory: nil)
            return nil
        } catch {
            #expect(!error.problems.isEmpty, "\(label): refused without a problem")
            for problem in error.problems {
                #expect(problem.file == file && problem.line >= 1 && problem.column >= 1, "\(label): \(problem)")
                #expect(!problem.message.isEmpty && problem.fix.hasSuffix("."), "\(label): \(problem)")
            }
            return error.problems
        }
    }

    @Test func theTemplateLoads() throws {
        #expect(Self.problems(try Self.template, "template") == nil)
    }

    @Test func scenarioFilesAreRefusedWithLocatedProblems() throws {
        let cases = try Corpus.cases("yaml")
        #expect(cases.count >= 100)
        var accepted = Set<String>()
        for item in cases where Self.problems(item.text, item.description) == nil {
            accepted.insert(item.name)
        }
        Corpus.expectAccepted("yaml", accepted)
    }

    /// Each value goes where scenarios write that kind of value; the refusal must name that field.
    @Test(arguments: [
        ("duration", "access_token: 1h", "access_token: ", "lifetimes.access_token"),
        ("size", "size: 2KiB", "size: ", "generate.size"),
        ("date", "start: 2026-03-11T07:45:00Z", "start: ", "clock.start"),
    ])
    func scalarsAreRefusedAtTheirField(parser: String, original: String, key: String, field: String) throws {
        let template = try Self.template
        #expect(template.contains(original))
        let cases = try Corpus.lines(parser)
        #expect(cases.count >= 30)
        var accepted = Set<String>()
        for (index, object) in cases.enumerated() {
            let text = object["text"] ?? ""
            let name = "line-\(index + 1)"
            // The scalar parsers themselves: no trap, and a value they return is finite and not negative.
            switch parser {
            case "duration":
                if let seconds = DurationText.parse(text) {
                    #expect(seconds.isFinite && seconds >= 0, "\(text.debugDescription)")
                }
            case "size":
                if let bytes = SizeText.parse(text) { #expect(bytes >= 0, "\(text.debugDescription)") }
            default:
                _ = RFC3339.parse(text)
            }
            // JSON's string syntax is YAML's double-quoted scalar for these characters.
            let encoder = JSONEncoder()
            encoder.outputFormatting = .withoutEscapingSlashes
            let quoted = String(decoding: try encoder.encode(text), as: UTF8.self)
            let scenario = template.replacingOccurrences(of: original, with: key + quoted)
            guard let problems = Self.problems(scenario, "\(parser)/\(name) \(text.debugDescription)") else {
                accepted.insert(name)
                continue
            }
            #expect(problems.contains { $0.field.hasSuffix(field) }, "\(parser)/\(name): \(problems)")
        }
        Corpus.expectAccepted(parser, accepted)
    }
}
