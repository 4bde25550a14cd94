import ExomockLimits
import ExomockTestSupport
import Foundation
import Testing

/// SIGTERM while a slow client holds a connection in each way one can: `exomock serve` still exits 0
/// within `Limits.shutdownSeconds`, whatever the clients are doing (each kind its own test, a real
/// process, raw clients from outside).
@Suite(.serialized)
struct ShutdownTests {
    static let tokenPath = "/contoso.onmicrosoft.us/oauth2/v2.0/token"
    static let form =
        "grant_type=client_credentials&client_id=11111111-2222-3333-4444-555555555555"
        + "&client_secret=quickstart-secret&scope=https%3A%2F%2Foutlook.office365.us%2F.default"

    /// The first bytes of a TLS ClientHello whose record announces 512 bytes: a handshake that never ends.
    static let halfClientHello: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03, 0x5A]

    /// Serves `yaml` (the quickstart when nil), lets `connect` start the slow clients, sends SIGTERM once they
    /// hold their connections, and checks the exit status and time.
    static func sigterm(
        label: String, yaml: String? = nil, _ connect: (ServedExomock) throws -> [Process]
    ) throws {
        let mock = try ServedExomock(scenarioYAML: yaml, label: label)
        let clients = try connect(mock)
        defer { for client in clients where client.isRunning { client.terminate() } }
        usleep(300_000)  // the server has read what the clients sent
        #expect(mock.process.isRunning, "serve died before SIGTERM:\n\(mock.log.suffix(3000))")
        let start = Date()
        mock.process.terminate()
        while mock.process.isRunning, Date().timeIntervalSince(start) < 10 { usleep(10_000) }
        let elapsed = Date().timeIntervalSince(start)
        let status = mock.stop()
        #expect(status == 0, "\(label): exit status \(status); log:\n\(mock.log.suffix(3000))")
        #expect(
            elapsed <= Limits.shutdownSeconds,
            "\(label): SIGTERM took \(String(format: "%.2f", elapsed)) s; log:\n\(mock.log.suffix(3000))")
    }

    static func tokenService(_ mock: ServedExomock, send text: String) throws -> Process {
        let cloud = try mock.cloud()
        let port = try #require(URLComponents(string: cloud.authorityURL)?.port)
        return try SlowClient.start(
            port: port, caFile: mock.ready.caFile, serverName: cloud.authorityHost, send: Array(text.utf8))
    }

    @Test("SIGTERM during partial HTTP headers (token service, TLS): exit 0 within 2 s", .timeLimit(.minutes(2)))
    func partialHeaders() throws {
        try Self.sigterm(label: "sigterm-headers") { mock in
            try (0..<3).map { _ in
                try Self.tokenService(mock, send: "POST \(Self.tokenPath) HTTP/1.1\r\nHost: x\r\nContent-Ty")
            }
        }
    }

    @Test("SIGTERM during a partial request body (token service, TLS): exit 0 within 2 s", .timeLimit(.minutes(2)))
    func partialBody() throws {
        try Self.sigterm(label: "sigterm-body") { mock in
            try (0..<3).map { _ in
                try Self.tokenService(
                    mock,
                    send: "POST \(Self.tokenPath) HTTP/1.1\r\nHost: x\r\n"
                        + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\ngrant_type=cli"
                )
            }
        }
    }

    @Test(
        "SIGTERM during unfinished TLS handshakes (token service, IMAP, POP3): exit 0 within 2 s",
        .timeLimit(.minutes(2)))
    func unfinishedTLSHandshake() throws {
        try Self.sigterm(label: "sigterm-tls") { mock in
            let cloud = try mock.cloud()
            let token = try #require(URLComponents(string: cloud.authorityURL)?.port)
            let ports = [token, try cloud.listener("imap").port, try cloud.listener("pop3").port]
            return try ports.map { try SlowClient.start(port: $0, send: Self.halfClientHello) }
        }
    }

    @Test("SIGTERM during half an IMAP command line (TLS): exit 0 within 2 s", .timeLimit(.minutes(2)))
    func halfAnIMAPLine() throws {
        try Self.sigterm(label: "sigterm-imap") { mock in
            let cloud = try mock.cloud()
            let imap = try cloud.listener("imap")
            return try (0..<3).map { _ in
                try SlowClient.start(
                    port: imap.port, caFile: mock.ready.caFile, serverName: cloud.outlookHost,
                    send: Array("a1 CAPABIL".utf8))
            }
        }
    }

    @Test("SIGTERM during a 60 s latency fault on a token request: exit 0 within 2 s", .timeLimit(.minutes(2)))
    func latencyFaultInProgress() throws {
        let quickstart = try String(
            contentsOf: TestSupport.repositoryRoot.appendingPathComponent("Scenarios/quickstart.yaml"), encoding: .utf8)
        let yaml = quickstart + "\nfaults:\n  - {service: token, kind: latency, seconds: 60s}\n"
        try Self.sigterm(label: "sigterm-latency", yaml: yaml) { mock in
            let client = try Self.tokenService(
                mock,
                send:
                    "POST \(Self.tokenPath) HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    + "Content-Length: \(Self.form.utf8.count)\r\n\r\n\(Self.form)")
            // The request is in the fault's sleep once the journal says so.
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline, !((try? mock.journal()) ?? "").contains("fault.latency") { usleep(100_000) }
            #expect(try mock.journal().contains("fault.latency"), "the latency fault did not fire")
            return [client]
        }
    }
}
