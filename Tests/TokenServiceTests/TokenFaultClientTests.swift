import ExomockTestSupport
import Foundation
import Testing

/// msal (Python) against `exomock serve` with a `503` `http_status` fault and a `429` `throttle` fault, each
/// with `Retry-After: 2`: msal answers a repeat within Retry-After from memory (the server never sees it) and
/// asks again after it, as Microsoft's clients are meant to (`clients/msal_retry_after.py`).
@Suite("msal honours Retry-After on token faults")
struct TokenFaultClientTests {
    static let clientID = "11111111-2222-3333-4444-555555555555"

    @Test(
        "msal: 503 and 429 with Retry-After: the repeat is not sent; after Retry-After a token", .timeLimit(.minutes(2))
    )
    func msalHonoursRetryAfter() throws {
        try requirePythonModules(["msal", "requests"], pip: "msal requests")
        let quickstart = try String(
            contentsOf: TestSupport.repositoryRoot.appendingPathComponent("Scenarios/quickstart.yaml"), encoding: .utf8)
        let withoutFlow = try #require(quickstart.components(separatedBy: "# A client flow").first)
        let mock = try ServedExomock(
            scenarioYAML: withoutFlow + """
                faults:
                  - {service: token, kind: http_status, status: 503, retry_after: 2, match: client_credentials, count: 1}
                  - {service: token, kind: throttle, seconds: 2, match: client_credentials, after: 1, count: 1}

                """,
            label: "msal-retry-after")
        let result = try runProgram(
            "python3",
            [
                pythonClients.appendingPathComponent("msal_retry_after.py").path, "--ready-file", mock.readyFile,
                "--cloud", "gcc-high", "--tenant", "contoso.onmicrosoft.us", "--client-id", Self.clientID,
                "--client-secret", "quickstart-secret", "--scope", "https://outlook.office365.us/.default",
            ], package: "python3", timeout: 60)
        let context = "msal_retry_after.py exit \(result.status):\n\(result.output)\n\(result.error)"
        #expect(result.status == 0, "\(context)")
        let events = try mock.journalEvents()
        // Six acquisitions, four requests: the two repeats within Retry-After never reached the server.
        let seen = events.filter { ["token.issued", "token.rejected", "token.throttled"].contains($0.event) }
        #expect(
            seen.map(\.event) == ["token.rejected", "token.issued", "token.throttled", "token.issued"],
            "\(seen.map(\.event))\n\(context)")
        #expect(seen.first?.detail["status"] == "503" && seen.first?.detail["retry_after"] == "2")
        #expect(seen.dropFirst(2).first?.detail["retry_after"] == "2")
        let fired = events.filter { $0.event == "fault.fired" }.compactMap { $0.detail["fault"] }
        #expect(fired == ["f1", "f2"], "\(fired)")
        #expect(mock.stop() == 0)
    }
}
