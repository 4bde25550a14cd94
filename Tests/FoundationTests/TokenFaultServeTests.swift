import ExomockTestSupport
import Foundation
import Testing

/// Token-service faults through `exomock serve`, as curl's user sees them: `disconnect` drops the
/// connection with no byte of an answer (curl: "Empty reply from server", exit 52); `truncated_body` sends
/// the head and half the body, then closes (curl exit 18, "transfer closed with N bytes remaining");
/// `malformed_json` answers 200 with a body no JSON parser reads. The next request is served, and the
/// journal names each fault.
@Suite(.serialized)
struct TokenFaultServeTests {
    @Test("disconnect fault: the token request's connection drops without an answer, once")
    func disconnectDropsTheConnection() throws {
        let mock = try Self.served(
            "  - {service: token, kind: disconnect, match: client_credentials, count: 1}\n", label: "token-fault")
        let request = try Self.tokenRequest(mock)

        let dropped = try ServedExomock.curl(request)
        #expect(dropped.status == 52, "curl should see an empty reply (exit 52): \(dropped)")
        #expect(dropped.output.isEmpty)

        let served = try ServedExomock.curl(request)
        #expect(served.status == 0 && served.output.contains("\"access_token\""), "the fault applies once: \(served)")

        let journal = try mock.admin.curl("/journal")
        #expect(
            journal.output.contains("\"fault.disconnect\""),
            "the journal names the fault: \(journal.output.prefix(2000))")
    }

    static func served(_ faults: String, label: String) throws -> ServedExomock {
        let quickstart = try String(
            contentsOf: TestSupport.repositoryRoot.appendingPathComponent("Scenarios/quickstart.yaml"), encoding: .utf8)
        let withoutFlow = try #require(quickstart.components(separatedBy: "# A client flow").first)
        return try ServedExomock(scenarioYAML: withoutFlow + "faults:\n" + faults, label: label)
    }

    static func tokenRequest(_ mock: ServedExomock) throws -> [String] {
        [
            "--cacert", mock.ready.caFile, "\(try mock.cloud().authorityURL)/contoso.onmicrosoft.us/oauth2/v2.0/token",
            "-d", "grant_type=client_credentials", "-d", "client_id=11111111-2222-3333-4444-555555555555",
            "-d", "client_secret=quickstart-secret", "-d", "scope=https://outlook.office365.us/.default",
        ]
    }

    @Test("truncated_body: curl gets half the announced body, then the connection closes (exit 18)")
    func truncatedBody() throws {
        let mock = try Self.served(
            "  - {service: token, kind: truncated_body, match: client_credentials, count: 1}\n",
            label: "token-truncated")
        let request = try Self.tokenRequest(mock)
        let cut = try ServedExomock.curl(["-D", "-"] + request)
        #expect(cut.status == 18, "curl should see a transfer closed early (exit 18): \(cut)")
        #expect(cut.error.contains("transfer closed with"), "\(cut.error)")
        let parts = cut.output.components(separatedBy: "\r\n\r\n")
        let head = parts.first ?? ""
        let body = parts.dropFirst().joined(separator: "\r\n\r\n")
        let announced = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) }
        #expect(head.hasPrefix("HTTP/1.1 200"), "\(head)")
        #expect(
            announced.map { body.utf8.count == $0 / 2 } == true, "half of \(String(describing: announced)): \(body)")
        #expect(body.hasPrefix("{") && body.contains("\"token_type\""), "the real answer's first half: \(body)")
        #expect((try? JSONSerialization.jsonObject(with: Data(body.utf8))) == nil, "half a JSON answer does not parse")

        let served = try ServedExomock.curl(request)
        #expect(served.status == 0 && served.output.contains("\"access_token\""), "the fault applies once: \(served)")
        let events = try mock.journalEvents()
        #expect(events.contains { $0.event == "fault.truncated_body" })
        #expect(events.contains { $0.event == "fault.fired" && $0.detail["kind"] == "truncated_body" })
    }

    @Test("malformed_json: curl gets 200 and a body that is not JSON; the next request is served")
    func malformedJSON() throws {
        let mock = try Self.served(
            "  - {service: token, kind: malformed_json, client_id: 11111111-2222-3333-4444-555555555555, count: 1}\n",
            label: "token-malformed")
        let request = try Self.tokenRequest(mock)
        let broken = try ServedExomock.curl(["-w", "\n%{http_code} %{content_type}"] + request)
        #expect(broken.status == 0, "\(broken)")
        let lines = broken.output.components(separatedBy: "\n")
        #expect(lines.last == "200 application/json; charset=utf-8", "\(broken.output)")
        let body = lines.dropLast().joined(separator: "\n")
        #expect(body.contains("\"access_token\": \""), "\(body)")
        #expect((try? JSONSerialization.jsonObject(with: Data(body.utf8))) == nil, "the body does not parse: \(body)")
        let python = try runProgram(
            "python3", ["-c", "import json,sys; json.loads(sys.stdin.read())"], package: "python3", timeout: 30,
            input: body)
        #expect(python.status != 0 && python.error.contains("JSONDecodeError"), "\(python.error)")

        let served = try ServedExomock.curl(request)
        #expect(served.status == 0 && served.output.contains("\"access_token\""), "the fault applies once: \(served)")
        #expect(try mock.journalEvents().contains { $0.event == "fault.malformed_json" })
    }
}
