import Exomock
import ExomockTestSupport
import Foundation
import MicrosoftClouds
import ScenarioModel
import Testing

/// The timed network faults (bandwidth, network_latency, slow_close) measured by a Python socket client, with
/// bounds that hold on a slow machine (pacing only ever makes things later), and the TLS handshake limit
/// crossed on every TLS listener, the token service's included.
@Suite(.serialized)
struct NetworkTimingTests {
    typealias Live = NetworkFaultClientTests.Live

    /// A POP3 client on the STLS listener (plaintext, so the bytes are the protocol's): the greeting, then
    /// `commands` CAPA round trips, then QUIT; prints bytes read, and seconds from connect to the greeting,
    /// to the end of the first CAPA answer, to the end of all of them, to QUIT's answer, and to the close.
    static let popTimings = """
        import socket, sys, time
        s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30)
        start = time.monotonic()
        data = b""
        def until(marker, count=1):
            global data
            while data.count(marker) < count:
                chunk = s.recv(4096)
                if not chunk:
                    raise SystemExit("EOF after %d bytes" % len(data))
                data += chunk
            return time.monotonic() - start
        greeting = until(b"\\r\\n")
        commands = int(sys.argv[3])
        capa = []
        for i in range(commands):
            sent = time.monotonic() - start
            s.sendall(b"CAPA\\r\\n")
            capa.append(until(b"\\r\\n.\\r\\n", i + 1) - sent)
        done = time.monotonic() - start
        size = len(data)
        s.sendall(b"QUIT\\r\\n")
        sent = time.monotonic() - start
        quit = until(b"\\r\\n", data.count(b"\\r\\n") + 1) - sent
        answered = time.monotonic() - start
        while s.recv(4096):
            pass
        closed = time.monotonic() - start
        print(size, round(greeting, 3), round(capa[0], 3), round(done, 3), round(quit, 3), round(closed - answered, 3))
        """

    static func popTimings(_ live: Live, commands: Int) async throws -> [Double] {
        let l = try live.listener(.pop3, .starttls)
        let result = try await live.python(popTimings, [l.host, String(l.port), String(commands)])
        let numbers = result.output.split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
        guard numbers.count == 6 else { throw TestFailure("the POP3 client printed \(result)") }
        return numbers
    }

    @Test("bandwidth: a POP3 client reads at most 400 bytes per second (bytes over time, generous bounds)")
    func bandwidthCapsTheRate() async throws {
        try await NetworkFaultClientTests.serve { live in
            var fault = NetworkFaultClientTests.fault(.pop3, .bandwidth)
            fault.bytesPerSecond = 400
            live.board.add(fault)
            let t = try await Self.popTimings(live, commands: 20)
            let (bytes, seconds) = (t[0], t[3])
            // 20 bytes leave every 50 ms, the first at once (and possibly before the client's clock started).
            #expect(bytes <= 400 * seconds + 60, "\(Int(bytes)) bytes in \(seconds) s is over 400 bytes per second")
            #expect(bytes / seconds >= 80, "\(Int(bytes)) bytes in \(seconds) s: pacing far below the rate")
            #expect(bytes > 800, "enough bytes to measure: \(bytes)")
        }
    }

    @Test("network_latency: the greeting comes 0.3 s late and a CAPA round trip takes 0.6 s more")
    func latencyDelaysReadsAndWrites() async throws {
        try await NetworkFaultClientTests.serve { live in
            var fault = NetworkFaultClientTests.fault(.pop3, .networkLatency)
            fault.seconds = 0.3
            live.board.add(fault)
            let t = try await Self.popTimings(live, commands: 1)
            #expect(t[1] >= 0.25 && t[1] < 10, "greeting after \(t[1]) s")
            #expect(
                t[2] >= 0.55 && t[2] < 10, "CAPA round trip \(t[2]) s: the command read and the answer written late")
        }
    }

    @Test("slow_close: QUIT is answered at once, the FIN comes 1 s later")
    func slowCloseDelaysTheFIN() async throws {
        try await NetworkFaultClientTests.serve { live in
            var fault = NetworkFaultClientTests.fault(.pop3, .slowClose)
            fault.seconds = 1
            live.board.add(fault)
            let t = try await Self.popTimings(live, commands: 1)
            #expect(t[4] < 0.9, "QUIT answered in \(t[4]) s")
            #expect(t[5] >= 0.9 && t[5] < 10, "closed \(t[5]) s after the answer")
        }
    }

    @Test("TLS handshake limit: a client that never finishes the handshake is closed on every TLS listener")
    func handshakeLimitCrossed() async throws {
        try await NetworkFaultClientTests.serve(handshakeSeconds: 1) { live in
            let token = try #require(URL(string: live.mock.ready.clouds[0].authorityURL))
            let imaps = try live.listener(.imap)
            let pop3s = try live.listener(.pop3)
            let imap = try live.listener(.imap, .starttls)
            let pop3 = try live.listener(.pop3, .starttls)
            // Each target: host, port, and what to say before TLS (nothing, or the STARTTLS/STLS exchange).
            let targets = [
                "\(token.host!) \(token.port!) none", "\(imaps.host) \(imaps.port) none",
                "\(pop3s.host) \(pop3s.port) none", "\(imap.host) \(imap.port) imap", "\(pop3.host) \(pop3.port) pop3",
            ]
            let result = try await live.python(
                """
                import socket, sys, time
                for target in sys.argv[1:]:
                    host, port, upgrade = target.split()
                    s = socket.create_connection((host, int(port)), timeout=20)
                    if upgrade != "none":
                        data = b""
                        while not data.endswith(b"\\r\\n"):
                            data += s.recv(1024)
                        s.sendall(b"a STARTTLS\\r\\n" if upgrade == "imap" else b"STLS\\r\\n")
                        data = b""
                        while not data.endswith(b"\\r\\n"):
                            data += s.recv(1024)
                    start = time.monotonic()
                    try:
                        rest = s.recv(1024)
                    except ConnectionResetError:
                        rest = b""
                    print(upgrade, len(rest), round(time.monotonic() - start, 1))
                """, targets)
            let lines = result.output.split(separator: "\n")
            #expect(lines.count == 5, "\(result)")
            for line in lines {
                let fields = line.split(separator: " ")
                let seconds = Double(fields.last ?? "") ?? -1
                #expect(fields.count == 3 && fields[1] == "0", "closed without a byte: \(line)")
                #expect(seconds >= 0.8 && seconds < 10, "closed at the 1 s limit: \(line)")
            }
            let closed = live.mock.journal.events().filter {
                $0.event == .connectionError && ($0.detail["reason"] ?? "").hasPrefix("TLS handshake not completed")
            }
            #expect(closed.count == 5, "five connections journaled: \(closed)")
        }
    }
}
