import MicrosoftClouds
import ScenarioModel
import Yams

extension ScenarioLoader {
    /// Reads one fault written as a scenario's `faults:` entry, in YAML or JSON (JSON is YAML), with the
    /// scenario file's rules and located problems: the mapper `faults:` entries go through, then
    /// `Fault.problems(clouds:)`. `name` names the text in problems (`body:1:10: fault.kind: ...`);
    /// `clouds` are the served scenario's. The admin API's `POST /faults` reads its body with this.
    public static func fault(text: String, name: String, clouds: [CloudName]) -> Result<Fault, ScenarioLoadError> {
        func fail(_ problems: [LocatedProblem]) -> Result<Fault, ScenarioLoadError> {
            .failure(ScenarioLoadError(problems: sorted(problems)))
        }
        let root: Node
        do {
            let parser = try Parser(yaml: text)
            guard let first = try parser.nextRoot() else {
                return fail([
                    LocatedProblem(
                        file: name, line: 1, column: 1, field: "fault", message: "the fault is empty",
                        fix:
                            #"Send one fault as JSON, e.g. {"service": "token", "kind": "http_status", "status": 503}."#
                    )
                ])
            }
            root = first
        } catch {
            return fail([syntaxProblem(error, fileName: name)])
        }
        var reader = NodeReader(file: name)
        guard let fault = ScenarioMapper.fault(root, "fault", &reader), reader.problems.isEmpty else {
            return fail(reader.problems)
        }
        let problems = fault.problems(clouds: clouds).map { problem in
            let mark = reader.mark(for: "fault.\(problem.field)")
            return LocatedProblem(
                file: name, line: mark?.line ?? 1, column: mark?.column ?? 1, field: "fault.\(problem.field)",
                message: problem.message, fix: problem.fix)
        }
        return problems.isEmpty ? .success(fault) : fail(problems)
    }
}
