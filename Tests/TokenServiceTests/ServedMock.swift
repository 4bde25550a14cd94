import ExomockTestSupport
import Foundation
import Testing

/// `exomock serve` as a subprocess for the real-client tests of this target (msal, Chromium): a scenario
/// written to a temporary directory, ephemeral ports (or `--hosts`), the ready file, SIGTERM at the end.
/// The server's stderr goes to a file, never an unread pipe, so a chatty server cannot block on it.
final class ServedMock {
    struct Ready: Decodable {
        struct Cloud: Decodable {
            var name: String
            var authority_url: String
            var authority_host: String
            var hosts_lines: [String]?
        }
        var ca_file: String
        var admin_url: String
        var clouds: [Cloud]
    }

    let directory: URL
    let process: Process
    let ready: Ready
    let readyFile: String
    let logFile: String

    /// The directory of the Python drivers.
    static let clients = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("clients")

    init(scenarioYAML: String, hosts: Bool = false, label: String) throws {
        directory = try TestSupport.temporaryDirectory("exomock-\(label)")
        let scenario = directory.appendingPathComponent("scenario.yaml")
        try scenarioYAML.write(to: scenario, atomically: true, encoding: .utf8)
        readyFile = directory.appendingPathComponent("ready.json").path
        logFile = directory.appendingPathComponent("serve.log").path
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        let binary = try locateProgram(TestSupport.exomockBinary, package: "exomock (run `swift build --build-tests` first)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--scenario", scenario.path, "--ready-file", readyFile, "--certs", directory.appendingPathComponent("certs").path]
            + (hosts ? ["--hosts"] : [])
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        guard TestSupport.waitForFile(readyFile, timeout: 60) else {
            Self.stop(process)
            let text = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
            throw TestFailure("exomock serve wrote no ready file within 60 s (exit \(process.terminationStatus)); its output:\n\(text)")
        }
        ready = try JSONDecoder().decode(Ready.self, from: Data(contentsOf: URL(fileURLWithPath: readyFile)))
    }

    func cloud(_ name: String) throws -> Ready.Cloud {
        try #require(ready.clouds.first { $0.name == name }, "cloud \(name) missing from the ready file")
    }

    /// The server's output so far, for failure messages.
    var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    /// The journal (JSON lines) from the admin API.
    func journal() throws -> String {
        try runProgram("curl", ["-sS", "--max-time", "10", "\(ready.admin_url)/journal"], package: "curl", timeout: 15).output
    }

    /// The journal as (event, detail) pairs.
    func journalEvents() throws -> [(event: String, detail: [String: String])] {
        try journal().split(separator: "\n").compactMap { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let event = object["event"] as? String
            else { return nil }
            return (event, object["detail"] as? [String: String] ?? [:])
        }
    }

    /// SIGTERM, then SIGKILL after five seconds; returns the exit status.
    @discardableResult
    static func stop(_ process: Process) -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        process.terminate()
        let start = Date()
        while process.isRunning, Date().timeIntervalSince(start) < 5 { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    @discardableResult
    func stop() -> Int32 { Self.stop(process) }

    deinit {
        Self.stop(process)
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Fails (never skips) when a Python module the driver needs is missing, naming the pip packages.
func requirePythonModules(_ modules: [String], pip: String) throws {
    let check = try runProgram("python3", ["-c", "import " + modules.joined(separator: ", ")], package: "python3", timeout: 30)
    if check.status != 0 {
        throw TestFailure("python3 cannot import \(modules.joined(separator: ", ")): run `pip install \(pip)` (./test.sh does).\n\(check.error)")
    }
}
