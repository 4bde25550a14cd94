import ExomockLimits
import Foundation
import ScenarioModel

/// Resolves `file:` message sources against the scenario's directory and checks each one can be
/// read and is within `Limits.scenarioMaximumMessageSize`.
enum MessageFiles {
    static func resolve(
        _ scenario: inout Scenario, baseDirectory: String?, reader: NodeReader, into problems: inout [LocatedProblem]
    ) {
        /// The absolute path of a `file:` source written at `field`, or nil (reported) when it cannot be used.
        func resolved(_ path: String, field: String) -> String? {
            func add(_ message: String, _ fix: String) {
                let mark = reader.mark(for: field)
                problems.append(
                    LocatedProblem(
                        file: reader.file, line: mark?.line ?? 1, column: mark?.column ?? 1, field: field,
                        message: message, fix: fix
                    )
                )
            }
            let absolute: String
            if path.hasPrefix("/") {
                absolute = path
            } else if let baseDirectory {
                absolute = URL(fileURLWithPath: baseDirectory).appendingPathComponent(path).standardized.path
            } else {
                add(
                    "relative message path '\(path)' has no directory to resolve against",
                    "Write an absolute path, or load the scenario from a file."
                )
                return nil
            }
            if let problem = check(absolute, written: path) {
                add(problem.message, problem.fix)
                return nil
            }
            return absolute
        }
        for i in scenario.mailboxes.indices {
            for j in scenario.mailboxes[i].folders.indices {
                for k in scenario.mailboxes[i].folders[j].messages.indices {
                    guard case .file(let path, let flags) = scenario.mailboxes[i].folders[j].messages[k] else {
                        continue
                    }
                    let field = "mailboxes[\(i)].folders[\(j)].messages[\(k)].file"
                    guard let absolute = resolved(path, field: field) else { continue }
                    scenario.mailboxes[i].folders[j].messages[k] = .file(path: absolute, flags: flags)
                }
            }
        }
        func resolveDeliveries(_ steps: inout [FlowStep], path: String) {
            for i in steps.indices {
                switch steps[i].action {
                case .deliver(var delivery):
                    guard case .file(let file, let flags) = delivery.message,
                        let absolute = resolved(file, field: "\(path)[\(i)].deliver.file")
                    else { continue }
                    delivery.message = .file(path: absolute, flags: flags)
                    steps[i].action = .deliver(delivery)
                case .repeatSteps(var block):
                    resolveDeliveries(&block.steps, path: "\(path)[\(i)].repeat.steps")
                    steps[i].action = .repeatSteps(block)
                default: continue
                }
            }
        }
        resolveDeliveries(&scenario.flow, path: "flow")
    }

    /// Why the file cannot be used as a message, or nil when it can.
    static func check(_ absolute: String, written: String) -> (message: String, fix: String)? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory) else {
            return (
                "message file '\(written)' does not exist (looked for \(absolute))",
                "Check the path; relative paths start from the scenario file's directory."
            )
        }
        if isDirectory.boolValue {
            return ("message file '\(written)' is a directory", "Name an .eml file.")
        }
        guard FileManager.default.isReadableFile(atPath: absolute) else {
            return ("message file '\(written)' cannot be read", "Check its permissions.")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: absolute)[.size] as? NSNumber)?.intValue ?? 0
        if size > Limits.scenarioMaximumMessageSize {
            return (
                "message file '\(written)' is \(size) bytes, more than the limit of \(Limits.scenarioMaximumMessageSize)",
                "Use a smaller message; Exchange Online refuses messages over 35 MiB too."
            )
        }
        if size == 0 {
            return ("message file '\(written)' is empty", "Put an RFC 5322 message (headers, blank line, body) in it.")
        }
        return nil
    }
}
