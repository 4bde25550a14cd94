import Determinism
import ExomockLimits
import Foundation
import MicrosoftClouds
import ScenarioModel
import Yams

/// Reads scenario files (format v1, `docs/scenario-format.md`) into `Scenario` values.
///
/// Loading has two phases. First the YAML is composed into a node tree (keeping each node's line
/// and column) and mapped onto the model by hand: unknown keys, wrong types, bad durations, sizes
/// and dates, unknown names and missing required keys are each reported where they are. When that
/// phase is clean, the second phase checks `.eml` files and runs `Scenario.problems()` (dangling
/// references, duplicates, contradictions), locating each problem by its path. Reference checks
/// wait for a clean structure because a half-read scenario would give misleading ones.
public enum ScenarioLoader {
    /// Every key the top level of a scenario accepts (the schema test checks
    /// `docs/scenario.schema.json` lists exactly these).
    public static let topLevelKeys = [
        "version", "name", "description", "seed", "clock", "clouds", "tenants", "apps", "users", "mailboxes",
        "lifetimes", "exchange", "browser", "faults", "flow", "scale",
    ]

    /// The keys of every block, by the name `docs/scenario.schema.json` gives the block under
    /// `$defs` (the top level is ""). A test checks schema and loader agree.
    public static let keysByBlock: [String: [String]] = [
        "": topLevelKeys, "scale": ScaleMapper.keys, "clock": ScenarioMapper.Keys.clock,
        "tenant": ScenarioMapper.Keys.tenant,
        "app": ScenarioMapper.Keys.app, "secret": ScenarioMapper.Keys.secret, "user": ScenarioMapper.Keys.user,
        "mailbox": ScenarioMapper.Keys.mailbox, "folder": ScenarioMapper.Keys.folder,
        "message": ScenarioMapper.Keys.message, "generate": ScenarioMapper.Keys.generate,
        "lifetimes": ScenarioMapper.Keys.lifetimes, "exchange": ScenarioMapper.Keys.exchange,
        "browser": ScenarioMapper.Keys.browser, "fault": ScenarioMapper.Keys.fault, "step": ScenarioMapper.Keys.step,
        "expect": ScenarioMapper.Keys.expect, "tokenStep": ScenarioMapper.Keys.token,
        "mailStep": ScenarioMapper.Keys.mail,
        "certificate": ScenarioMapper.Keys.certificate,
    ]

    /// Loads a scenario file. `.eml` paths are resolved against the file's directory.
    public static func load(file: String) throws(ScenarioLoadError) -> Scenario {
        let text = try readScenarioFile(file)
        let base = URL(fileURLWithPath: file).deletingLastPathComponent().path
        return try load(yaml: text, fileName: file, baseDirectory: base)
    }

    /// Loads scenario text. `fileName` only names the text in problems; `baseDirectory` resolves
    /// relative `.eml` paths (nil: only absolute paths work).
    public static func load(yaml: String, fileName: String, baseDirectory: String?) throws(ScenarioLoadError)
        -> Scenario
    {
        let result = read(yaml: yaml, fileName: fileName, baseDirectory: baseDirectory)
        if let scenario = result.scenario, result.problems.isEmpty { return scenario }
        throw ScenarioLoadError(problems: result.problems)
    }

    /// The problems of scenario text, each as `FILE:LINE:COL: field: message. fix`, in document order; empty
    /// when it loads (`check` for text: what a CI step or a test asserts on).
    public static func problems(yaml: String, fileName: String, baseDirectory: String? = nil) -> [String] {
        let result = read(yaml: yaml, fileName: fileName, baseDirectory: baseDirectory)
        return result.scenario != nil && result.problems.isEmpty ? [] : result.problems.map(\.description)
    }

    /// Every problem in every file, in file order then document order. Empty: all files load.
    public static func check(files: [String]) -> [LocatedProblem] {
        var all: [LocatedProblem] = []
        for file in files {
            do {
                _ = try load(file: file)
            } catch {
                all += error.problems
            }
        }
        return all
    }

    // MARK: Reading

