import ExomockLimits
import ExomockTestSupport
import Foundation
import Synchronization
import Testing

/// The HTTP limits of the token service (over TLS) and the admin API, crossed from outside by a raw
/// client against `exomock serve`: a huge `Content-Length` is answered `413` at once, a body past
/// `Limits.httpMaximumBodySize` `413`, a body or header that stops arriving is cut off after
/// `Limits.httpBodyReadTimeoutSeconds` (`408`) or `Limits.httpHeaderReadTimeoutSeconds` (closed), a request
/// without `Host` gets `400`, and the server stays healthy.
@Suite(.serialized)
struct HTTPLimitsTests {
    static let tokenPath = "/contoso.onmicrosoft.us/oauth2/v2.0/token"

    /// The status code of the first response line, or nil.
    static func status(_ result: SlowClient.Result) -> Int? {
        let line = result.text.split(separator: "\r\n").first ?? ""
        let parts = line.split(separator: " ")
        return parts.count > 1 && parts[0].hasPrefix("HTTP/1.") ? Int(parts[1]) : nil
    }

    @Test(
        "huge Content-Length, oversized and stalled bodies, a header that never ends, no Host", .timeLimit(.minutes(2)))
    func limitsAreCrossed() throws {
        let mock = try ServedExomock(label: "http-limits")
        let cloud = try mock.cloud()
        let tokenPort = try #require(URLComponents(string: cloud.authorityURL)?.port)
        let adminPort = try #require(URLComponents(string: mock.ready.adminURL)?.port)
        let maximum = Limits.httpMaximumBodySize
        let auth = mock.admin.authorization
        let form = "Content-Type: application/x-www-form-urlencoded"

        struct Case: Sendable {
            var name: String
            var admin: Bool
            var bytes: [UInt8]
            var wait: Double
        }
        let cases: [Case] = [
            Case(
                name: "token: Content-Length of 1 TB", admin: false,
                bytes: Array(
                    "POST \(Self.tokenPath) HTTP/1.1\r\nHost: x\r\n\(form)\r\nContent-Length: 1000000000000\r\n\r\ngrant"
                        .utf8),
                wait: 20),
            Case(
                name: "admin: Content-Length of 1 TB", admin: true,
                bytes: Array(
                    "POST /changes HTTP/1.1\r\nHost: 127.0.0.1\r\n\(auth)\r\nContent-Length: 1000000000000\r\n\r\n{"
                        .utf8),
                wait: 20),
            Case(
                name: "token: a chunk of 1 TB that never comes", admin: false,
                bytes: Array(
                    "POST \(Self.tokenPath) HTTP/1.1\r\nHost: x\r\n\(form)\r\nTransfer-Encoding: chunked\r\n\r\nffffffffff\r\nabc"
                        .utf8),
                wait: 30),
            Case(
                name: "admin: a chunked body past the limit", admin: true,
                bytes: Array(
                    "POST /changes HTTP/1.1\r\nHost: 127.0.0.1\r\n\(auth)\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
                    + Array(String(format: "%x\r\n", maximum + 1).utf8) + [UInt8](repeating: 0x61, count: maximum + 1)
                    + Array("\r\n0\r\n\r\n".utf8),
                wait: 20),
            Case(
                name: "admin: a body of exactly the limit is read (and refused as bad JSON, not as too large)",
                admin: true,
                bytes: Array(
                    "POST /clock/advance HTTP/1.1\r\nHost: 127.0.0.1\r\n\(auth)\r\nContent-Type: application/json\r\nContent-Length: \(maximum)\r\n\r\n"
                        .utf8)
                    + [UInt8](repeating: 0x20, count: maximum),
                wait: 20),
            Case(
                name: "admin: 10 of 100 body bytes, then nothing", admin: true,
                bytes: Array(
                    "POST /changes HTTP/1.1\r\nHost: 127.0.0.1\r\n\(auth)\r\nContent-Length: 100\r\n\r\n{\"kind\": \""
                        .utf8),
                wait: 30),
            Case(
                name: "token: half a header, then nothing", admin: false,
                bytes: Array("POST \(Self.tokenPath) HTTP/1.1\r\nHost: x\r\nContent-Ty".utf8), wait: 30),
            Case(
                name: "token: HTTP/1.1 without Host", admin: false,
                bytes: Array("GET /common/discovery/keys HTTP/1.1\r\n\r\n".utf8), wait: 20),
            Case(
                name: "admin: HTTP/1.1 without Host", admin: true,
                bytes: Array("GET /health HTTP/1.1\r\n\(auth)\r\n\r\n".utf8), wait: 20),
        ]
        // In parallel: three of them wait out a 10 s timeout.
        let results = Mutex<[Int: SlowClient.Result]>([:])
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: cases.count) { index in
            let c = cases[index]
            do {
                let result = try SlowClient.exchange(
                    port: c.admin ? adminPort : tokenPort, caFile: c.admin ? nil : mock.ready.caFile,
                    serverName: cloud.authorityHost, send: c.bytes, wait: c.wait)
                results.withLock { $0[index] = result }
            } catch {
                failures.withLock { $0.append("\(c.name): \(error)") }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
        let r = results.withLock { $0 }
        func check(_ index: Int, status: Int?, within: ClosedRange<Double>) {
            guard let result = r[index] else { return }
            let name = cases[index].name
            #expect(Self.status(result) == status, "\(name): \(result.text.prefix(400))")
            #expect(!result.timedOut, "\(name): the connection stayed open")
            #expect(within.contains(result.closed), "\(name): closed after \(result.closed) s")
        }
        let header = Limits.httpHeaderReadTimeoutSeconds
        let body = Limits.httpBodyReadTimeoutSeconds
        check(0, status: 413, within: 0...3)
        check(1, status: 413, within: 0...3)
        check(2, status: 408, within: (body - 1)...(body + 4))
        check(3, status: 413, within: 0...body)
        if let exact = r[4] {
            #expect(Self.status(exact) == 400, "a body at the limit: \(exact.text.prefix(400))")
        }
        check(5, status: 408, within: (body - 1)...(body + 4))
        check(6, status: nil, within: (header - 1)...(header + 4))
        check(7, status: 400, within: 0...3)
        check(8, status: 400, within: 0...3)
        if let refused = r[1] { #expect(refused.text.contains("\"fix\""), "\(refused.text)") }
        if let noHost = r[7] { #expect(noHost.text.contains("Host"), "\(noHost.text)") }

        #expect(try mock.admin.curl("/health").output.contains("\"ok\""), "the admin API is still up")
        let token = try mock.clientCredentialsToken(
            tenant: "contoso.onmicrosoft.us", clientID: "11111111-2222-3333-4444-555555555555",
            secret: "quickstart-secret")
        #expect(!token.isEmpty, "the token service is still up")
        #expect(mock.stop() == 0)
    }
}
