import ExomockTestSupport
import Foundation
import Testing

@testable import AdminAPI

/// The admin API answers only the scripts and tests that started exomock: this run's token from the ready
/// file, a loopback `Host`, no browser `Origin`, no `text/plain` body; and `GET /scenario` hides secrets.
/// Against a real `exomock serve` with curl, as an attacker's page or a careless script would reach it.
@Suite(.serialized)
struct AdminProtectionTests {
    /// Status, JSON object and headers of a curl request to the admin API.
    static func call(_ mock: ServedExomock, _ path: String, _ arguments: [String]) throws -> (
        status: Int, json: [String: Any], headers: String
    ) {
        let result = try ServedExomock.curl(
            ["-D", "-", "-w", "\n%{http_code}"] + arguments + [mock.ready.adminURL + path])
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.last ?? "") ?? 0
        let text = lines.dropLast().joined(separator: "\n")
        let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? text
        let json = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        return (status, json, text)
    }

    @Test("no token, a wrong token, a foreign Host, a browser Origin, a text/plain POST: refused with error and fix")
    func refusals() throws {
        let mock = try ServedExomock(label: "admin-protection")
        let token = mock.ready.adminToken
        #expect(token.count == 64 && token.allSatisfy(\.isHexDigit), "admin_token: \(token)")

        let bare = try Self.call(mock, "/health", [])
        #expect(bare.status == 401, "\(bare)")
        #expect(bare.headers.lowercased().contains("www-authenticate: bearer"), "\(bare.headers)")
        #expect((bare.json["fix"] as? String)?.contains("admin_token") == true, "\(bare.json)")
        // Unknown paths too: a page learns nothing about what exists.
        #expect(try Self.call(mock, "/nothing-here", []).status == 401)
        let wrong = try Self.call(mock, "/health", ["-H", "Authorization: Bearer " + String(token.reversed())])
        #expect(wrong.status == 401, "\(wrong)")
        #expect(try Self.call(mock, "/health", ["-H", "Authorization: Basic \(token)"]).status == 401)

        let authorized = mock.admin.curlHeader
        #expect(try Self.call(mock, "/health", authorized).status == 200)
        let port = try #require(URLComponents(string: mock.ready.adminURL)?.port)
        #expect(try Self.call(mock, "/health", authorized + ["-H", "Host: localhost:\(port)"]).status == 200)

        // DNS rebinding: the page's own host name reaches 127.0.0.1.
        let rebound = try Self.call(mock, "/health", authorized + ["-H", "Host: attacker.example:\(port)"])
        #expect(rebound.status == 403, "\(rebound)")
        #expect((rebound.json["error"] as? String)?.contains("attacker.example") == true, "\(rebound.json)")
        #expect(rebound.json["fix"] is String)

        // A page's cross-origin request, even one that somehow had the token.
        let browser = try Self.call(mock, "/clock", authorized + ["-H", "Origin: http://attacker.example"])
        #expect(browser.status == 403, "\(browser)")
        #expect(browser.json["fix"] is String)

        // The simple POST a page can send without a preflight.
        let before = try mock.admin.curl("/clock").output
        let plain = try Self.call(
            mock, "/clock/advance",
            authorized + ["-X", "POST", "-H", "Content-Type: text/plain", "-d", #"{"by": "91d"}"#])
        #expect(plain.status == 415, "\(plain)")
        #expect((plain.json["fix"] as? String)?.contains("application/json") == true, "\(plain.json)")
        #expect(try mock.admin.curl("/clock").output == before, "a refused POST moved the clock")
        let json = try Self.call(
            mock, "/clock/advance",
            authorized + ["-X", "POST", "-H", "Content-Type: application/json", "-d", #"{"by": "1d"}"#])
        #expect(json.status == 200, "\(json)")

        // The ready file is its owner's alone, and the token reaches no log line.
        let mode = try FileManager.default.attributesOfItem(atPath: mock.readyFile)[.posixPermissions] as? Int
        #expect(mode == 0o600, "ready file mode \(String(mode ?? 0, radix: 8))")
        #expect(mock.stop() == 0)
        #expect(!mock.log.contains(token), "the admin token appears in serve's output")
    }

    @Test("GET /scenario redacts client secrets and passwords; ?secrets=true shows them")
    func scenarioSecrets() throws {
        let mock = try ServedExomock(label: "admin-secrets")
        let redacted = try mock.admin.curl("/scenario").output
        #expect(redacted.contains("\"[redacted]\""), "\(redacted.prefix(2000))")
        #expect(!redacted.contains("quickstart-secret"), "a client secret is shown: \(redacted.prefix(3000))")
        #expect(!redacted.contains("Quickstart-Pa55"), "a password is shown: \(redacted.prefix(3000))")
        #expect(redacted.contains("helpdesk@contoso.onmicrosoft.us"), "the rest of the scenario is shown")
        let shown = try mock.admin.curl("/scenario?secrets=true").output
        #expect(shown.contains("quickstart-secret") && shown.contains("Quickstart-Pa55"), "\(shown.prefix(3000))")
        #expect(mock.stop() == 0)
    }

    @Test("the token: 64 hex digits, new each time, hidden from description; Bearer compared exactly")
    func token() {
        let a = AdminToken.random()
        let b = AdminToken.random()
        #expect(a != b)
        #expect(a.value.count == 64)
        #expect(!"\(a)".contains(a.value))
        #expect(a.isCarried(by: "Bearer \(a.value)"))
        #expect(a.isCarried(by: "bearer \(a.value)"))
        #expect(!a.isCarried(by: "Bearer \(b.value)"))
        #expect(!a.isCarried(by: "Bearer \(a.value.dropLast())"))
        #expect(!a.isCarried(by: a.value))
        #expect(!a.isCarried(by: nil))
    }

    @Test("redaction works by key name on any JSON: secrets, passwords, tokens, private keys; the rest stays")
    func redaction() throws {
        let input = #"""
            {"apps": [{"secrets": [{"value": "s3cret", "expires": "2026-01-01T00:00:00Z"}], "name": "app",
             "certificates": [{"pem": "-----BEGIN CERTIFICATE-----x", "file": "a.pem"}]}],
             "users": [{"upn": "a@b", "password": "P4ss"}], "imapEnabled": false, "count": 3,
             "flow": [{"token": {"client_secret": "x1", "password": "x2"}}, {"imap": {"token": "eyJ"}}],
             "key": "-----BEGIN PRIVATE KEY-----abc"}
            """#
        let output = String(decoding: ScenarioRedaction.redact(Data(input.utf8)), as: UTF8.self)
        for secret in ["s3cret", "P4ss", "x1", "x2", "eyJ", "PRIVATE KEY"] {
            #expect(!output.contains(secret), "\(secret) is shown: \(output)")
        }
        for kept in ["2026-01-01T00:00:00Z", "BEGIN CERTIFICATE", "a.pem", "a@b", "\"app\"", "false", "3"] {
            #expect(output.contains(kept), "\(kept) is gone: \(output)")
        }
    }
}
