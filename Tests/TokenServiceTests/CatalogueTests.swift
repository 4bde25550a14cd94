import EntraTokens
import Foundation
import MicrosoftClouds
import Testing

@Suite("AADSTS catalogue and docs/errors.md")
struct CatalogueTests {
    static var docsPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/errors.md").path
    }

    @Test func docContainsEveryCatalogueRow() throws {
        if ProcessInfo.processInfo.environment["EXOMOCK_WRITE_DOCS"] == "1" {
            try AADSTSCatalogue.markdown().write(toFile: Self.docsPath, atomically: true, encoding: .utf8)
        }
        let doc = try String(contentsOfFile: Self.docsPath, encoding: .utf8)
        for line in AADSTSCatalogue.markdown().split(separator: "\n") where line.hasPrefix("| `") {
            #expect(doc.contains(line), "docs/errors.md is missing or has a stale row: \(line). Regenerate it from AADSTSCatalogue.markdown().")
        }
        #expect(doc == AADSTSCatalogue.markdown(), "docs/errors.md differs from AADSTSCatalogue.markdown(); regenerate it")
    }

    @Test func rulesAreUniqueAndEveryRuleTheCodeNamesExists() throws {
        let rules = AADSTSCatalogue.entries.map(\.rule)
        #expect(Set(rules).count == rules.count)
        // Every EntraError("rule") in the sources names a catalogue row.
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
        var named: Set<String> = []
        for dir in ["EntraTokens", "EntraTokenService"] {
            let folder = sources.appendingPathComponent(dir)
            for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".swift") {
                let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                var rest = text[...]
                while let r = rest.range(of: "EntraError(\"") {
                    let after = rest[r.upperBound...]
                    if let end = after.firstIndex(of: "\"") { named.insert(String(after[..<end])) }
                    rest = after
                }
            }
        }
        #expect(named.count > 20)
        for name in named { #expect(rules.contains(name), "EntraError(\"\(name)\") has no catalogue row") }
    }

    @Test func errorBodyIsMicrosoftsShape() {
        let e = EntraError("invalidScope", ["scope": "https://foo.microsoft.com/.default"])
        let body = e.body(cloud: Cloud.named(.gccHigh), traceID: "255d1aef-8c98-452f-ac51-23d051240864",
                          correlationID: "fb3d2015-bc17-4bb9-bb85-30c5cf1aaaa7", time: Date(timeIntervalSince1970: 1_452_304_932))
        // Written by hand from microsoft.md §4.1, with the US Gov authority host.
        let expected = #"{"error":"invalid_scope","error_description":"AADSTS70011: The provided value for the input parameter 'scope' is not valid. The scope https://foo.microsoft.com/.default is not valid.\r\nTrace ID: 255d1aef-8c98-452f-ac51-23d051240864\r\nCorrelation ID: fb3d2015-bc17-4bb9-bb85-30c5cf1aaaa7\r\nTimestamp: 2016-01-09 02:02:12Z","error_codes":[70011],"timestamp":"2016-01-09 02:02:12Z","trace_id":"255d1aef-8c98-452f-ac51-23d051240864","correlation_id":"fb3d2015-bc17-4bb9-bb85-30c5cf1aaaa7","error_uri":"https://login.microsoftonline.us/error?code=70011"}"#
        #expect(body.serialized == expected)
    }
}
