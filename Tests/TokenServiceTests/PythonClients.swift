import ExomockTestSupport
import Foundation

/// The directory of this target's Python drivers (msal, Chromium).
let pythonClients = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("clients")

/// Fails (never skips) when a Python module the driver needs is missing, naming the pip packages.
func requirePythonModules(_ modules: [String], pip: String) throws {
    let check = try runProgram(
        "python3", ["-c", "import " + modules.joined(separator: ", ")], package: "python3", timeout: 30)
    if check.status != 0 {
        throw TestFailure(
            "python3 cannot import \(modules.joined(separator: ", ")): run `pip install \(pip)` (./test.sh does).\n\(check.error)"
        )
    }
}
