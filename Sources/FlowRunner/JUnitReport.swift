/// The JUnit XML `exomock run --junit PATH` writes, as CI systems (Jenkins, GitLab, GitHub
/// test reporters) read it: the Ant `XMLJUnitResultFormatter` format.
///
/// One `<testsuite>` per scenario file, one `<testcase>` per scenario, a `<failure>` with the located
/// failure message; a file that could not be loaded (or whose mock could not start) is a suite
/// with one `<error>` test case. A pure value: `xml()` builds the text, the caller writes it.
///
/// Text and attributes are escaped for XML 1.0: `&`, `<`, `>`, `"` and `'` as entities, tab, line
/// feed and carriage return in attributes as character references (so they survive attribute
/// normalisation), and the characters XML 1.0 forbids (C0 controls other than tab, LF and CR,
/// U+FFFE, U+FFFF) as visible `\u{…}` text. Times are seconds with three decimals, written
/// without a locale (`1234.500`), so `,` never appears as a decimal separator.
public struct JUnitReport: Sendable {
    public struct TestCase: Sendable {
        /// The scenario name.
        public var name: String
        /// E.g. `exomock.<file stem>`.
        public var className: String
        /// Wall time.
        public var seconds: Double
        /// nil: passed; else the one-line message,
        /// e.g. `Scenarios/x.yaml:12: step 'y': expected ..., got ...`.
        public var failure: String?
        /// Optional longer text (the last protocol lines) for the failure element's body.
        public var details: String?
        /// Optional transcript.
        public var systemOut: String?

        public init(
            name: String, className: String, seconds: Double, failure: String? = nil, details: String? = nil,
            systemOut: String? = nil
        ) {
            self.name = name
            self.className = className
            self.seconds = seconds
            self.failure = failure
            self.details = details
            self.systemOut = systemOut
        }
    }

    public struct TestSuite: Sendable {
        /// The scenario file path as given.
        public var name: String
        public var cases: [TestCase]
        /// The file could not be loaded, or the mock could not start: written as an `<error>` test case.
        public var error: String?

        public init(name: String, cases: [TestCase], error: String? = nil) {
            self.name = name
            self.cases = cases
            self.error = error
        }
    }

    public var suites: [TestSuite]

    public init(suites: [TestSuite]) {
        self.suites = suites
    }

    /// The `type` attribute of `<failure>` and `<error>` (Ant writes the exception class there).
    static let failureType = "exomock.ExpectationFailed"
    static let errorType = "exomock.ScenarioError"

    /// The whole document, ending with a line feed.
    public func xml() -> String {
        var body = ""
        var totals = Counts()
        for suite in suites {
            let counts = Counts(suite)
            totals.add(counts)
            body +=
                "  <testsuite"
                + Self.attributes([
                    ("name", Self.nonEmpty(suite.name, "(unnamed file)")), ("tests", String(counts.tests)),
                    ("failures", String(counts.failures)), ("errors", String(counts.errors)), ("skipped", "0"),
                    ("time", Self.seconds(milliseconds: counts.milliseconds)),
                ])
            if counts.tests == 0 {
                body += "/>\n"
                continue
            }
            body += ">\n"
            for testCase in suite.cases { body += Self.element(testCase) }
            if let error = suite.error { body += Self.errorCase(suite: suite.name, message: error) }
            body += "  </testsuite>\n"
        }
        var document =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"
            + Self.attributes([
                ("name", "exomock"), ("tests", String(totals.tests)), ("failures", String(totals.failures)),
                ("errors", String(totals.errors)), ("time", Self.seconds(milliseconds: totals.milliseconds)),
            ])
        document += body.isEmpty ? "/>\n" : ">\n" + body + "</testsuites>\n"
        return document
    }

    // MARK: Elements

    struct Counts {
        var tests = 0, failures = 0, errors = 0, milliseconds = 0

        init() {}

