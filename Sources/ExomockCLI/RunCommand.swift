import ArgumentParser
import Exomock
import FlowRunner
import Foundation

/// `exomock run`: plays scenario flows against the mock and checks every expectation.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Play scenario flows against the mock with a real client and check every expectation.",
        discussion: """
            Each file's mock starts in this process on loopback ports (or, with --against, the flow runs \
            against an exomock serve that is already up). Prints a transcript per scenario, then \
            'N passed, N failed'. Exit 0: all passed; 1: an expectation failed; 2: a file is invalid or the \
            mock could not start. A NAME.transcript beside NAME.yaml is compared (--update-golden rewrites it).

            Examples:
              exomock run Scenarios/*.yaml
              exomock run Scenarios/refresh-token-90-days.yaml --junit report.xml
              exomock serve --scenario Scenarios/quickstart.yaml --ready-file /tmp/x.json &
              exomock run Scenarios/quickstart.yaml --against /tmp/x.json
            """
    )

    @Argument(help: "Scenario files to run.")
    var files: [String] = []

    @Option(help: "Play against a running exomock serve, found by its ready file (one scenario file only).")
    var against: String?

    @Flag(help: "Print the transcript as JSON lines instead of text.")
    var json = false

    @Option(help: "Write a JUnit XML report here.")
    var junit: String?

    @Flag(
        name: .customLong("update-golden"), help: "Write each scenario's NAME.transcript instead of comparing with it.")
    var updateGolden = false

    @Flag(help: "Show passwords, client secrets and raw tokens in the transcript (never paste that into a ticket).")
    var reveal = false

    @Flag(help: "Print only the verdicts and the closing line, not the transcripts.")
    var quiet = false

    @Option(help: "Directory of the test CA, server certificates and signing keys (created if missing).")
    var certs: String = defaultCertificatesDirectory()

    func validate() throws {
        if files.isEmpty {
            throw ValidationError("Name at least one scenario file, e.g. exomock run Scenarios/quickstart.yaml")
        }
        if against != nil, files.count > 1 {
            throw ValidationError(
                "--against plays one scenario against the mock that serves it: name exactly one file.")
        }
    }

    func run() async throws {
        var ready: ReadyDocument?
        if let against {
            do {
                ready = try JSONDecoder().decode(
                    ReadyDocument.self, from: Data(contentsOf: URL(fileURLWithPath: against)))
            } catch {
                printError(
                    "\(against): not a ready file of a running exomock serve (\(error)). Start `exomock serve --ready-file \(against)` first."
                )
                throw ExitCode(2)
            }
        }
        var results: [ScenarioResult] = []
        for file in files {
            let result = await FlowRunner.runFile(
                file, against: ready, certificatesDirectory: certs, reveal: reveal,
                golden: updateGolden ? .update : .compare)
            if !quiet { print(json ? result.transcript.jsonLines() : result.transcript.text(), terminator: "") }
            if let failure = result.failure {
                printError(failure)
                if let details = result.details, !details.isEmpty {
                    printError(details.split(separator: "\n").map { "  | \($0)" }.joined(separator: "\n"))
                }
            }
            if let setup = result.setupError { printError(setup) }
            if quiet { print("\(result.passed ? "PASS" : "FAIL") \(file)") }
            results.append(result)
        }
        if let junit { try writeJUnit(results, to: junit) }
        let passed = results.filter(\.passed).count
        print("\(passed) passed, \(results.count - passed) failed")
        if results.contains(where: { $0.setupError != nil }) { throw ExitCode(2) }
        if passed < results.count { throw ExitCode(1) }
    }

    func writeJUnit(_ results: [ScenarioResult], to path: String) throws {
        let suites = results.map { r in
            let stem = URL(fileURLWithPath: r.file).deletingPathExtension().lastPathComponent
            let testCase = JUnitReport.TestCase(
                name: r.name, className: "exomock.\(stem)", seconds: r.seconds, failure: r.failure, details: r.details,
                systemOut: r.transcript.text())
            return JUnitReport.TestSuite(
                name: r.file, cases: r.setupError == nil ? [testCase] : [], error: r.setupError)
        }
        do {
            try Data(JUnitReport(suites: suites).xml().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            printError("\(path): the JUnit report cannot be written (\(error)). Choose a writable path for --junit.")
            throw ExitCode(2)
        }
    }
}
