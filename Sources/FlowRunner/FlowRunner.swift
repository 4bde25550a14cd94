import Exomock
import ExomockLimits
import Foundation
import Logging
import ScenarioModel

/// The outcome of playing one scenario's flow.
public struct ScenarioResult: Sendable {
    public var file: String
    public var name: String
    /// Every expectation held.
    public var passed: Bool
    /// `FILE:LINE: step 'NAME': expected …, got …` when an expectation did not hold.
    public var failure: String?
    /// The last protocol lines before the failure.
    public var details: String?
    /// Set when the run could not start or go on (the mock, the network): exit status 2.
    public var setupError: String?
    public var transcript: Transcript
    /// Wall time in seconds.
    public var seconds: Double
}

/// Plays a scenario's `flow:` against a mock over real sockets, as a mail handler would: HTTPS to
/// the token services (trusting the test CA), IMAP and POP3 over TLS or STARTTLS, the admin API for
/// the clock, changes and deliveries. It never calls into the server, so the same flow runs against
/// another process (`against:`) with the same transcript.
public enum FlowRunner {
    /// Starts the scenario in this process on ephemeral loopback ports, plays its flow, stops it.
    public static func run(
        _ scenario: Scenario, file: String, certificatesDirectory: String, reveal: Bool = false
    ) async -> ScenarioResult {
        var logger = Logger(label: "exomock.run")
        logger.logLevel = .error
        let started = ContinuousClock.now
        do {
            let result = try await ExomockServer.run(
                scenario, options: ServeOptions(certificatesDirectory: certificatesDirectory, logger: logger)
            ) { mock in
                await run(scenario, file: file, against: mock.ready, reveal: reveal)
            }
            return result ?? failedToStart(scenario, file: file, "the mock stopped before the flow finished", started)
        } catch {
            return failedToStart(scenario, file: file, "the mock could not start: \(error)", started)
        }
    }

    /// Plays the flow against a running mock described by its ready document.
    public static func run(_ scenario: Scenario, file: String, against ready: ReadyDocument, reveal: Bool = false) async
        -> ScenarioResult
    {
        let started = ContinuousClock.now
        guard ready.scenario == scenario.name else {
            return failedToStart(
                scenario, file: file,
                "the running mock serves scenario '\(ready.scenario)', not '\(scenario.name)'; start it with --scenario \(file)",
                started)
        }
        let context: RunContext
        do {
            context = try RunContext(
                scenario: scenario, file: file, ready: ready, reveal: reveal,
                timeout: Limits.clientDefaultTimeoutSeconds)
        } catch {
            return failedToStart(scenario, file: file, "the test CA \(ready.caFile) cannot be used: \(error)", started)
        }
        var result = ScenarioResult(
            file: file, name: scenario.name, passed: false, transcript: Transcript(), seconds: 0)
        do {
            try await context.syncClock()
            try await context.readJournal(show: false)
            // The file's name, not its path, so a golden transcript holds wherever the repository is.
            let name = URL(fileURLWithPath: file).lastPathComponent
            context.add(
                .scenario,
                "# exomock run \(name): scenario '\(scenario.name)', seed \(scenario.seed), starting \(context.time)")
            try await context.runSteps(scenario.flow, prefix: "")
            context.stepLabel = ""
            context.add(.scenario, "\n# passed: \(scenario.flow.count) step(s)")
            result.passed = true
        } catch let failure as StepFailure {
            context.stepLabel = ""
            let message =
                "\(file):\(failure.line): step '\(failure.step)': expected \(failure.expected), got \(failure.got)"
            result.failure = message
            result.details = failure.context.joined(separator: "\n")
            context.add(.scenario, "\n# FAILED \(message)")
        } catch {
            context.stepLabel = ""
            result.setupError = "\(file): the flow could not go on: \(error)"
            context.add(.scenario, "\n# ERROR \(result.setupError!)")
        }
        for session in context.heldSessions { await session.close() }
        await context.http.shutdown()
        result.transcript = context.transcript
        result.seconds = (ContinuousClock.now - started) / .seconds(1)
        return result
    }

    static func failedToStart(_ scenario: Scenario, file: String, _ why: String, _ started: ContinuousClock.Instant)
        -> ScenarioResult
    {
        var transcript = Transcript()
        transcript.add(.scenario, time: "", step: "", "# ERROR \(file): \(why)")
        return ScenarioResult(
            file: file, name: scenario.name, passed: false, setupError: "\(file): \(why)", transcript: transcript,
            seconds: (ContinuousClock.now - started) / .seconds(1))
    }
}
