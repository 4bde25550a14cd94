import Exomock
import ExomockTestSupport
import Foundation
import MicrosoftClouds
import ScenarioLoader
import ScenarioModel
import Testing

/// `docs/admin-api.openapi.yaml` against the admin API: the document lists exactly the routes the server
/// registers (path and method), its enums are the code's, and a property-based schemathesis run against
/// `exomock serve` (with the run's admin token) finds no 5xx, no undocumented status, no answer off its
/// schema, and no crash. (Requests without the token: `AdminProtectionTests`.)
@Suite(.serialized)
struct AdminOpenAPITests {
    static let documentURL = TestSupport.repositoryRoot.appendingPathComponent("docs/admin-api.openapi.yaml")

    /// The document's operations, read from its `paths:` block (two-space path keys, four-space methods).
    static func documentedRoutes() throws -> Set<AdminRoute> {
        let text = try String(contentsOf: documentURL, encoding: .utf8)
        var routes: Set<AdminRoute> = []
        var inPaths = false
        var path: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" {
                inPaths = true
                continue
            }
            guard inPaths else { continue }
            if !line.isEmpty, !line.hasPrefix(" ") { break }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let method = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "put", "post", "delete", "patch", "head", "options"].contains(String(method)) {
                    routes.insert(AdminRoute(method: method.uppercased(), path: path))
                }
            }
        }
        return routes
    }

    /// The enum a schema line lists: `kind: {type: string, enum: [a, b]}` or a block `enum: [a, b,\n c]`.
    static func documentedEnum(after anchor: String) throws -> [String] {
        let text = try String(contentsOf: documentURL, encoding: .utf8)
        guard let start = text.range(of: anchor), let open = text[start.upperBound...].range(of: "enum: [") else {
            throw TestFailure("no enum after '\(anchor)' in the OpenAPI document")
        }
        let rest = text[open.upperBound...]
        guard let close = rest.firstIndex(of: "]") else { throw TestFailure("unclosed enum after '\(anchor)'") }
        return rest[..<close].split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    @Test("every registered admin route is in the OpenAPI document, and every documented one is registered")
    func documentMatchesRoutes() async throws {
        let scenario = try ScenarioLoader.load(
            file: TestSupport.repositoryRoot.appendingPathComponent("Scenarios/quickstart.yaml").path)
        let directory = try TestSupport.temporaryDirectory("admin-openapi")
        defer { try? FileManager.default.removeItem(at: directory) }
        let options = ServeOptions(certificatesDirectory: directory.appendingPathComponent("certs").path)
        let registered = try await ExomockServer.run(scenario, options: options) { mock in mock.adminRoutes }
        // Per-cloud token-service routes are registered once per served cloud; the document has `/{cloud}/...`.
        let prefixes = scenario.clouds.map { "/\($0.rawValue)/" }
        let normalized = Set(
            try #require(registered).map { route in
                guard let prefix = prefixes.first(where: route.path.hasPrefix) else { return route }
                return AdminRoute(method: route.method, path: "/{cloud}/" + route.path.dropFirst(prefix.count))
            })
        let documented = try Self.documentedRoutes()
        #expect(documented.count > 15, "the document's paths were read: \(documented.sorted())")
        #expect(
            normalized.subtracting(documented).isEmpty,
            "registered but not documented: \(normalized.subtracting(documented).sorted())")
        #expect(
            documented.subtracting(normalized).isEmpty,
            "documented but not registered: \(documented.subtracting(normalized).sorted())")
    }

    @Test("the document's enums are the code's: fault services and kinds, change kinds, clouds")
    func enumsMatchTheCode() throws {
        #expect(try Self.documentedEnum(after: "    Fault:\n") == Fault.Service.allCases.map(\.rawValue))
        #expect(
            try Self.documentedEnum(after: "        kind: {type: string, ") == Fault.Kind.allCases.map(\.rawValue))
        #expect(
            try Self.documentedEnum(after: "              properties:\n                kind:")
                == Change.Kind.allCases.map(\.rawValue))
        #expect(try Self.documentedEnum(after: "    Cloud:\n") == CloudName.allCases.map(\.rawValue))
    }

    @Test(
        "schemathesis against exomock serve: no 5xx, documented statuses and schemas, no crash", .timeLimit(.minutes(1))
    )
    func schemathesisFindsNoServerError() throws {
        let mock = try ServedExomock(label: "admin-schemathesis")
        let report = mock.directory.appendingPathComponent("schemathesis")
        let result = try runProgram(
            "schemathesis",
            [
                "run", Self.documentURL.path, "--url", mock.ready.adminURL, "--header", mock.admin.authorization,
                "--max-examples", "15", "--seed", "11", "--request-timeout", "5", "--no-color", "--checks",
                "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance",
                "--report", "junit", "--report-dir", report.path,
            ],
            package: "schemathesis (test.sh installs it with pip)", timeout: 45)
        #expect(!result.timedOut, "schemathesis finished within 45 s")
        #expect(
            result.status == 0,
            "schemathesis found failures:\n\(result.output.suffix(6000))\n\(result.error.suffix(2000))")
        #expect(result.output.contains("passed"), "\(result.output.suffix(2000))")
        #expect(mock.process.isRunning, "exomock serve is still up after the run; its log:\n\(mock.log.suffix(4000))")
        #expect(try mock.admin.curl("/health").output.contains("\"ok\""))
    }
}
