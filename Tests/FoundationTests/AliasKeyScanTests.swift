import Foundation
import ScenarioLoader
import Testing

/// An alias in key position is refused before Yams composes the text: Yams hashes key nodes to find
/// duplicates, and an alias of nested anchors used as a key hashed 10^8 nodes (FuzzScenarioLoader's
/// timeout, kept as Tests/Corpus/yaml/fuzz-alias-key-laughs).
@Suite struct AliasKeyScanTests {
    func problems(_ yaml: String) -> [String] {
        ScenarioLoader.problems(yaml: yaml, fileName: "t.yaml")
    }

    static let laughs = (0..<8).map { level in
        level == 0
            ? "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"
            : "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]"
    }.joined(separator: "\n")

    @Test("an alias of nested anchors as a flow-mapping key is refused at once, located")
    func flowMappingKeyOfLaughs() {
        let yaml = "version: 1\nname: x\n\(Self.laughs)\nboom: {*a7, *a7}\n"
        let started = ContinuousClock.now
        let found = problems(yaml)
        #expect(
            found == [
                "t.yaml:11:8: yaml: the alias *a7 is used as a mapping key. Write the key as a plain name; aliases (*name) may stand only for values."
            ])
        #expect(ContinuousClock.now - started < .seconds(2))
    }

    @Test(
        "every key position is seen",
        arguments: [
            ("name: x\na: &a [1]\n*a : 2\n", 3, 1),
            ("name: x\na: &a [1]\nb:\n  *a: 2\n", 4, 3),
            ("name: x\na: &a [1]\n? *a\n: 2\n", 3, 3),
            ("name: x\na: &a [1]\nb: [*a: 2]\n", 3, 5),
            ("name: x\na: &a [1]\nb: {c: 1,\n  *a}\n", 4, 3),
        ])
    func keyPositions(yaml: String, line: Int, column: Int) {
        #expect(problems(yaml).first?.hasPrefix("t.yaml:\(line):\(column): yaml: the alias *a is used") == true)
    }

    @Test("aliases as values, and look-alikes in quoted and block scalars and comments, pass the scan")
    func valuesAndLookAlikesPass() {
        let yaml = """
            name: x
            clouds: &c [gcc]
            description: |
              *a: this is text {*a, b}
                ? *b
            # *a: a comment
            tenants: [{id: 8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a, cloud: gcc, domains: ["{*a: b}", 'it''s *a: x']}]
            """
        #expect(problems(yaml) == [])
    }

    @Test("POST /faults bodies are scanned too")
    func faultBodies() throws {
        let scenario = try ScenarioLoader.load(yaml: "name: x\nclouds: [gcc]\n", fileName: "s.yaml", baseDirectory: nil)
        let result = ScenarioLoader.fault(
            text: "{service: token, kind: latency, x: &a [1], *a: 1}", name: "body", scenario: scenario)
        guard case .failure(let error) = result else {
            Issue.record("an alias key was accepted")
            return
        }
        #expect(error.problems.first?.description.hasPrefix("body:1:44: yaml: the alias *a") == true)
    }
}
