import ExomockTestSupport
import Foundation
import Testing

/// `GET`, `POST`, `DELETE /faults` against `exomock serve`: a fault added over the admin API applies to the
/// next token request (curl) or IMAP command (Python imaplib) and stops when removed; a bad fault is a 400
/// with the scenario reader's located message; an unknown id is a 404; every fault that fires is a
/// `fault.fired` journal event naming the fault's id.
@Suite(.serialized)
struct LiveFaultTests {
    static func served(label: String, faults: String = "") throws -> ServedExomock {
        let quickstart = try String(
            contentsOf: TestSupport.repositoryRoot.appendingPathComponent("Scenarios/quickstart.yaml"), encoding: .utf8)
        let withoutFlow = try #require(quickstart.components(separatedBy: "# A client flow").first)
        return try ServedExomock(scenarioYAML: withoutFlow + faults, label: label)
    }

    /// `curl` to the admin API: (HTTP status, JSON body).
    static func admin(_ mock: ServedExomock, _ method: String, _ path: String, body: String? = nil) throws -> (
        status: Int, json: Any?
    ) {
        var arguments = mock.admin.curlHeader + ["-X", method, "-w", "\n%{http_code}", "\(mock.ready.adminURL)\(path)"]
        if let body { arguments += ["-H", "Content-Type: application/json", "--data-binary", body] }
        let result = try ServedExomock.curl(arguments)
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.last ?? "") ?? 0
        let text = lines.dropLast().joined(separator: "\n")
        return (status, try? JSONSerialization.jsonObject(with: Data(text.utf8)))
    }

    static func tokenRequest(_ mock: ServedExomock) throws -> [String] {
        [
            "--cacert", mock.ready.caFile, "-w", "\n%{http_code}", "-D", "-",
            "\(try mock.cloud().authorityURL)/contoso.onmicrosoft.us/oauth2/v2.0/token",
            "-d", "grant_type=client_credentials", "-d", "client_id=11111111-2222-3333-4444-555555555555",
            "-d", "client_secret=quickstart-secret", "-d", "scope=https://outlook.office365.us/.default",
        ]
    }

    @Test("token service: a 503 added over the admin API answers the next request, and stops when removed")
    func tokenFaultAddedAndRemoved() throws {
        let mock = try Self.served(label: "live-fault-token")
        let request = try Self.tokenRequest(mock)
        #expect(try ServedExomock.curl(request).output.hasSuffix("\n200"))

        let added = try Self.admin(
            mock, "POST", "/faults",
            body:
                #"{"service": "token", "kind": "http_status", "status": 503, "retry_after": 7, "match": "client_credentials"}"#
        )
        #expect(added.status == 201)
        let id = try #require((added.json as? [String: Any])?["id"] as? String)

        let faulted = try ServedExomock.curl(request)
        #expect(faulted.output.hasSuffix("\n503"), "the next request gets the fault: \(faulted.output)")
        #expect(faulted.output.lowercased().contains("retry-after: 7"))

        let listed = try #require(try Self.admin(mock, "GET", "/faults").json as? [[String: Any]])
        let entry = try #require(listed.first { $0["id"] as? String == id })
        #expect(
            entry["origin"] as? String == "admin" && entry["fired"] as? Int == 1 && entry["retry_after"] as? Int == 7)

        #expect(try Self.admin(mock, "DELETE", "/faults/\(id)").status == 200)
        #expect(try ServedExomock.curl(request).output.hasSuffix("\n200"), "removed: the next request is served")
        #expect(try Self.admin(mock, "DELETE", "/faults/\(id)").status == 404, "an id removed is unknown")

        let fired = try mock.journalEvents().filter { $0.event == "fault.fired" }
        #expect(fired.count == 1 && fired.first?.detail["fault"] == id, "one fault.fired naming \(id): \(fired)")
    }

    @Test("token: malformed_json and truncated_body added over the admin API, for one user, until removed")
    func newTokenKindsAddedAndRemoved() throws {
        let mock = try Self.served(label: "live-fault-token-kinds")
        let clientCredentials = try Self.tokenRequest(mock)
        let password = [
            "--cacert", mock.ready.caFile, "-w", "\n%{http_code}",
            "\(try mock.cloud().authorityURL)/contoso.onmicrosoft.us/oauth2/v2.0/token",
            "-d", "grant_type=password", "-d", "client_id=11111111-2222-3333-4444-555555555555",
            "-d", "client_secret=quickstart-secret",
            "-d", "scope=https://outlook.office365.us/IMAP.AccessAsUser.All offline_access",
            "-d", "username=admin@contoso.onmicrosoft.us", "-d", "password=Quickstart-Pa55",
        ]
        let added = try Self.admin(
            mock, "POST", "/faults",
            body:
                #"{"service": "token", "kind": "malformed_json", "user": "ADMIN@contoso.onmicrosoft.us", "probability": 1, "from": "2026-01-01T00:00:00Z"}"#
        )
        #expect(added.status == 201, "\(String(describing: added.json))")
        let id = try #require((added.json as? [String: Any])?["id"] as? String)
        let listed = try #require(try Self.admin(mock, "GET", "/faults").json as? [[String: Any]])
        let entry = try #require(listed.first { $0["id"] as? String == id })
        #expect(entry["user"] as? String == "ADMIN@contoso.onmicrosoft.us" && entry["probability"] as? Double == 1)
        #expect(entry["from"] as? String == "2026-01-01T00:00:00Z", "GET lists the fault as POST takes it: \(entry)")

        let broken = try ServedExomock.curl(password)
        #expect(broken.output.hasSuffix("\n200") && !broken.output.contains("\"refresh_token\""), "\(broken.output)")
        #expect(
            try ServedExomock.curl(clientCredentials).output.hasSuffix("\n200"),
            "a client_credentials grant has no user: the user's fault does not match it")
        #expect(try Self.admin(mock, "DELETE", "/faults/\(id)").status == 200)
        #expect(try ServedExomock.curl(password).output.contains("\"refresh_token\""), "removed: the grant is served")

        let cut = try Self.admin(
            mock, "POST", "/faults", body: #"{"service": "token", "kind": "truncated_body", "match": "password"}"#)
        let cutID = try #require((cut.json as? [String: Any])?["id"] as? String)
        #expect(try ServedExomock.curl(password).status == 18, "the next password grant is cut (curl exit 18)")
        #expect(try Self.admin(mock, "DELETE", "/faults/\(cutID)").status == 200)
        #expect(try ServedExomock.curl(password).status == 0, "removed: the next one is whole")
        let fired = try mock.journalEvents().filter { $0.event == "fault.fired" }
        #expect(fired.map { $0.detail["fault"] } == [id, cutID], "\(fired)")
        #expect(fired.first?.detail["user"] == "admin@contoso.onmicrosoft.us")
    }

    @Test("IMAP: a disconnect added over the admin API drops imaplib's next CAPABILITY, and stops when removed")
    func imapFaultAddedAndRemoved() throws {
        let mock = try Self.served(label: "live-fault-imap")
        let imap = try mock.cloud().listener("imap")
        let script = """
            import imaplib, ssl, sys
            context = ssl.create_default_context(cafile=sys.argv[1])
            context.check_hostname = False
            try:
                client = imaplib.IMAP4_SSL(sys.argv[2], int(sys.argv[3]), ssl_context=context, timeout=10)
                print("capabilities", " ".join(client.capabilities))
                client.logout()
            except (imaplib.IMAP4.abort, OSError, EOFError) as error:
                print("dropped", type(error).__name__)
            """
        func connect() throws -> String {
            try runProgram(
                "python3", ["-c", script, mock.ready.caFile, imap.host, String(imap.port)], package: "python3",
                timeout: 30
            ).output
        }
        #expect(try connect().hasPrefix("capabilities"))
        let added = try Self.admin(
            mock, "POST", "/faults", body: #"{"service": "imap", "kind": "disconnect", "match": "CAPABILITY"}"#)
        #expect(added.status == 201)
        let id = try #require((added.json as? [String: Any])?["id"] as? String)
        let dropped = try connect()
        #expect(dropped.hasPrefix("dropped"), "imaplib sees the connection close: \(dropped)")
        #expect(try Self.admin(mock, "DELETE", "/faults/\(id)").status == 200)
        #expect(try connect().hasPrefix("capabilities"), "removed: the next CAPABILITY is answered")
        let fired = try mock.journalEvents().filter { $0.event == "fault.fired" }
        #expect(fired.map { $0.detail["fault"] } == [id] && fired.first?.detail["on"] == "CAPABILITY")
    }

    @Test("POP3: a 2 s latency added over the admin API holds poplib's next CAPA past its 1 s timeout, until removed")
    func pop3LatencyAddedAndRemoved() throws {
        let mock = try Self.served(label: "live-fault-pop3")
        let pop3 = try mock.cloud().listener("pop3")
        let script = """
            import poplib, socket, ssl, sys
            context = ssl.create_default_context(cafile=sys.argv[1])
            context.check_hostname = False
            client = poplib.POP3_SSL(sys.argv[2], int(sys.argv[3]), context=context, timeout=10)
            client.sock.settimeout(1)
            try:
                print("capa", " ".join(sorted(client.capa())))
                client.quit()
            except (socket.timeout, TimeoutError) as error:
                print("timed out", type(error).__name__)
            """
        func capa() throws -> String {
            try runProgram(
                "python3", ["-c", script, mock.ready.caFile, pop3.host, String(pop3.port)], package: "python3",
                timeout: 30
            ).output
        }
        #expect(try capa().hasPrefix("capa"))
        let added = try Self.admin(
            mock, "POST", "/faults", body: #"{"service": "pop3", "kind": "latency", "seconds": "2s", "match": "CAPA"}"#)
        #expect(added.status == 201)
        let id = try #require((added.json as? [String: Any])?["id"] as? String)
        let held = try capa()
        #expect(held.hasPrefix("timed out"), "poplib's read times out while the fault holds CAPA: \(held)")
        #expect(try Self.admin(mock, "DELETE", "/faults/\(id)").status == 200)
        #expect(try capa().hasPrefix("capa"), "removed: CAPA is answered at once")
        let fired = try mock.journalEvents().filter { $0.event == "fault.fired" }
        #expect(fired.map { $0.detail["fault"] } == [id] && fired.first?.detail["kind"] == "latency")
    }

    @Test("POST /faults: the scenario reader's rules, as a 400 with error, fix and located problems")
    func validationErrors() throws {
        let mock = try Self.served(
            label: "live-fault-errors",
            faults: "faults:\n  - {service: pop3, kind: latency, seconds: 1ms, match: NOOP}\n")
        let cases: [(body: String, error: String)] = [
            (#"{"service": "token", "kind": "boom"}"#, "body:1:30: fault.kind: unknown fault kind 'boom'"),
            (
                #"{"service": "imap", "kind": "aadsts", "code": 50076}"#,
                "fault.kind: `aadsts` faults apply to the token service only"
            ),
            (#"{"service": "token", "kind": "http_status", "status": 404}"#, "fault.status: 404 is not a server error"),
            (#"{"service": "token", "kind": "latency"}"#, "fault.seconds: a `latency` fault needs a delay"),
            (#"{"service": "token", "kind": "throttle", "colour": "red"}"#, "fault.colour"),
            (
                #"{"service": "token", "kind": "aadsts", "code": 50076, "cloud": "dod"}"#,
                "fault.cloud: cloud 'dod' is not in `clouds`"
            ),
            (#"["service"]"#, "fault: expected a mapping"),
            (#"{"service": "#, "body:"),
        ]
        for (body, error) in cases {
            let answer = try Self.admin(mock, "POST", "/faults", body: body)
            let json = answer.json as? [String: Any]
            #expect(answer.status == 400, "\(body)")
            #expect((json?["error"] as? String)?.contains(error) == true, "\(body): \(String(describing: json))")
            #expect((json?["fix"] as? String)?.isEmpty == false, "\(body): a fix")
        }
        #expect(try Self.admin(mock, "DELETE", "/faults/f99").status == 404)
        let listed = try #require(try Self.admin(mock, "GET", "/faults").json as? [[String: Any]])
        #expect(listed.count == 1 && listed[0]["id"] as? String == "f1" && listed[0]["origin"] as? String == "scenario")
        #expect(
            try Self.admin(mock, "DELETE", "/faults/f1").status == 200, "the scenario's own faults can be removed too")
        #expect(try Self.admin(mock, "GET", "/faults").json as? [Any] != nil)
    }
}
