import Exomock
import Foundation
import ScenarioLoader
import ScenarioModel

/// What to do with a scenario's golden transcript (`NAME.transcript` beside `NAME.yaml`).
public enum GoldenMode: Sendable {
    /// Compare when the file exists; a difference fails the scenario.
    case compare
    /// Write the new transcript over it.
    case update
    /// Leave it alone.
    case ignore
}

extension FlowRunner {
    /// The golden transcript's path for a scenario file.
    public static func goldenPath(for file: String) -> String {
        let url = URL(fileURLWithPath: file)
        return url.deletingPathExtension().appendingPathExtension("transcript").path
    }

    /// Loads a scenario file and plays it, in this process or against a running mock, then applies
    /// `golden`. A file that does not load is a setup error with every located problem.
    public static func runFile(
        _ file: String, against ready: ReadyDocument? = nil, certificatesDirectory: String, reveal: Bool = false,
        golden: GoldenMode = .compare
    ) async -> ScenarioResult {
        let scenario: Scenario
        do {
            scenario = try ScenarioLoader.load(file: file)
        } catch {
            var transcript = Transcript()
            transcript.add(.scenario, time: "", step: "", "# ERROR \(file) does not load:\n\(error.description)")
            return ScenarioResult(
                file: file, name: URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent, passed: false,
                setupError: error.description, transcript: transcript, seconds: 0)
        }
        var result =
            if let ready {
                await run(scenario, file: file, against: ready, reveal: reveal)
            } else {
                await run(scenario, file: file, certificatesDirectory: certificatesDirectory, reveal: reveal)
            }
        guard result.setupError == nil, !reveal else { return result }
        let path = goldenPath(for: file)
        let text = result.transcript.text()
        switch golden {
        case .ignore: break
        case .update:
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                result.setupError = "\(path) cannot be written: \(error)"
            }
        case .compare:
            guard result.passed, let data = FileManager.default.contents(atPath: path) else { break }
            if let difference = firstDifference(expected: String(decoding: data, as: UTF8.self), actual: text) {
                result.passed = false
                result.failure =
                    "\(path):\(difference.line): the transcript differs from the golden file: expected '\(difference.expected)', "
                    + "got '\(difference.actual)'. If the change is intended, run again with --update-golden."
            }
        }
        return result
    }

    /// The first line where two transcripts differ.
    public static func firstDifference(expected: String, actual: String) -> (
        line: Int, expected: String, actual: String
    )? {
        let a = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let b = actual.split(separator: "\n", omittingEmptySubsequences: false)
        for i in 0..<max(a.count, b.count) {
            let x = i < a.count ? String(a[i]) : "(end of file)"
            let y = i < b.count ? String(b[i]) : "(end of transcript)"
            if x != y { return (i + 1, x, y) }
        }
        return nil
    }
}
