import ExomockTestSupport
import FlowRunner
import Foundation
import Testing

/// `exomock run` as CI uses it: every shipped scenario has a golden transcript (`./test.sh` plays each
/// one against it, once: `exomock run --quiet Scenarios/*.yaml`), two of them play twice here to the same
/// bytes; the same transcript in process and against a separate `exomock serve`; exit codes; JUnit that
/// validates.
@Suite(.serialized) struct FlowRunCommandTests {
    static let scenarios = TestSupport.repositoryRoot.appendingPathComponent("Scenarios")

    static var shipped: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: scenarios.path)) ?? [])
            .filter { $0.hasSuffix(".yaml") }.sorted().map { scenarios.appendingPathComponent($0).path }
    }

    /// The ticket library plays in `./test.sh`, not here: playing all of it twice would make this suite
    /// the slowest in the package. These two cover what can make runs differ: quickstart (client
    /// credentials, app-only IMAP) and the SSO ticket (browser pages, a live change, and the server's
    /// `BAD` + `* BYE` close after "authenticated but not connected").
    static let playedTwice = ["quickstart.yaml", "sso-signs-in-admin-instead-of-mailbox.yaml"]

    @Test func everyShippedScenarioHasAGoldenTranscript() {
        #expect(Self.shipped.count >= 24)
        for file in Self.shipped {
            let golden = FlowRunner.goldenPath(for: file)
            #expect(
                FileManager.default.fileExists(atPath: golden),
                "\(file) has no golden transcript: run exomock run --update-golden \(file)")
        }
    }

    @Test(arguments: playedTwice) func aShippedTicketMatchesItsGoldenTranscriptTwice(_ name: String) async throws {
        let file = Self.scenarios.appendingPathComponent(name).path
        let first = await FlowRunner.runFile(file, certificatesDirectory: FlowFixture.certificates)
        let second = await FlowRunner.runFile(file, certificatesDirectory: FlowFixture.certificates)
        #expect(first.passed, "\(first.failure ?? first.setupError ?? "")")
        #expect(second.passed, "\(second.failure ?? second.setupError ?? "")")
        if let difference = FlowRunner.firstDifference(
            expected: first.transcript.text(), actual: second.transcript.text())
        {
            Issue.record(
                "\(file): two runs differ at line \(difference.line): '\(difference.expected)' then '\(difference.actual)'"
            )
        }
    }

    @Test func aChangedGoldenFileFailsTheScenario() async throws {
        let directory = try TestSupport.temporaryDirectory("exomock-golden")
        let file = directory.appendingPathComponent("quickstart.yaml").path
        try FileManager.default.copyItem(
            atPath: Self.scenarios.appendingPathComponent("quickstart.yaml").path, toPath: file)
        // The header names the file as given, so the copy's golden file is written afresh, then edited.
        let written = await FlowRunner.runFile(file, certificatesDirectory: FlowFixture.certificates, golden: .update)
        #expect(written.passed)
        let path = FlowRunner.goldenPath(for: file)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try Data(text.replacingOccurrences(of: "SELECT completed.", with: "SELECT done.").utf8).write(
            to: URL(fileURLWithPath: path))
        let compared = await FlowRunner.runFile(file, certificatesDirectory: FlowFixture.certificates)
        #expect(!compared.passed)
        #expect(
            compared.failure?.contains(
                "the transcript differs from the golden file: expected '  S A2 OK [READ-WRITE] SELECT done.', got '  S A2 OK [READ-WRITE] SELECT completed.'"
            ) == true, "\(compared.failure ?? "")")
    }

    @Test func againstARunningServeGivesTheSameTranscript() async throws {
        let file = "Scenarios/refresh-token-90-days.yaml"
        let root = TestSupport.repositoryRoot.path
        let directory = try TestSupport.temporaryDirectory("exomock-against")
        let ready = directory.appendingPathComponent("ready.json").path
        let certs = directory.appendingPathComponent("certs").path
        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: TestSupport.exomockBinary)
        serve.arguments = ["serve", "--scenario", file, "--ready-file", ready, "--certs", certs]
        serve.currentDirectoryURL = URL(fileURLWithPath: root)
        serve.standardOutput = FileHandle.nullDevice
        try serve.run()
        defer {
            serve.terminate()
            serve.waitUntilExit()
        }
        #expect(TestSupport.waitForFile(ready, timeout: 30), "serve wrote no ready file")
        let against = try runProgram(
            TestSupport.exomockBinary, ["run", file, "--against", ready, "--certs", certs], package: "exomock",
            timeout: 60,
            currentDirectory: root)
        let inProcess = try runProgram(
            TestSupport.exomockBinary, ["run", file, "--certs", certs], package: "exomock", timeout: 60,
            currentDirectory: root)
        #expect(against.status == 0, "\(against.error)")
        #expect(inProcess.status == 0, "\(inProcess.error)")
        #expect(against.output == inProcess.output)
        #expect(against.output.hasSuffix("1 passed, 0 failed\n"))
    }

    @Test func exitCodesAndJUnit() async throws {
        let root = TestSupport.repositoryRoot.path
        let directory = try TestSupport.temporaryDirectory("exomock-exit")
        let bad = try FlowFixture.write(
            flow: FlowFixture.appToken + """
                  - name: wrong
                    imap: {mailbox: support@fabrikam.example, token: app, commands: [SELECT INBOX]}
                    expect: {success: false}

                """)
        let invalid = directory.appendingPathComponent("invalid.yaml").path
        try Data("version: 1\nname: x\nclouds: [gcchigh]\n".utf8).write(to: URL(fileURLWithPath: invalid))
        let junit = directory.appendingPathComponent("report.xml").path
        let certs = FlowFixture.certificates
        let failed = try runProgram(
            TestSupport.exomockBinary, ["run", bad, "--certs", certs, "--junit", junit, "--quiet"], package: "exomock",
            timeout: 60,
            currentDirectory: root)
        #expect(failed.status == 1, "\(failed.output)\(failed.error)")
        #expect(failed.error.contains("\(bad):"), "\(failed.error)")
        #expect(
            failed.error.contains("step 'wrong': expected a failure, got imap session completed"), "\(failed.error)")
        #expect(failed.output.hasSuffix("0 passed, 1 failed\n"))
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("failures=\"1\""))
        let lint = try runProgram(
            "xmllint",
            [
                "--noout", "--schema",
                try #require(Bundle.module.path(forResource: "junit", ofType: "xsd", inDirectory: "Fixtures")), junit,
            ],
            package: "libxml2-utils", timeout: 30)
        #expect(lint.status == 0, "\(lint.error)")

        let broken = try runProgram(
            TestSupport.exomockBinary, ["run", invalid, "--certs", certs, "--quiet"], package: "exomock", timeout: 60,
            currentDirectory: root)
        #expect(broken.status == 2)
        #expect(broken.error.contains("\(invalid):3:"), "\(broken.error)")

        let passed = try runProgram(
            TestSupport.exomockBinary, ["run", "Scenarios/quickstart.yaml", "--certs", certs, "--json"],
            package: "exomock", timeout: 60,
            currentDirectory: root)
        #expect(passed.status == 0)
        let firstLine = try #require(passed.output.split(separator: "\n").first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(firstLine.utf8)) as? [String: String])
        #expect(object["kind"] == "scenario" && object["time"] == "2026-01-01T00:00:00Z")
    }
}