        init(_ suite: TestSuite) {
            tests = suite.cases.count + (suite.error == nil ? 0 : 1)
            failures = suite.cases.filter { $0.failure != nil }.count
            errors = suite.error == nil ? 0 : 1
            milliseconds = suite.cases.reduce(0) { $0 + JUnitReport.milliseconds($1.seconds) }
        }

        mutating func add(_ other: Counts) {
            tests += other.tests
            failures += other.failures
            errors += other.errors
            milliseconds += other.milliseconds
        }
    }

    static func element(_ testCase: TestCase) -> String {
        var text =
            "    <testcase"
            + attributes([
                ("name", nonEmpty(testCase.name, "(unnamed scenario)")),
                ("classname", nonEmpty(testCase.className, "exomock")),
                ("time", seconds(milliseconds: milliseconds(testCase.seconds))),
            ])
        guard testCase.failure != nil || testCase.systemOut != nil else { return text + "/>\n" }
        text += ">\n"
        if let failure = testCase.failure {
            text += "      <failure" + attributes([("message", failure), ("type", failureType)])
            // Ant puts the stack trace in the body; ours is the message and the last protocol lines.
            text += ">" + escapeText(testCase.details.map { failure + "\n" + $0 } ?? failure) + "</failure>\n"
        }
        if let out = testCase.systemOut {
            text += "      <system-out>" + escapeText(out) + "</system-out>\n"
        }
        return text + "    </testcase>\n"
    }

    /// The test case standing for a file that never ran.
    static func errorCase(suite: String, message: String) -> String {
        "    <testcase"
            + attributes([
                ("name", "(load)"), ("classname", "exomock." + stem(suite)), ("time", "0.000"),
            ]) + ">\n      <error" + attributes([("message", message), ("type", errorType)]) + ">"
            + escapeText(message) + "</error>\n    </testcase>\n"
    }

    /// `Scenarios/refresh-token-90-days.yaml` -> `refresh-token-90-days`.
    static func stem(_ path: String) -> String {
        let file = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
        for suffix in [".yaml", ".yml"] where file.hasSuffix(suffix) {
            return nonEmpty(String(file.dropLast(suffix.count)), "scenario")
        }
        return nonEmpty(file, "scenario")
    }

    static func nonEmpty(_ text: String, _ fallback: String) -> String {
        text.allSatisfy { $0.isWhitespace } ? fallback : text
    }

    // MARK: Numbers

    /// Whole milliseconds, rounded; negative, NaN and absurd values become 0 or the cap (100 years).
    static func milliseconds(_ seconds: Double) -> Int {
        guard seconds.isFinite, seconds > 0 else { return seconds == .infinity ? maximumMilliseconds : 0 }
        return Int(min(seconds * 1_000, Double(maximumMilliseconds)).rounded())
    }

    static let maximumMilliseconds = 36_500 * 86_400 * 1_000

    /// `1234.005`: digits, a full stop, three decimals; no locale, no exponent.
    static func seconds(milliseconds: Int) -> String {
        let fraction = String(milliseconds % 1_000)
        return String(milliseconds / 1_000) + "." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    // MARK: Escaping

    static func attributes(_ pairs: [(String, String)]) -> String {
        pairs.map { " \($0.0)=\"\(escapeAttribute($0.1))\"" }.joined()
    }

    static func escapeText(_ text: String) -> String { escape(text, attribute: false) }
    static func escapeAttribute(_ text: String) -> String { escape(text, attribute: true) }

    static func escape(_ text: String, attribute: Bool) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            // A raw CR would be read back as LF; in attributes tab and LF would be read back as spaces.
            case "\r": out += "&#13;"
            case "\t", "\n": out += attribute ? "&#\(scalar.value);" : String(scalar)
            default:
                if isAllowedInXML10(scalar) {
                    out.unicodeScalars.append(scalar)
                } else {
                    out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
                }
            }
        }
        return out
    }

    /// XML 1.0's `Char` production: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
    /// (a Swift scalar is never a surrogate).
    static func isAllowedInXML10(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x9, 0xA, 0xD, 0x20...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }
}
