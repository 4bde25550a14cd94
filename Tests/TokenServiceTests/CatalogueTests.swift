import EntraTokens
import Foundation
import MicrosoftClouds
import Testing

@Suite("AADSTS catalogue and docs/errors.md")
struct CatalogueTests {
    static var docsPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("docs/errors.md").path
    }

    @Test func docContainsEveryCatalogueRow() throws {
        if ProcessInfo.processInfo.environment["EXOMOCK_WRITE_DOCS"] == "1" {
            try AADSTSCatalogue.markdown().write(toFile: Self.docsPath, atomically: true, encoding: .utf8)
        }
        let doc = try String(contentsOfFile: Self.docsPath, encoding: .utf8)
        for line in AADSTSCatalogue.markdown().split(separator: "\n") where line.hasPrefix("| `") {
            #expect(
                doc.contains(line),
                "docs/errors.md is missing or has a stale row: \(line). Regenerate it from AADSTSCatalogue.markdown().")
        }
        #expect(
            doc == AADSTSCatalogue.markdown(), "docs/errors.md differs from AADSTSCatalogue.markdown(); regenerate it")
    }

    @Test func everyRuleHasOneRowAndRowsAreDistinct() {
        // Rules are an enum with an exhaustive `entry` switch, so a misspelt rule does not compile; what
        // is left to check is that each row carries its own rule and no row is a pasted duplicate.
        #expect(AADSTSCatalogue.entries.count == AADSTSRule.allCases.count)
        for rule in AADSTSRule.allCases {
            #expect(rule.entry.rule == rule, "the row for \(rule) names \(rule.entry.rule)")
            #expect(!rule.entry.source.isEmpty && !rule.entry.template.isEmpty, "\(rule) has no text or no source")
        }
        let keys = AADSTSCatalogue.entries.map { "\($0.code) \($0.error) \($0.template)" }
        #expect(Set(keys).count == keys.count, "two rows share a code, an error value and a text: \(keys)")
        // The journal names a rule by its raw value (`rule=refreshTokenInactive`); transcripts depend on it.
        #expect(AADSTSRule.refreshTokenInactive.rawValue == "refreshTokenInactive")
        #expect(EntraError(.refreshTokenInactive).code == 700082)
    }

    @Test func errorBodyIsMicrosoftsShape() {
        let e = EntraError(.invalidScope, ["scope": "https://foo.microsoft.com/.default"])
        let body = e.body(
            cloud: Cloud.named(.gccHigh), traceID: "255d1aef-8c98-452f-ac51-23d051240864",
            correlationID: "fb3d2015-bc17-4bb9-bb85-30c5cf1aaaa7", time: Date(timeIntervalSince1970: 1_452_304_932))
        // Written by hand from microsoft.md §4.1, with the US Gov authority host.
        let expected =
            #"{"error":"invalid_scope","error_description":"AADSTS70011: The provided value for the input parameter 'scope' is not valid. The scope https://foo.microsoft.com/.default is not valid.\r\nTrace ID: 255d1aef-8c98-452f-ac51-23d051240864\r\nCorrelation ID: fb3d2015-bc17-4bb9-bb85-30c5cf1aaaa7\r\nTimestamp: 2016-01-09 02:02:12Z","error_codes":[70011],"timestamp":"2016-01-09 02:02:12Z","trace_id":"255d1aef-8c98-452f-ac51-23d051240864","correlation_id":"fb3d2015-bc17-4bb9-bb85-30c5cf1aaaa7","error_uri":"https://login.microsoftonline.us/error?code=70011"}"#
        #expect(body.serialized == expected)
    }
}
