import AdminAPI
import Determinism
import ExomockLimits
import Foundation
import Hummingbird
import Journal
import ScenarioLoader
import ScenarioModel

/// `GET`, `POST`, `DELETE /faults`: the live fault board (`FaultBoard`) while the scenario is served.
///
/// - `GET /faults`: every fault in force, the scenario's first, each with its `id`, `origin` and `fired` count.
/// - `POST /faults`: one fault as the JSON form of a scenario `faults:` entry, read by the scenario reader
///   (same rules, located errors); `201 {"id": "f3"}`, or `400 {"error", "fix", "problems"}`.
/// - `DELETE /faults/{id}`: removes it (`404` for an unknown id); the next request no longer sees it.
enum FaultAdminRoutes {
    static func contributor(live: LiveScenario, journal: Journal) -> AdminAPI.RouteContributor {
        { router in
            router.get("/faults") { _, _ in
                AdminJSON.response(live.faults.entries.map(FaultListing.init))
            }
            router.post("/faults") { request, _ in
                let body = try await request.body.collect(upTo: Limits.httpMaximumBodySize)
                guard let text = String(validating: body.readableBytesView, as: UTF8.self) else {
                    return problemResponse([
                        LocatedProblem(
                            file: "body", line: 1, column: 1, field: "fault", message: "the body is not UTF-8 text",
                            fix: "Send the fault as JSON (UTF-8).")
                    ])
                }
                switch ScenarioLoader.fault(text: text, name: "body", scenario: live.current) {
                case .failure(let error):
                    return problemResponse(error.problems)
                case .success(let fault):
                    let id = live.faults.add(fault)
                    journal.record(
                        cloud: fault.cloud?.rawValue, service: .admin, event: .faultAdded,
                        detail: ["fault": id, "service": fault.service.rawValue, "kind": fault.kind.rawValue])
                    return AdminJSON.response(["id": id], status: .created)
                }
            }
            router.delete("/faults/:id") { _, context in
                let id = context.parameters.get("id") ?? ""
                guard live.faults.remove(id: id) else {
                    let ids = live.faults.entries.map(\.id)
                    return AdminJSON.error(
                        .notFound, "no fault has id '\(QuotedInput.shown(id))'",
                        fix: ids.isEmpty
                            ? "No fault is in force; GET /faults lists them."
                            : "Use one of \(ids.joined(separator: ", ")) (GET /faults lists them).")
                }
                journal.record(cloud: nil, service: .admin, event: .faultRemoved, detail: ["fault": id])
                return AdminJSON.response(["removed": id])
            }
        }
    }

    /// `400` with the first problem as `error`/`fix` and every one under `problems`, each as `exomock check`
    /// prints it (`body:1:24: fault.kind: unknown fault kind 'boom'. Use one of ...`).
    static func problemResponse(_ problems: [LocatedProblem]) -> Response {
        struct Answer: Encodable {
            var error: String
            var fix: String
            var problems: [String]
        }
        let first = problems.first
        let error =
            first.map { "\($0.file):\($0.line):\($0.column): \($0.field): \($0.message)" } ?? "the fault is invalid"
        return AdminJSON.response(
            Answer(
                error: error, fix: first?.fix ?? "Send one fault as a scenario `faults:` entry in JSON.",
                problems: problems.map(\.description)),
            status: .badRequest)
    }
}

/// One entry of `GET /faults`: the fault in its scenario form (`Fault`'s snake_case keys, as `POST /faults`
/// takes it; `from` and `until` as RFC 3339), with its id, where it came from and how often it fired.
struct FaultListing: Encodable {
    var entry: FaultBoard.Entry

    init(_ entry: FaultBoard.Entry) { self.entry = entry }

    enum CodingKeys: String, CodingKey { case id, origin, fired }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(entry.id, forKey: .id)
        try container.encode(entry.origin.rawValue, forKey: .origin)
        try container.encode(entry.fired, forKey: .fired)
        try entry.fault.encode(to: encoder)
    }
}

/// Journals every fault that fires on the live board as `fault.fired`, naming the fault's id, beside the
/// event the service records for what the fault did (`fault.latency`, `token.throttled`, ...).
enum FaultJournal {
    static func record(_ fired: FaultBoard.Fired, in journal: Journal) {
        let services: [Fault.Service: JournalEvent.Service] = [
            .token: .token, .imap: .imap, .pop3: .pop3, .smtp: .smtp,
        ]
        journal.record(
            cloud: fired.cloud?.rawValue, service: services[fired.fault.service] ?? .admin, event: .faultFired,
            detail: ["fault": fired.id, "kind": fired.fault.kind.rawValue, "on": fired.on].merging(
                fired.user.map { ["user": $0] } ?? [:]
            ) { $1 })
    }
}
