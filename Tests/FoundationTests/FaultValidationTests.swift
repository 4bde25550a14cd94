import ExomockLimits
import Foundation
import ScenarioLoader
import ScenarioModel
import Testing

/// Which fields each fault kind needs and takes, per service, as located problems (`FILE:LINE:COL: field:
/// message. fix`) from the scenario file and from `POST /faults`'s reader alike.
struct FaultValidationTests {
    static let header = """
        version: 1
        name: t
        clouds: [gcc-high]
        tenants:
          - {id: 8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a, cloud: gcc-high, domains: [contoso.onmicrosoft.us]}
        apps:
          - {name: h, client_id: 11111111-2222-3333-4444-555555555555, tenant: 8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a}
        users:
          - {upn: agent@contoso.onmicrosoft.us, password: x, mailbox: true}
        faults:

        """

    /// The problems of a scenario with this one fault (written on line 11, after `  - `).
    static func problems(_ fault: String) -> [String] {
        ScenarioLoader.problems(yaml: header + "  - " + fault + "\n", fileName: "t.yaml")
    }

    static var scenario: Scenario {
        get throws { try ScenarioLoader.load(yaml: header + "  []\n", fileName: "t.yaml", baseDirectory: nil) }
    }

    @Test(
        "every new kind loads with the fields it needs",
        arguments: [
            "{service: token, kind: truncated_body, match: password}",
            "{service: token, kind: malformed_json, client_id: 11111111-2222-3333-4444-555555555555}",
            #"{service: imap, kind: reply, line: "NO [UNAVAILABLE] Server busy", user: AGENT@contoso.onmicrosoft.us}"#,
            #"{service: imap, kind: reply, line: "* BYE Connection is closed. 13"}"#,
            #"{service: pop3, kind: reply, line: "-ERR [SYS/TEMP] busy", match: RETR}"#,
            #"{service: smtp, kind: reply, line: "451 4.3.2 Temporary server error"}"#,
            "{service: pop3, kind: bye, probability: 0.5}", "{service: imap, kind: throttle, after: 3}",
            "{service: imap, kind: disconnect, match: FETCH, bytes: 300}",
            "{service: token, kind: reset}", "{service: imap, kind: reset, bytes: 10}", "{service: pop3, kind: stall}",
            "{service: smtp, kind: close_after, bytes: 0}", "{service: imap, kind: bandwidth, bytes_per_second: 512}",
            "{service: token, kind: network_latency, seconds: 100ms}", "{service: imap, kind: slow_close, seconds: 2}",
            "{service: pop3, kind: tls_refuse}", "{service: imap, kind: certificate, certificate: wrong_host}",
            "{service: token, kind: latency, seconds: 1, from: 2026-01-01T00:00:00Z, until: 2026-01-02T00:00:00Z}",
        ])
    func validFaults(_ fault: String) {
        #expect(Self.problems(fault) == [], "\(fault)")
    }

