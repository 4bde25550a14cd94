import ExomockTestSupport
import Foundation
import Testing

/// Admin API bodies from outside against a served mock (issue 15): clock advances range-checked where
/// they are parsed, duplicate keys refused, numbers as JSON numbers, a malformed SSO body changing nothing.
@Suite(.serialized)
struct AdminInputServeTests {
    static func call(_ mock: ServedExomock, _ method: String, _ path: String, _ json: String) throws -> (
        status: Int, json: [String: Any]
    ) {
        let answer = try mock.ready.admin.request(
            path, ["-X", method, "-H", "Content-Type: application/json", "--data-binary", json])
        let object = (try? JSONSerialization.jsonObject(with: Data(answer.body.utf8))) as? [String: Any] ?? [:]
        return (answer.status, object)
    }

    static func healthy(_ mock: ServedExomock) throws -> Bool {
        guard mock.process.isRunning else { return false }
        return try mock.ready.admin.request("/health").status == 200
    }

    /// Before: `{"by": "1e308d"}` (and `inf`) reached `Int(seconds)` and terminated the process.
    @Test func clockAdvancesFromOutsideAreRangeChecked() throws {
        let mock = try ServedExomock(label: "admin-clock-limits")
        defer { mock.stop() }
        for by in [
            "1e308", "1e308d", "inf", "infinity", "1e400", "nan", "36501d", String(repeating: "9", count: 400) + "d",
        ] {
            let answer = try Self.call(mock, "POST", "/clock/advance", #"{"by": "\#(by)"}"#)
            #expect(answer.status == 400, "\(by.prefix(20)): \(answer)")
            #expect(answer.json["error"] is String && answer.json["fix"] is String, "\(answer.json)")
            #expect(try Self.healthy(mock), "exomock died on \(by.prefix(20))")
        }
        // 100 years at a time until 9999: then a located refusal, the clock where it was.
        var last = ""
        for _ in 0..<80 {
            let answer = try Self.call(mock, "POST", "/clock/advance", #"{"by": "36500d"}"#)
            guard answer.status == 200 else {
                #expect(answer.status == 400 && (answer.json["error"] as? String)?.contains("9999-12-31") == true)
                break
            }
            last = answer.json["now"] as? String ?? ""
        }
        #expect(last.hasPrefix("99"), "\(last)")
        let clock = try JSONSerialization.jsonObject(with: Data(mock.ready.admin.curl("/clock").output.utf8))
        #expect((clock as? [String: Any])?["now"] as? String == last)
        #expect(try Self.healthy(mock))
    }

    @Test func duplicateKeysAndNumbers() throws {
        let mock = try ServedExomock(label: "admin-json-strict")
        defer { mock.stop() }
        let duplicate = try Self.call(mock, "POST", "/clock/advance", #"{"by": "1d", "by": "900d"}"#)
        #expect(
            duplicate.status == 400 && duplicate.json["error"] as? String == "the key 'by' is written more than once")
        let change = try Self.call(
            mock, "POST", "/changes", #"{"kind": "sign_out", "kind": "withdraw_consent", "app": "x"}"#)
        #expect(change.status == 400 && change.json["error"] as? String == "the key 'kind' is written more than once")
        let sso = try Self.call(
            mock, "PUT", "/gcc-high/sso", #"{"users": [], "users": ["admin@contoso.onmicrosoft.us"]}"#)
        #expect(sso.status == 400 && sso.json["error"] as? String == "the key 'users' is written more than once")

        // Numbers are JSON numbers.
        let advanced = try Self.call(mock, "POST", "/clock/advance", #"{"by": "91d"}"#)
        #expect(advanced.status == 200 && (advanced.json["advanced_seconds"] as? NSNumber)?.intValue == 91 * 86_400)
        #expect(!(advanced.json["advanced_seconds"] is String))
        let delivered = try mock.ready.admin.request(
            "/mailboxes/helpdesk@contoso.onmicrosoft.us/messages",
            ["-X", "POST", "-H", "Content-Type: message/rfc822", "--data-binary", "Subject: n\r\n\r\nbody\r\n"])
        let object = try JSONSerialization.jsonObject(with: Data(delivered.body.utf8)) as? [String: Any]
        #expect(delivered.status == 201 && object?["uid"] is NSNumber && !(object?["uid"] is String), "\(delivered)")
    }

    /// Before: a body that did not parse, or `users` of another type, signed everyone out.
    @Test func malformedSSOBodiesLeaveTheSessionAlone() throws {
        let mock = try ServedExomock(label: "admin-sso-malformed")
        defer { mock.stop() }
        let admin = "admin@contoso.onmicrosoft.us"
        let set = try Self.call(mock, "PUT", "/gcc-high/sso", #"{"users": ["\#(admin)"]}"#)
        #expect(set.status == 200, "\(set)")
        for body in [#"{"users": ["#, #"{"users": 5}"#, #"{"users": [1, 2]}"#, #"{"user": {"upn": "x"}}"#, "{}", "[]"] {
            let answer = try Self.call(mock, "PUT", "/gcc-high/sso", body)
            #expect(answer.status == 400, "\(body): \(answer)")
            #expect(answer.json["error"] is String && answer.json["fix"] is String, "\(body): \(answer.json)")
            let now = try JSONSerialization.jsonObject(with: Data(mock.ready.admin.curl("/gcc-high/sso").output.utf8))
            #expect((now as? [String: Any])?["users"] as? [String] == [admin], "\(body) emptied the session: \(now)")
        }
        // Signing out stays possible, explicitly.
        let cleared = try Self.call(mock, "PUT", "/gcc-high/sso", #"{"users": []}"#)
        #expect(cleared.status == 200 && cleared.json["users"] as? [String] == [], "\(cleared)")
    }

    /// Before: `/clock/advance` ignored an unknown key (200, the clock moved) while `/changes` refused one, and
    /// a 100,000-character `by` came back whole in the error. Every admin JSON body names its keys
    /// (`StrictJSON.problem(in:keys:)`), and errors quote at most `QuotedInput.maximumShown` characters.
    @Test func unknownKeysAreRefusedAndInputIsNotEchoed() throws {
        let mock = try ServedExomock(label: "admin-json-keys")
        defer { mock.stop() }
        let before = try mock.ready.admin.curl("/clock").output
        let advance = try Self.call(mock, "POST", "/clock/advance", #"{"by": "1d", "x": 1}"#)
        #expect(advance.status == 400 && advance.json["error"] as? String == "unknown key 'x'", "\(advance)")
        #expect(advance.json["fix"] as? String == "Use only these keys: by.")
        #expect(try mock.ready.admin.curl("/clock").output == before)
        for (method, path, body) in [
            ("POST", "/changes", #"{"kind": "sign_out", "x": "1"}"#),
            ("PUT", "/gcc-high/sso", #"{"users": [], "x": "1"}"#),
            ("POST", "/gcc-high/revoke-sessions", #"{"user": "admin@contoso.onmicrosoft.us", "x": "1"}"#),
        ] {
            let answer = try Self.call(mock, method, path, body)
            #expect(answer.status == 400 && answer.json["error"] as? String == "unknown key 'x'", "\(path): \(answer)")
        }
        let long = String(repeating: "9", count: 100_000) + "x"
        let echoed = try Self.call(mock, "POST", "/clock/advance", #"{"by": "\#(long)"}"#)
        let error = try #require(echoed.json["error"] as? String, "\(echoed)")
        #expect(echoed.status == 400 && error.count < 100, "\(error.prefix(200))")
        #expect(error == "'\(String(repeating: "9", count: 37))...' is not a positive duration")
        let user = try Self.call(mock, "PUT", "/gcc-high/sso", #"{"users": ["\#(long)"]}"#)
        #expect(user.status == 400 && (user.json["error"] as? String)?.count ?? .max < 100, "\(user.status)")
        #expect(try Self.healthy(mock))
    }
}
