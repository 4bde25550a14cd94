import Exomock
import ExomockLimits
import ExomockTestSupport
import FlowRunner
import Foundation
import ScenarioLoader
import Testing

@testable import LoadGenerator

/// Short runs (about a second of load each) against the mock in this process. Nothing here asserts
/// on a timing number: only on counts, classes, schema and exit codes.
@Suite(.serialized, .timeLimit(.minutes(2))) struct LoadRunTests {
    static func settings(_ mix: String, clients: Int = 2) throws -> LoadSettings {
        // A read timeout far above any operation's time: a CI machine running every suite at once once took more
        // than 10 s for one refresh grant, and these tests are about counts and schema, not latency.
        var s = LoadSettings(mix: try LoadMix.parse(mix), clients: clients, duration: 1, warmup: 0, timeout: 30)
        s.work.fetch = .all
        return s
    }

    @Test func everyKindRunsAndTheJSONReportHasItsSchema() async throws {
        // One handler per kind: handler i starts at entry i of the cycle, so every kind starts inside the
        // window however slow a busy machine makes each operation.
        let report = try await LoadFixture.run(
            try Self.settings("refresh=1,imap=1,imap-login=1,pop3=1,pop3-login=1,smtp=1", clients: 6))
        for kind in LoadKind.allCases {
            let k = try #require(report.kinds[kind.rawValue], "\(kind) missing from the report")
            #expect(k.ops > 0, "\(kind) ran no operation")
            #expect(k.errors == 0, "\(kind): \(k.errorClasses)")
        }
        // Fetching reads the 4 messages of the mailbox each time.
        let imap = try #require(report.kinds["imap"])
        #expect(imap.messages == imap.ops * 4)
        #expect(imap.bytes > 0)
        #expect(try #require(report.kinds["pop3"]).messages == report.kinds["pop3"]!.ops * 4)
        // Each submission is one 10 KiB message.
        let smtp = try #require(report.kinds["smtp"])
        #expect(smtp.messages == smtp.ops && smtp.bytes == smtp.ops * 10 * 1024)

        let object = try #require(try JSONSerialization.jsonObject(with: report.json()) as? [String: Any])
        #expect(object["schema"] as? String == "exomock-load/1")
        for key in [
            "duration_s", "warmup_s", "mode", "clients", "cpu_s", "kinds", "total", "errors", "gates", "target",
        ] {
            #expect(object[key] != nil, "no \(key)")
        }
        let kinds = try #require(object["kinds"] as? [String: [String: Any]])
        #expect(Set(kinds.keys) == Set(LoadKind.allCases.map(\.rawValue)))
        for (name, kind) in kinds {
            for key in [
                "ops", "ops_per_s", "bytes", "bytes_per_s", "messages", "messages_per_s", "errors", "error_rate",
                "error_classes",
            ] {
                #expect(kind[key] != nil, "\(name): no \(key)")
            }
            let latency = try #require(kind["latency_ms"] as? [String: Double], "\(name): no latency_ms")
            #expect(Set(latency.keys) == ["p50", "p90", "p99", "p999", "max"])
            #expect(latency["p50"]! <= latency["p99"]! && latency["p99"]! <= latency["max"]!)
        }
        #expect((object["gates"] as? [String: Any])?["passed"] as? Bool == true)
        #expect(try LoadReport.decode(report.json()) == report)
    }

    /// `--fetch new`: a handler reads each message once, however many operations it runs.
    @Test func newMailIsReadOnce() async throws {
        var settings = try Self.settings("imap=1,pop3=1", clients: 1)
        settings.work.fetch = .new
        // Long enough for several operations of each kind on a machine busy with the rest of the suite.
        settings.duration = 3
        let report = try await LoadFixture.run(settings)
        let imap = try #require(report.kinds["imap"])
        let pop3 = try #require(report.kinds["pop3"])
        #expect(imap.ops > 1 && pop3.ops > 1)
        #expect(imap.errors == 0 && pop3.errors == 0, "\(report.errors)")
        #expect(imap.messages == 4)
        #expect(pop3.messages == 4)
    }

    @Test func faultsUnderLoadAreCountedByClass() async throws {
        let faults = """
              - {service: token, kind: throttle, match: refresh_token, count: 3, seconds: 5s}
              - {service: imap, kind: disconnect, match: SELECT, count: 2}
            """
        // Long enough for more refreshes than the fault's count on a machine busy with the rest of the suite (a
        // fresh-clone CI run saw only 3 in one second).
        var settings = try Self.settings("refresh=1,imap=1", clients: 1)
        settings.duration = 4
        let report = try await LoadFixture.run(settings, faults: faults)
        let refresh = try #require(report.kinds["refresh"])
        #expect(refresh.errorClasses == ["token: HTTP 429": 3])
        #expect(refresh.ops > 3)
        let imap = try #require(report.kinds["imap"])
        #expect(imap.errorClasses == ["imap: reset": 2])
        #expect(report.errors == ["token: HTTP 429": 3, "imap: reset": 2])
        #expect(report.total.errors == 5)
        #expect(report.text().contains("token: HTTP 429"))
    }

    /// The path Dovecot is loaded through: host and port, CA file, a users file of tokens.
    @Test func anyServerByHostPortCAAndUsersFile() async throws {
        let scenario = try ScenarioLoader.load(yaml: LoadFixture.yaml(), fileName: "load.yaml", baseDirectory: nil)
        let settings = try Self.settings("imap-login,pop3-login,imap")
        let report = try await ExomockServer.run(
            scenario, options: ServeOptions(certificatesDirectory: LoadFixture.certificates, logger: LoadFixture.logger)
        ) { mock in
            let cloud = try #require(mock.ready.clouds.first)
            let http = try HTTPTransport(caFile: mock.ready.caFile, timeoutSeconds: 10)
            let token = try await ScenarioTarget.grant(
                http, "\(cloud.authorityURL)/load.example/oauth2/v2.0/token",
                [
                    ("grant_type", "client_credentials"), ("client_id", "7c4e8a2f-6b1d-4d3e-9a7c-5f2b8e1d0a64"),
                    ("client_secret", "handler-secret"), ("scope", "\(cloud.scopeResource)/.default"),
                ], what: "test token"
            ).access
            await http.shutdown()
            let users = try TestSupport.temporaryDirectory("exomock-load-users").appendingPathComponent("users.txt")
            try Data("# mailbox token\nbox1@load.example \(token)\nbox2@load.example \(token)\n".utf8).write(to: users)
            func port(_ service: String) throws -> String {
                let l = try #require(cloud.listeners.first { $0.service == service && $0.tls == "implicit" })
                return "\(l.host):\(l.port)"
            }
            var external = ExternalTarget()
            external.imap = try port("imap")
            external.pop3 = try port("pop3")
            external.caFile = mock.ready.caFile
            external.serverName = cloud.outlookHost
            external.usersFile = users.path
            let target = try external.make(clients: settings.clients, timeout: settings.timeout)
            try target.check(settings.mix)
            #expect(target.handlers.map(\.mailbox) == ["box1@load.example", "box2@load.example"])
            // Without --pop3, a mix with pop3 cannot start, and says what to give.
            external.pop3 = nil
            let imapOnly = try external.make(clients: 1, timeout: 1)
            #expect(throws: LoadSetupError.self) { try imapOnly.check(try LoadMix.parse("pop3")) }
            return await LoadRunner.run(settings, target: target)
        }
        let kinds = try #require(report).kinds
        for kind in ["imap-login", "pop3-login", "imap"] {
            #expect(kinds[kind]?.ops ?? 0 > 0, "\(kind)")
            #expect(kinds[kind]?.errors == 0, "\(kind): \(kinds[kind]?.errorClasses ?? [:])")
        }
    }

    @Test func aTrippedGateExitsNonZero() throws {
        let file = try LoadFixture.write(
            faults: "  - {service: token, kind: throttle, match: refresh_token, count: 1, seconds: 5s}\n")
        let json = try TestSupport.temporaryDirectory("exomock-load-gate").appendingPathComponent("report.json").path
        let common = [
            "load", "--scenario", file, "--certs", LoadFixture.certificates, "--mix", "refresh", "--clients", "1",
        ]
        let timing = ["--duration", "2s", "--warmup", "0s", "--progress-interval", "0"]
        let tripped = try runProgram(
            TestSupport.exomockBinary, common + timing + ["--max-error-rate", "0%", "--json", json], package: "exomock",
            timeout: 60)
        #expect(tripped.status == 1, "\(tripped.output)\(tripped.error)")
        #expect(tripped.output.contains("gates: FAILED"), "\(tripped.output)")
        #expect(tripped.output.contains("is over --max-error-rate 0 %"), "\(tripped.output)")
        let report = try LoadReport.decode(Data(contentsOf: URL(fileURLWithPath: json)))
        #expect(report.gates.passed == false)
        #expect(report.errors == ["token: HTTP 429": 1])

        let held = try runProgram(
            TestSupport.exomockBinary, common + timing + ["--max-error-rate", "50%"], package: "exomock", timeout: 60)
        #expect(held.status == 0, "\(held.output)\(held.error)")
        #expect(held.output.contains("gates: passed"))

        let missing = try runProgram(
            TestSupport.exomockBinary, ["load", "--scenario", "/nonexistent/load.yaml", "--progress-interval", "0"],
            package: "exomock", timeout: 60)
        #expect(missing.status == 2)
        #expect(missing.error.contains("/nonexistent/load.yaml"), "\(missing.error)")

        let crowd = try runProgram(
            TestSupport.exomockBinary, common + ["--clients", "\(Limits.loadMaximumClients + 1)"], package: "exomock",
            timeout: 60)
        #expect(crowd.status == 64)
        #expect(crowd.error.contains("--clients must be 1 to \(Limits.loadMaximumClients)"), "\(crowd.error)")
    }
}
