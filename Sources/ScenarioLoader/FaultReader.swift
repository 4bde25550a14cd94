import MicrosoftClouds
import ScenarioModel
import Yams

extension ScenarioLoader {
    /// Reads one fault written as a scenario's `faults:` entry, in YAML or JSON (JSON is YAML), with the
    /// scenario file's rules and located problems: the mapper `faults:` entries go through, then
    /// `Fault.problems(in:)`. `name` names the text in problems (`body:1:10: fault.kind: ...`);
    /// `scenario` is the served one (its clouds, users, mailboxes and apps). The admin API's `POST /faults`
    /// reads its body with this.
    public static func fault(text: String, name: String, scenario: Scenario) -> Result<Fault, ScenarioLoadError> {
        func fail(_ problems: [LocatedProblem]) -> Result<Fault, ScenarioLoadError> {
            .failure(ScenarioLoadError(problems: sorted(problems)))
        }
        let root: Node
        if let aliasKey = AliasKeyScan.problem(in: text, fileName: name) { return fail([aliasKey]) }
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
        let problems = fault.problems(in: scenario).map { problem in
            let mark = reader.mark(for: "fault.\(problem.field)")
            return LocatedProblem(
                file: name, line: mark?.line ?? 1, column: mark?.column ?? 1, field: "fault.\(problem.field)",
                message: problem.message, fix: problem.fix)
        }
        return problems.isEmpty ? .success(fault) : fail(problems)
    }
}

extension ScenarioMapper.Keys {
    static let fault = [
        "service", "kind", "cloud", "match", "user", "client_id", "after", "count", "from", "until", "probability",
        "seconds", "code", "status", "retry_after", "line", "bytes", "bytes_per_second", "certificate",
    ]
}

extension ScenarioMapper {
    /// One `faults:` entry (a scenario's, or `POST /faults`'s body): the fields' types and ranges; the rules
    /// between fields (which kind takes which field) are `Fault.problems(in:)`, checked afterwards.
    static func fault(_ node: Node, _ path: String, _ r: inout NodeReader) -> Fault? {
        guard let f = r.mapping(node, path, keys: Keys.fault, what: "fault") else { return nil }
        let service = r.required(f, "service").flatMap {
            r.choice($0, f.path("service"), Fault.Service.self, what: "service")
        }
        let kind = r.required(f, "kind").flatMap { r.choice($0, f.path("kind"), Fault.Kind.self, what: "fault kind") }
        var fault = Fault(service: service ?? .token, kind: kind ?? .latency)
        var o = OptionalFields()
        o.readOptional(f["cloud"], into: &fault.cloud) { r.choice($0, f.path("cloud"), CloudName.self, what: "cloud") }
        o.readOptional(f["match"], into: &fault.match) { r.string($0, f.path("match")) }
        o.readOptional(f["user"], into: &fault.user) { r.string($0, f.path("user")) }
        o.readOptional(f["client_id"], into: &fault.clientID) { r.string($0, f.path("client_id")) }
        o.read(f["after"], into: &fault.after) { r.int($0, f.path("after")) }
        o.readOptional(f["count"], into: &fault.count) { r.int($0, f.path("count"), minimum: 1) }
        o.readOptional(f["from"], into: &fault.from) { r.date($0, f.path("from")) }
        o.readOptional(f["until"], into: &fault.until) { r.date($0, f.path("until")) }
        o.readOptional(f["probability"], into: &fault.probability) { r.probability($0, f.path("probability")) }
        o.readOptional(f["seconds"], into: &fault.seconds) { r.duration($0, f.path("seconds")) }
        o.readOptional(f["code"], into: &fault.code) { r.int($0, f.path("code"), minimum: 1) }
        o.readOptional(f["status"], into: &fault.status) { r.int($0, f.path("status"), minimum: 100, maximum: 599) }
        o.readOptional(f["retry_after"], into: &fault.retryAfter) {
            r.int($0, f.path("retry_after"), minimum: 0, maximum: 86_400)
        }
        o.readOptional(f["line"], into: &fault.line) { r.string($0, f.path("line")) }
        o.readOptional(f["bytes"], into: &fault.bytes) { r.int($0, f.path("bytes")) }
        o.readOptional(f["bytes_per_second"], into: &fault.bytesPerSecond) {
            r.int($0, f.path("bytes_per_second"), minimum: 1)
        }
        o.readOptional(f["certificate"], into: &fault.certificate) {
            r.choice($0, f.path("certificate"), Fault.CertificateProblem.self, what: "certificate problem")
        }
        guard o.ok, service != nil, kind != nil else { return nil }
        return fault
    }
}

extension NodeReader {
    /// A plain number (a probability: its range is `Fault.problems(in:)`'s rule).
    mutating func probability(_ node: Node, _ path: String) -> Double? {
        record(path, node)
        guard case .scalar(let scalar) = node, scalar.style == .plain, let value = Double(scalar.string),
            value.isFinite
        else {
            wrongType(path, node, expected: "a number", example: "a number above 0 and at most 1, e.g. `0.25`")
            return nil
        }
        return value
    }
}
