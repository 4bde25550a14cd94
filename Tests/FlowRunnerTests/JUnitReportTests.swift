import FlowRunner
import Foundation
import Testing

/// The JUnit XML `exomock run --junit` writes, validated with xmllint (Debian's libxml2-utils)
/// against the Ant JUnit schema in Fixtures/junit.xsd, and read back with XPath.
@Suite struct JUnitReportTests {
    /// A failure message with everything XML must escape: markup, quotes, a newline, a control character.
    static let nastyMessage = "Scenarios/x.yaml:12: step 'a <b> & \"c\"': expected OK,\ngot \u{01}NO"

    static var mixed: JUnitReport {
        JUnitReport(suites: [
            .init(
                name: "Scenarios/quickstart.yaml",
                cases: [
                    .init(name: "quickstart", className: "exomock.quickstart", seconds: 1.2344),
                    .init(
                        name: "refresh <after> 90 days", className: "exomock.quickstart", seconds: 0.25,
                        failure: nastyMessage, details: "S: A1 NO AUTHENTICATE failed.\r\nC: \u{1B}[0m done",
                        systemOut: "C: A1 AUTHENTICATE XOAUTH2 ...\nS: A1 NO AUTHENTICATE failed.\n"
                    ),
                ]),
            .init(
                name: "Scenarios/broken.yaml", cases: [], error: "Scenarios/broken.yaml:3:9: clouds: expected a list"
            ),
            .init(name: "Scenarios/empty.yaml", cases: []),
        ])
    }

    @Test func mixedReportValidatesAgainstTheSchema() throws {
        let xml = Self.mixed.xml()
        let result = try validate(xml)
        #expect(result.status == 0, "xmllint: \(result.errors)\n\(xml)")
        #expect(xml.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"exomock\" "))
    }

    @Test func countsAndTimes() throws {
        let file = try write(Self.mixed.xml())
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(
            try xpath("concat(/testsuites/@tests, ' ', /testsuites/@failures, ' ', /testsuites/@errors)", file)
                == "3 1 1")
        #expect(try xpath("string(/testsuites/@time)", file) == "1.484")
        #expect(try xpath("count(//testsuite)", file) == "3")
        #expect(try xpath("count(//testcase)", file) == "3")
        let first = "/testsuites/testsuite[1]"
        let firstCounts = "concat(\(first)/@name, ' ', \(first)/@tests, ' ', \(first)/@failures, ' ', \(first)/@errors)"
        #expect(try xpath(firstCounts, file) == "Scenarios/quickstart.yaml 2 1 0")
        #expect(try xpath("string(\(first)/@time)", file) == "1.484")
        #expect(try xpath("string(\(first)/testcase[1]/@time)", file) == "1.234")
        #expect(try xpath("string(\(first)/testcase[2]/@time)", file) == "0.250")
        #expect(try xpath("count(\(first)/testcase[1]/*)", file) == "0")
        let broken = "/testsuites/testsuite[2]"
        #expect(
            try xpath("concat(\(broken)/@tests, ' ', \(broken)/@failures, ' ', \(broken)/@errors)", file)
                == "1 0 1")
        #expect(
            try xpath("concat(\(broken)/testcase/@name, ' ', \(broken)/testcase/@classname)", file)
                == "(load) exomock.broken")
        #expect(
            try xpath("string(\(broken)/testcase/error/@message)", file)
                == "Scenarios/broken.yaml:3:9: clouds: expected a list")
        #expect(try xpath("string(/testsuites/testsuite[3]/@tests)", file) == "0")
    }

    @Test func failureTextIsEscapedAndReadsBack() throws {
        let xml = Self.mixed.xml()
        #expect(!xml.unicodeScalars.contains("\u{01}"))
        #expect(!xml.unicodeScalars.contains("\u{1B}"))
        #expect(
            xml.contains(
                "message=\"Scenarios/x.yaml:12: step &apos;a &lt;b&gt; &amp; &quot;c&quot;&apos;: "
                    + "expected OK,&#10;got \\u{1}NO\""
            ))
        let file = try write(xml)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let failure = "/testsuites/testsuite[1]/testcase[2]/failure"
        // The newline survives attribute normalisation; the control character becomes visible text.
        #expect(
            try xpath("string(\(failure)/@message)", file)
                == "Scenarios/x.yaml:12: step 'a <b> & \"c\"': expected OK,\ngot \\u{1}NO")
        #expect(try xpath("string(\(failure)/@type)", file).isEmpty == false)
        let visible = Self.nastyMessage.replacingOccurrences(of: "\u{01}", with: "\\u{1}")
        let body = visible + "\nS: A1 NO AUTHENTICATE failed.\r\nC: \\u{1B}[0m done"
        #expect(try xpath("string(\(failure))", file) == body)
        #expect(
            try xpath("string(/testsuites/testsuite[1]/testcase[2]/system-out)", file)
                == "C: A1 AUTHENTICATE XOAUTH2 ...\nS: A1 NO AUTHENTICATE failed.\n")
        #expect(try xpath("string(/testsuites/testsuite[1]/testcase[2]/@name)", file) == "refresh <after> 90 days")
    }

    @Test func numbersAreCLocaleWithThreeDecimals() throws {
        let report = JUnitReport(suites: [
            .init(
                name: "s.yaml",
                cases: [
                    .init(name: "big", className: "c", seconds: 12_345.6789),
                    .init(name: "negative", className: "c", seconds: -1),
                    .init(name: "nan", className: "c", seconds: .nan),
                    .init(name: "tiny", className: "c", seconds: 0.0004),
                ])
        ])
        let xml = report.xml()
        #expect(xml.contains("name=\"big\" classname=\"c\" time=\"12345.679\""))
        #expect(xml.contains("name=\"negative\" classname=\"c\" time=\"0.000\""))
        #expect(xml.contains("name=\"nan\" classname=\"c\" time=\"0.000\""))
        #expect(xml.contains("name=\"tiny\" classname=\"c\" time=\"0.000\""))
        #expect(
            xml.contains(
                "<testsuite name=\"s.yaml\" tests=\"4\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"12345.679\">"
            ))
        #expect(try validate(xml).status == 0)
    }

    @Test func emptyReportAndEmptyNamesValidate() throws {
        let empty = JUnitReport(suites: []).xml()
        #expect(
            empty == "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<testsuites name=\"exomock\" tests=\"0\" failures=\"0\" errors=\"0\" time=\"0.000\"/>\n")
        #expect(try validate(empty).status == 0)
        // Names the schema needs non-empty get a stand-in rather than an invalid document.
        let unnamed = JUnitReport(suites: [.init(name: "", cases: [.init(name: " ", className: "", seconds: 1)])])
        let result = try validate(unnamed.xml())
        #expect(result.status == 0, "xmllint: \(result.errors)")
    }

    /// The schema check can fail: documents that break the Ant format are refused.
    @Test func badDocumentsFailValidation() throws {
        let good = Self.mixed.xml()
        #expect(try validate(good).status == 0)
        let breakages: [(String, String)] = [
            ("<testsuite name=\"Scenarios/quickstart.yaml\" ", "<testsuite "),
            ("<testcase name=\"quickstart\" ", "<testcase "),
            ("time=\"1.234\"", "time=\"1,234\""),
            ("type=\"exomock.ExpectationFailed\"", ""),
            ("<failure ", "<failed "),
        ]
        for (from, to) in breakages {
            #expect(good.contains(from), "\(from) not in the document")
            let bad = good.replacingOccurrences(of: from, with: to)
            let result = try validate(bad)
            #expect(result.status != 0, "xmllint accepted the document with \(from) -> \(to)")
        }
        // A raw control character is not even well-formed XML 1.0.
        #expect(try validate(good.replacingOccurrences(of: "\\u{1}", with: "\u{01}")).status != 0)
    }
}

