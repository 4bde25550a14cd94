import ExomockTestSupport
import Foundation
import Testing

/// A token-service `disconnect` fault through `exomock serve`: the connection drops with no byte of
/// an answer (curl: "Empty reply from server", exit 52), the next request is served, and the journal
/// names the fault.
@Suite(.serialized)
struct TokenFaultServeTests {
    @Test("disconnect fault: the token request's connection drops without an answer, once")
    func disconnectDropsTheConnection() throws {
        let quickstart = try String(
            contentsOf: TestSupport.repositoryRoot.appendingPathComponent("Scenarios/quickstart.yaml"), encoding: .utf8)
        let withoutFlow = try #require(quickstart.components(separatedBy: "# A client flow").first)
        let mock = try ServedExomock(
            scenarioYAML: withoutFlow
                + "faults:\n  - {service: token, kind: disconnect, match: client_credentials, count: 1}\n",
            label: "token-fault")
        let ready = mock.ready
        let cloud = try mock.cloud()
        let request = [
            "--cacert", ready.caFile, "\(cloud.authorityURL)/contoso.onmicrosoft.us/oauth2/v2.0/token",
            "-d", "grant_type=client_credentials", "-d", "client_id=11111111-2222-3333-4444-555555555555",
            "-d", "client_secret=quickstart-secret", "-d", "scope=https://outlook.office365.us/.default",
        ]

        let dropped = try ServedExomock.curl(request)
        #expect(dropped.status == 52, "curl should see an empty reply (exit 52): \(dropped)")
        #expect(dropped.output.isEmpty)

        let served = try ServedExomock.curl(request)
        #expect(served.status == 0 && served.output.contains("\"access_token\""), "the fault applies once: \(served)")

        let journal = try ServedExomock.curl(["\(ready.adminURL)/journal"])
        #expect(
            journal.output.contains("\"fault.disconnect\""),
            "the journal names the fault: \(journal.output.prefix(2000))")
    }
}
