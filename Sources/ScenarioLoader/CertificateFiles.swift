import ExomockLimits
import Foundation
import ScenarioModel

/// Reads `apps[].certificates[].file` against the scenario's directory: each must be a readable PEM
/// certificate within `Limits.scenarioMaximumFileSize`. The token service parses it when it verifies an
/// assertion; here only the file and its PEM armour are checked, with the problem located at `file`.
enum CertificateFiles {
    static let pemHeader = "-----BEGIN CERTIFICATE-----"

    static func resolve(
        _ scenario: inout Scenario, baseDirectory: String?, reader: NodeReader,
        into problems: inout [LocatedProblem]
    ) {
        for i in scenario.apps.indices {
            for j in scenario.apps[i].certificates.indices {
                let field = "apps[\(i)].certificates[\(j)].file"
                let written = scenario.apps[i].certificates[j].file
                switch read(written, baseDirectory: baseDirectory) {
                case .success(let pem):
                    scenario.apps[i].certificates[j].pem = pem
                case .failure(let problem):
                    let mark = reader.mark(for: field)
                    problems.append(
                        LocatedProblem(
                            file: reader.file, line: mark?.line ?? 1, column: mark?.column ?? 1, field: field,
                            message: problem.message, fix: problem.fix))
                }
            }
        }
    }

    struct Problem: Error {
        var message: String
        var fix: String
    }

    static func read(_ written: String, baseDirectory: String?) -> Result<String, Problem> {
        let absolute: String
        if written.hasPrefix("/") {
            absolute = written
        } else if let baseDirectory {
            absolute =
                URL(fileURLWithPath: baseDirectory).appendingPathComponent(written).standardized.path
        } else {
            return .failure(
                Problem(
                    message: "relative certificate path '\(written)' has no directory to resolve against",
                    fix: "Write an absolute path, or load the scenario from a file."))
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory),
            !isDirectory.boolValue
        else {
            return .failure(
                Problem(
                    message: "certificate file '\(written)' does not exist (looked for \(absolute))",
                    fix: "Check the path; relative paths start from the scenario file's directory."))
        }
        let size =
            (try? FileManager.default.attributesOfItem(atPath: absolute)[.size] as? NSNumber)?.intValue
            ?? 0
        guard size <= Limits.scenarioMaximumFileSize else {
            return .failure(
                Problem(
                    message:
                        "certificate file '\(written)' is \(size) bytes, more than \(Limits.scenarioMaximumFileSize)",
                    fix: "Name the PEM certificate itself (a few KiB)."))
        }
        guard let text = try? String(contentsOfFile: absolute, encoding: .utf8) else {
            return .failure(
                Problem(
                    message: "certificate file '\(written)' cannot be read as text",
                    fix: "Check its permissions; save it as PEM."))
        }
        guard text.contains(pemHeader) else {
            return .failure(
                Problem(
                    message: "certificate file '\(written)' holds no `\(pemHeader)` block",
                    fix:
                        "Export the certificate (public half) as PEM, e.g. `openssl x509 -in cert.der -inform der -out cert.pem`."
                ))
        }
        return .success(text)
    }
}
