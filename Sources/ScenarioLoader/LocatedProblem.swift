import Determinism

/// One thing wrong with a scenario, with the place it is wrong.
///
/// `description` is the line `exomock check` prints: `FILE:LINE:COLUMN: FIELD: MESSAGE. FIX`.
/// Line and column are 1-based; the column counts Unicode scalars, as libyaml does.
public struct LocatedProblem: Sendable, Equatable, CustomStringConvertible {
    /// The scenario file as the caller named it (or the `fileName` given for embedded text).
    public var file: String
    public var line: Int
    public var column: Int
    /// The field, as a path into the document (`users[1].full_access[0]`), or `yaml` / `file`
    /// for problems with the text or the file itself.
    public var field: String
    /// What is wrong, without a final full stop.
    public var message: String
    /// How to fix it, one sentence ending with a full stop.
    public var fix: String

    /// `field` and `message` may quote the scenario's (or a client's) text: their control characters are
    /// escaped here, once for every problem (`QuotedInput.escaped`), so a NUL or a line break in a value
    /// cannot reach a terminal or split the `FILE:LINE:COL` line.
    public init(file: String, line: Int, column: Int, field: String, message: String, fix: String) {
        self.file = QuotedInput.escaped(file)
        self.line = line
        self.column = column
        self.field = QuotedInput.escaped(field)
        self.message = QuotedInput.escaped(message)
        self.fix = fix
    }

    public var description: String { "\(file):\(line):\(column): \(field): \(message). \(fix)" }
}

/// Why a scenario could not be loaded: every problem found, in document order.
public struct ScenarioLoadError: Error, Sendable, Equatable, CustomStringConvertible {
    public var problems: [LocatedProblem]

    public init(problems: [LocatedProblem]) { self.problems = problems }

    /// One problem per line.
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