    static func readScenarioFile(_ file: String) throws(ScenarioLoadError) -> String {
        func fail(_ message: String, _ fix: String) -> ScenarioLoadError {
            ScenarioLoadError(problems: [
                LocatedProblem(file: file, line: 1, column: 1, field: "file", message: message, fix: fix)
            ])
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
            throw fail("no such file", "Check the path; scenario files usually end in .yaml.")
        }
        if isDirectory.boolValue {
            throw fail("is a directory, not a scenario file", "Name the .yaml file inside it.")
        }
        guard let handle = FileHandle(forReadingAtPath: file) else {
            throw fail("the file cannot be read", "Check its permissions.")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: Limits.scenarioMaximumFileSize + 1) ?? Data()
        } catch {
            throw fail("the file cannot be read (\(error.localizedDescription))", "Check the file and its permissions.")
        }
        if data.count > Limits.scenarioMaximumFileSize {
            throw fail(
                "the file is larger than \(Limits.scenarioMaximumFileSize) bytes",
                "Split the scenario, or generate messages with `generate:` instead of embedding them."
            )
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw fail("the file is not UTF-8 text", "Save it as UTF-8.")
        }
        return text
    }

    struct Outcome {
        var scenario: Scenario?
        var problems: [LocatedProblem]
    }

    static func read(yaml: String, fileName: String, baseDirectory: String?) -> Outcome {
        if yaml.utf8.count > Limits.scenarioMaximumFileSize {
            return Outcome(problems: [
                LocatedProblem(
                    file: fileName, line: 1, column: 1, field: "file",
                    message: "the scenario is larger than \(Limits.scenarioMaximumFileSize) bytes",
                    fix: "Split the scenario, or generate messages with `generate:` instead of embedding them."
                )
            ])
        }
        let root: Node
        if let aliasKey = AliasKeyScan.problem(in: yaml, fileName: fileName) { return Outcome(problems: [aliasKey]) }
        do {
            let parser = try Parser(yaml: yaml)
            let first = try parser.nextRoot()
            if first != nil, let second = try parser.nextRoot() {
                let mark = second.mark
                return Outcome(problems: [
                    LocatedProblem(
                        file: fileName, line: mark?.line ?? 1, column: mark?.column ?? 1, field: "yaml",
                        message: "the file holds more than one YAML document",
                        fix:
                            "Keep one scenario per file: remove the second `---` and what follows, or move it to its own file."
                    )
                ])
            }
            guard let first else {
                return Outcome(problems: [
                    LocatedProblem(
                        file: fileName, line: 1, column: 1, field: "yaml", message: "the file is empty",
                        fix: "Write at least `version: 1`, `name:` and `clouds:` (see Scenarios/quickstart.yaml)."
                    )
                ])
            }
            root = first
        } catch {
            return Outcome(problems: [syntaxProblem(error, fileName: fileName)])
        }

        var reader = NodeReader(file: fileName)
        let scenario = ScenarioMapper.scenario(root, &reader)
        guard var scenario, reader.problems.isEmpty else {
            return Outcome(problems: sorted(reader.problems))
        }

        // Phase 2: files and cross-field rules.
        var problems: [LocatedProblem] = []
        MessageFiles.resolve(&scenario, baseDirectory: baseDirectory, reader: reader, into: &problems)
        CertificateFiles.resolve(&scenario, baseDirectory: baseDirectory, reader: reader, into: &problems)
        for problem in scenario.problems() {
            let mark = reader.mark(for: problem.path)
            problems.append(
                LocatedProblem(
                    file: fileName, line: mark?.line ?? 1, column: mark?.column ?? 1, field: problem.path,
                    message: problem.message, fix: problem.fix
                )
            )
        }
        return Outcome(scenario: scenario, problems: sorted(problems))
    }

    /// Stable sort by position, so output follows the document.
    static func sorted(_ problems: [LocatedProblem]) -> [LocatedProblem] {
        problems.enumerated().sorted { a, b in
            (a.element.line, a.element.column, a.offset) < (b.element.line, b.element.column, b.offset)
        }.map(\.element)
    }

    /// A YAML syntax error at libyaml's position.
    static func syntaxProblem(_ error: any Error, fileName: String) -> LocatedProblem {
        let fix =
            "Fix the YAML here: check indentation (spaces, not tabs), the `:` after each key, and closing quotes and brackets."
        func problem(_ mark: Mark?, _ message: String, _ fix: String) -> LocatedProblem {
            LocatedProblem(
                file: fileName, line: mark?.line ?? 1, column: mark?.column ?? 1, field: "yaml", message: message,
                fix: fix
            )
        }
        guard let yamlError = error as? YamlError else {
            return problem(nil, "the YAML cannot be read (\(error))", fix)
        }
        switch yamlError {
        case .scanner(let context, let text, let mark, _), .parser(let context, let text, let mark, _),
            .composer(let context, let text, let mark, _):
            let message =
                context.map { "\(text) (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? text
            return problem(mark, message, fix)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return problem(
                context.mark,
                "key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) is written more than once in the same mapping (this is the first)",
                "Write each key once: merge the entries or remove one."
            )
        case .reader(let text, _, _, _):
            return problem(
                nil, "the text cannot be read as YAML: \(text)", "Save the file as UTF-8 without control characters.")
        default:
            return problem(nil, "the YAML cannot be read (\(yamlError))", fix)
        }
    }
}
