import ExomockTestSupport
import Foundation
import NIOCore
import ScenarioModel
import Testing

/// A client that pipelines `count` × `RETR 1` in one write after logging in, writes `marker`, reads
/// nothing until `go` exists, then reads every answer; prints the login line, the answers and bytes read.
private let pipelinedRETRScript = #"""
    import base64, json, os, socket, ssl, sys, time
    host, port, cafile, user, token, count, marker, go = sys.argv[1:9]
    count = int(count)
    ctx = ssl.create_default_context(cafile=cafile)
    s = ctx.wrap_socket(socket.create_connection((host, int(port)), timeout=60), server_hostname=host)
    def line():
        b = b""
        while not b.endswith(b"\r\n"):
            b += s.recv(1)
        return b.decode().strip()
    line()
    ir = base64.b64encode(("user=%s\x01auth=Bearer %s\x01\x01" % (user, token)).encode()).decode()
    s.sendall(("AUTH XOAUTH2 " + ir + "\r\n").encode())
    login = line()
    s.sendall(b"RETR 1\r\n" * count)
    open(marker, "w").write("sent")
    while not os.path.exists(go):
        time.sleep(0.02)
    answers, total, tail = 0, 0, b""
    while answers < count:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        total += len(chunk)
        data = tail + chunk
        answers += data.count(b"\r\n.\r\n")
        tail = data[-4:]
    print(json.dumps({"login": login, "answers": answers, "bytes": total}))
    """#

@Suite(.serialized) struct POP3ShellLiveTests {
    /// Issue 15: RETR of a large message pipelined many times by a client that reads nothing grew the
    /// server past 4 GiB. Now each connection holds about one output chunk beyond what the sockets take:
    /// measured as the bytes queued in the server channel's outbound buffer while the client is not reading.
    @Test func pipelinedRETRsOfALargeMessageKeepTheServersOutputFlat() async throws {
        let line = String(repeating: "x", count: 98) + "\r\n"
        let big = "From: a@example.com\r\nSubject: big\r\n\r\n" + String(repeating: line, count: 10_240)
        let count = 200
        try await withLive(timeout: 150, messages: [big]) { live in
            let directory = try TestSupport.temporaryDirectory("pop3-flat")
            let marker = directory.appendingPathComponent("sent").path
            let go = directory.appendingPathComponent("go").path
            let client = Task {
                try await runClient(
                    "python3",
                    [
                        "-c", pipelinedRETRScript, "localhost", String(live.implicit.port),
                        live.certificate.certificatePath, testMailbox, "good-token", String(count), marker, go,
                    ],
                    package: "python3", timeout: 120)
            }
            guard TestSupport.waitForFile(marker, timeout: 30) else {
                _ = FileManager.default.createFile(atPath: go, contents: nil)
                throw TestFailure("the pipelining client did not log in and send: \(try await client.value)")
            }
            var most = 0
            for _ in 0..<30 {
                for channel in live.server.openChannels {
                    most = max(most, try await channel.getOption(.bufferedWritableBytes).get())
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            _ = FileManager.default.createFile(atPath: go, contents: nil)
            let result = try await client.value
            let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
            #expect(object?["login"] as? String == "+OK User successfully authenticated.", "\(result.error)")
            #expect(object?["answers"] as? Int == count, "every pipelined RETR is answered once the client reads")
            #expect((object?["bytes"] as? Int ?? 0) >= count * big.utf8.count)
            print("POP3 \(count) pipelined RETRs of \(big.utf8.count) bytes: at most \(most) bytes queued")
            #expect(most < 2 * 1024 * 1024, "queued output stays about one chunk, not \(count) messages")
        }
    }

    /// Python poplib sees a `reply` fault's line as its error (`poplib.error_proto`), and the session goes on.
    @Test func poplibSeesTheReplyFaultsLineAsItsError() async throws {
        let faults = [
            Fault(service: .pop3, kind: .reply, match: "STAT", count: 1, line: "-ERR Server busy, try later.")
        ]
        try await withLive(timeout: 60, faults: faults) { live in
            let result = try await runClient(
                "python3",
                [
                    "-c", poplibScript, "pop3s", "localhost", String(live.implicit.port),
                    live.certificate.certificatePath, testMailbox, "good-token", "auth1,stat,stat,quit",
                ],
                package: "python3")
            let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
            let steps = (object?["steps"] as? [[Any]] ?? []).map { "\($0[0])=\($0[1])" }
            #expect(steps.count == 4, "\(result.output) \(result.error)")
            #expect(steps.dropFirst().first == "stat=ERROR -ERR Server busy, try later.")
            #expect(steps.dropFirst(2).first?.hasPrefix("stat=[3, ") == true, "count: 1: the next STAT is answered")
        }
    }

    /// Python poplib against Exchange's abrupt close (`bye`) at STAT, a `throttle` fault at login, and a RETR
    /// cut in the middle of the message (`disconnect` with `bytes`): poplib's `error_proto` in each case.
    @Test(
        arguments: [
            (
                Fault(service: .pop3, kind: .bye, match: "STAT"), "auth1,stat",
                "stat=ERROR -ERR Connection is closed. 13"
            ),
            (Fault(service: .pop3, kind: .throttle, match: "AUTH"), "auth1,stat", "auth1=ERROR -ERR"),
            (
                Fault(service: .pop3, kind: .disconnect, match: "RETR", bytes: 40), "auth1,retr1",
                "retr1=ERROR -ERR EOF"
            ),
        ])
    func poplibSeesByeThrottleAndACutRETR(fault: Fault, actions: String, expected: String) async throws {
        try await withLive(timeout: 60, faults: [fault]) { live in
            let result = try await runClient(
                "python3",
                [
                    "-c", poplibScript, "pop3s", "localhost", String(live.implicit.port),
                    live.certificate.certificatePath, testMailbox, "good-token", actions,
                ],
                package: "python3")
            let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
            let steps = (object?["steps"] as? [[Any]] ?? []).map { "\($0[0])=\($0[1])" }
            #expect(steps.contains { $0.hasPrefix(expected) }, "\(steps) \(result.error)")
        }
    }
}