// MARK: xmllint

private struct ToolResult {
    var status: Int32
    var output: String
    var errors: String
}

private func xmllintPath() throws -> String {
    let candidates = ["/usr/bin/xmllint", "/usr/local/bin/xmllint", "/opt/homebrew/bin/xmllint"]
    let found = candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    return try #require(found, "xmllint is missing: apt-get install libxml2-utils (test.sh installs it)")
}

private func schemaPath() throws -> String {
    try #require(
        Bundle.module.path(forResource: "junit", ofType: "xsd", inDirectory: "Fixtures"),
        "Fixtures/junit.xsd is missing from the test bundle"
    )
}

private func write(_ xml: String) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("exomock-junit-\(UUID().uuidString).xml")
    try Data(xml.utf8).write(to: url)
    return url.path
}

private func run(_ arguments: [String]) throws -> ToolResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try xmllintPath())
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Small outputs: reading one pipe to its end before the other cannot fill the second.
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ToolResult(
        status: process.terminationStatus, output: String(decoding: data, as: UTF8.self),
        errors: String(decoding: errors, as: UTF8.self)
    )
}

/// `xmllint --noout --schema junit.xsd FILE`.
private func validate(_ xml: String) throws -> ToolResult {
    let file = try write(xml)
    defer { try? FileManager.default.removeItem(atPath: file) }
    return try run(["--noout", "--schema", try schemaPath(), file])
}

/// The string value of an XPath expression over `file`.
private func xpath(_ expression: String, _ file: String) throws -> String {
    let result = try run(["--xpath", expression, file])
    try #require(result.status == 0, "xmllint --xpath \(expression): \(result.errors)")
    // xmllint ends the value with a line feed of its own.
    return result.output.hasSuffix("\n") ? String(result.output.dropLast()) : result.output
}
