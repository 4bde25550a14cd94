import Foundation

/// What a flow run shows a person: virtual time, every protocol line both ways, token requests and
/// answers with decoded claims, the server's decisions from the journal, and each step's verdict.
/// Secrets are masked unless `reveal` is set, so the same scenario and seed give the same bytes.
public struct Transcript: Sendable {
    public struct Entry: Sendable, Equatable {
        public enum Kind: String, Sendable {
            /// A scenario starts or ends.
            case scenario
            /// A step starts.
            case step
            /// Client to server (`C:`) and server to client (`S:`) protocol lines.
            case client = "C"
            case server = "S"
            /// An HTTP request and its answer (token service, sign-in page, admin API).
            case request = ">"
            case response = "<"
            /// A decision the server recorded in its journal.
            case journal = "="
            /// A note from the runner (a clock move, a refresh it decided on, a summary).
            case note = "#"
            /// A step's verdict.
            case verdict
        }
        public var kind: Kind
        /// Virtual time when the entry was made (RFC 3339).
        public var time: String
        /// The step's number (`3`, or `4.2` inside a repeat block), or empty outside steps.
        public var step: String
        public var text: String
    }

    public private(set) var entries: [Entry] = []
    /// Entries are dropped while false (the quiet rounds of a `repeat` block).
    var recording = true

    mutating func add(_ kind: Entry.Kind, time: String, step: String, _ text: String) {
        guard recording else { return }
        entries.append(Entry(kind: kind, time: time, step: step, text: text))
    }

    /// The readable form.
    public func text() -> String {
        var out = ""
        for entry in entries {
            switch entry.kind {
            case .scenario: out += "\(entry.text)\n"
            case .step: out += "\n[\(entry.time)] step \(entry.step): \(entry.text)\n"
            case .verdict: out += "  => \(entry.text)\n"
            case .client, .server, .request, .response, .journal, .note:
                out += "  \(entry.kind.rawValue) \(entry.text)\n"
            }
        }
        return out
    }

    /// One JSON object per line: `{"kind", "time", "step", "text"}`, keys sorted.
    public func jsonLines() -> String {
        entries.map { entry in
            let fields = ["kind": entry.kind.rawValue, "step": entry.step, "text": entry.text, "time": entry.time]
            let data =
                (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]))
                ?? Data()
            return String(decoding: data, as: UTF8.self)
        }.joined(separator: "\n") + (entries.isEmpty ? "" : "\n")
    }
}