    @Test(
        "wrong fields are located problems with a fix",
        arguments: [
            (
                "{service: token, kind: reply, line: x}",
                "t.yaml:11:28: faults[0].kind: `reply` faults apply to the imap, pop3 and smtp services only. Write `service: imap`"
            ),
            (
                "{service: smtp, kind: throttle}",
                "faults[0].kind: `throttle` faults apply to the token, imap and pop3 services only."
            ),
            (
                "{service: imap, kind: reply}",
                "t.yaml:11:5: faults[0].line: a `reply` fault needs the line to answer with. Add `line:`"
            ),
            (
                "{service: imap, kind: close_after}",
                "faults[0].bytes: a `close_after` fault needs the bytes the server writes first."
            ),
            ("{service: imap, kind: bandwidth}", "faults[0].bytes_per_second: a `bandwidth` fault needs the rate"),
            (
                "{service: imap, kind: certificate}",
                "faults[0].certificate: a `certificate` fault needs what is wrong with the certificate."
            ),
            (
                "{service: imap, kind: certificate, certificate: revoked}",
                "t.yaml:11:53: faults[0].certificate: unknown certificate problem 'revoked'. Use one of: expired, wrong_host."
            ),
            (
                "{service: imap, kind: reset, match: FETCH}",
                "t.yaml:11:41: faults[0].match: a `reset` imap fault does not take `match`. Drop `match`: network faults act on whole connections"
            ),
            (
                "{service: token, kind: stall, user: agent@contoso.onmicrosoft.us}",
                "faults[0].user: a `stall` token fault does not take `user`."
            ),
            (
                "{service: token, kind: disconnect, bytes: 10}",
                "faults[0].bytes: a `disconnect` token fault does not take `bytes`. Drop `bytes`, or use `kind: close_after`"
            ),
            (
                "{service: imap, kind: throttle, seconds: 5}",
                "faults[0].seconds: a `throttle` imap fault does not take `seconds`. Drop `seconds`: Exchange's throttling of imap has no Retry-After."
            ),
            (
                "{service: imap, kind: bye, line: x}",
                "faults[0].line: only a `reply` fault takes `line`. Drop `line`; it is for `reply` faults."
            ),
            (
                "{service: imap, kind: bye, bytes_per_second: 5}",
                "faults[0].bytes_per_second: only a `bandwidth` fault takes `bytes_per_second`."
            ),
            (
                "{service: imap, kind: reply, line: hello}",
                "faults[0].line: 'hello' is not an IMAP answer. Start with OK, NO or BAD"
            ),
            (
                "{service: pop3, kind: reply, line: OK fine}",
                "faults[0].line: 'OK fine' is not a POP3 answer. Start with +OK or -ERR"
            ),
            ("{service: smtp, kind: reply, line: 6xx nope}", "faults[0].line: '6xx nope' is not an SMTP reply."),
            (
                #"{service: imap, kind: reply, line: "NO a\r\n* BYE"}"#,
                "faults[0].line: the line contains a line break or NUL."
            ),
            (
                "{service: imap, kind: bye, probability: 0}",
                "faults[0].probability: probability 0.0 is not above 0 and at most 1."
            ),
            (
                "{service: imap, kind: bye, probability: 1.5}",
                "faults[0].probability: probability 1.5 is not above 0 and at most 1."
            ),
            ("{service: imap, kind: bye, probability: half}", "t.yaml:11:45: faults[0].probability: expected a number"),
            (
                "{service: imap, kind: bye, from: 2026-01-02T00:00:00Z, until: 2026-01-01T00:00:00Z}",
                "faults[0].until: `until` is not after `from`."
            ),
            ("{service: imap, kind: bye, from: tomorrow}", "faults[0].from: 'tomorrow' is not an RFC 3339 date-time"),
            (
                "{service: imap, kind: bye, user: nobody@contoso.onmicrosoft.us}",
                "faults[0].user: 'nobody@contoso.onmicrosoft.us' is not a user or mailbox of the scenario."
            ),
            (
                "{service: token, kind: truncated_body, client_id: nope}",
                "faults[0].client_id: 'nope' is not the client id of an app of the scenario."
            ),
            ("{service: imap, kind: bandwidth, bytes_per_second: 0}", "faults[0].bytes_per_second: 0 is out of range."),
        ])
    func invalidFaults(_ fault: String, _ expected: String) {
        let found = Self.problems(fault)
        #expect(found.count == 1 && found[0].contains(expected), "\(fault)\n\(found)")
    }

    @Test("a reply line at Limits.faultReplyLineMaximumBytes loads; one byte more does not")
    func replyLineLimit() {
        let at = "NO " + String(repeating: "x", count: Limits.faultReplyLineMaximumBytes - 3)
        #expect(Self.problems("{service: imap, kind: reply, line: \"\(at)\"}") == [])
        let over = Self.problems("{service: imap, kind: reply, line: \"\(at)x\"}")
        #expect(
            over.count == 1 && over[0].contains("faults[0].line: the line is 511 bytes, longer than 510"), "\(over)")
    }

    @Test("POST /faults's reader gives the same rules, located in the JSON body")
    func jsonBody() throws {
        let scenario = try Self.scenario
        func read(_ json: String) -> [String] {
            switch ScenarioLoader.fault(text: json, name: "body", scenario: scenario) {
            case .success: return []
            case .failure(let error): return error.problems.map(\.description)
            }
        }
        #expect(
            read(#"{"service": "imap", "kind": "reply", "line": "NO busy", "user": "agent@contoso.onmicrosoft.us"}"#)
                == [])
        #expect(
            read(#"{"service": "imap", "kind": "reset", "client_id": "11111111-2222-3333-4444-555555555555"}"#)
                == [
                    "body:1:51: fault.client_id: a `reset` imap fault does not take `client_id`. Drop `client_id`: "
                        + "network faults act on whole connections, before any request or user is known (use `after`, "
                        + "`count`, `probability`)."
                ])
        #expect(
            read(#"{"service": "pop3", "kind": "close_after", "bytes": -1}"#).first?.contains(
                "fault.bytes: -1 is out of range") == true)
        #expect(
            read(#"{"service": "token", "kind": "http_status", "status": 503, "probability": "0.5"}"#).first?.contains(
                "fault.probability: expected a number") == true)
    }

    @Test("Fault's Codable keys are the scenario's snake_case names")
    func codingKeys() throws {
        let fault = Fault(service: .imap, kind: .bandwidth, clientID: "c", retryAfter: 1, bytesPerSecond: 9)
        let json = String(decoding: try JSONEncoder().encode(fault), as: UTF8.self)
        #expect(
            json.contains("\"client_id\":\"c\"") && json.contains("\"bytes_per_second\":9")
                && json.contains("\"retry_after\":1"))
        #expect(
            Set(Fault.Kind.allCases.filter(\.isNetwork).map(\.rawValue)) == [
                "reset", "stall", "close_after", "bandwidth", "network_latency", "slow_close", "tls_refuse",
                "certificate",
            ])
    }
}
