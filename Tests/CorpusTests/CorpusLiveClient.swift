import ExomockTestSupport
import Foundation

/// Plays corpus cases against a served exomock from outside (Python's `socket` and `ssl`, no code of
/// ours): for each case a connection (implicit TLS for IMAP and POP3, STARTTLS after EHLO for SMTP), the
/// greeting, the case's bytes, then a probe (`NOOP`) twice at most; it reports every reply line, whether
/// a probe was answered (the connection stayed usable), whether the server closed, and whether a new
/// connection then gets a greeting and an answer to `NOOP` (the server stayed healthy).
enum CorpusLiveClient {
    struct Result: Decodable, Sendable {
        var name: String
        var lines: [String]
        var usable: Bool
        var closed: Bool
        var healthy: Bool
    }

    static let script = #"""
        import json, socket, ssl, sys, time
        protocol, host, port, ca = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
        cases = json.load(sys.stdin)
        context = ssl.create_default_context(cafile=ca)
        context.check_hostname = False
        # Probes whose answers no case line gets: a tagged NOOP, the end of CAPA's list, VRFY's 252.
        PROBE = {"imap": b"zz9 NOOP\r\n", "pop3": b"CAPA\r\n", "smtp": b"VRFY corpus-probe\r\n"}[protocol]

        def answered(line):
            if protocol == "imap":
                return line.startswith("zz9 OK")
            if protocol == "pop3":
                return line == ".\r\n"
            return line.startswith("252 ")

        def connect():
            sock = socket.create_connection((host, port), timeout=10)
            if protocol == "smtp":
                f = sock.makefile("rb")
                f.readline()
                sock.sendall(b"EHLO corpus.example\r\n")
                while True:
                    line = f.readline()
                    if not line or line[3:4] == b" ":
                        break
                sock.sendall(b"STARTTLS\r\n")
                f.readline()
            sock = context.wrap_socket(sock, server_hostname="localhost")
            reader = Reader(sock)
            greeting = reader.line(10) if protocol != "smtp" else "220 (after STARTTLS)"
            if protocol == "smtp":
                sock.sendall(b"EHLO corpus.example\r\n")
                while True:
                    line = reader.line(10)
                    if line is None or line[3:4] == " ":
                        break
            return sock, reader, greeting

        class Reader:
            def __init__(self, sock):
                self.sock, self.buffer, self.closed = sock, b"", False
            def line(self, wait):
                end = time.monotonic() + wait
                while b"\n" not in self.buffer:
                    if self.closed:
                        return None
                    left = end - time.monotonic()
                    if left <= 0:
                        return None
                    self.sock.settimeout(left)
                    try:
                        chunk = self.sock.recv(65536)
                    except socket.timeout:
                        return None
                    except (ConnectionResetError, ssl.SSLError, OSError):
                        chunk = b""
                    if not chunk:
                        self.closed = True
                    self.buffer += chunk
                line, _, self.buffer = self.buffer.partition(b"\n")
                return (line + b"\n").decode("latin-1")

        def healthy():
            try:
                sock, reader, greeting = connect()
                sock.sendall(PROBE)
                for _ in range(5):
                    line = reader.line(10)
                    if line is None:
                        return False
                    if answered(line):
                        sock.close()
                        return True
                return False
            except Exception:
                return False

        for case in cases:
            sock, reader, _ = connect()
            lines, usable = [], False
            try:
                sock.sendall(bytes.fromhex(case["hex"]))
                for probe in range(2):
                    if reader.closed:
                        break
                    try:
                        sock.sendall(b"\r\n" + PROBE if probe else PROBE)
                    except OSError:
                        reader.closed = True
                        break
                    end = time.monotonic() + 4
                    while time.monotonic() < end:
                        line = reader.line(end - time.monotonic())
                        if line is None:
                            break
                        lines.append(line)
                        if answered(line):
                            usable = True
                            break
                    if usable:
                        break
            except OSError:
                reader.closed = True
            if not usable and not reader.closed:
                reader.line(0.5)
            closed = reader.closed
            sock.close()
            print(json.dumps({"name": case["name"], "lines": lines[:40], "usable": usable, "closed": closed,
                              "healthy": True if usable else healthy()}), flush=True)
        """#

    /// Plays `cases` against `protocolName`'s listener; one result per case, in order.
    static func play(_ cases: [Corpus.Case], protocol protocolName: String, port: Int, caFile: String) throws
        -> [Result]
    {
        try runScript(
            script, [protocolName, "127.0.0.1", "\(port)", caFile],
            payload: cases.map { ["name": $0.name, "hex": hex($0.bytes)] }, perCase: 20)
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// Runs `script` with `payload` (JSON) on its standard input; one JSON line back per payload entry.
    static func runScript<Answer: Decodable>(
        _ script: String, _ arguments: [String], payload: [[String: String]], perCase: Double
    ) throws -> [Answer] {
        let input = String(decoding: try JSONSerialization.data(withJSONObject: payload), as: UTF8.self)
        let run = try runProgram(
            "python3", ["-c", script] + arguments, package: "python3",
            timeout: Double(payload.count) * perCase + 60, input: input)
        let answers = run.output.split(separator: "\n").compactMap {
            try? JSONDecoder().decode(Answer.self, from: Data($0.utf8))
        }
        guard answers.count == payload.count else {
            throw CorpusFailure(
                "the client script answered \(answers.count) of \(payload.count): \(run.error.suffix(2000))")
        }
        return answers
    }
}

extension CorpusLiveClient {
    struct Request: Sendable {
        var name: String
        var url: String
        var body: [UInt8]
        var contentType: String
        var adminToken: String?
    }

    struct Response: Decodable, Sendable {
        /// The HTTP status, 0 when the connection failed.
        var status: Int
        /// The first 300 characters of the body, and its length.
        var body: String
        var length: Int
        /// The keys of the JSON object the body holds (empty when it is not one).
        var keys: [String]
        /// The admin API's `/health` answered 200 after this request.
        var healthy: Bool
    }

    static let httpScript = #"""
        import json, ssl, sys, urllib.request, urllib.error
        ca, health, token = sys.argv[1], sys.argv[2], sys.argv[3]
        context = ssl.create_default_context(cafile=ca)
        context.check_hostname = False
        def call(url, data=None, headers={}):
            request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data is not None else "GET")
            try:
                with urllib.request.urlopen(request, timeout=15, context=context if url.startswith("https") else None) as r:
                    return r.status, r.read().decode("utf-8", "replace")
            except urllib.error.HTTPError as e:
                return e.code, e.read().decode("utf-8", "replace")
            except Exception as e:
                return 0, repr(e)
        for case in json.load(sys.stdin):
            headers = {"Content-Type": case["type"]}
            if case["token"]:
                headers["Authorization"] = "Bearer " + case["token"]
            status, body = call(case["url"], bytes.fromhex(case["hex"]), headers)
            ok, _ = call(health, None, {"Authorization": "Bearer " + token})
            try:
                parsed = json.loads(body)
                keys = sorted(parsed.keys()) if isinstance(parsed, dict) else []
            except ValueError:
                keys = []
            print(json.dumps({"status": status, "body": body[:300], "length": len(body), "keys": keys,
                              "healthy": ok == 200}), flush=True)
        """#

    /// POSTs each request (one connection each) and checks the admin API's `/health` after it.
    static func post(_ requests: [Request], caFile: String, health: String, adminToken: String) throws -> [Response] {
        try runScript(
            httpScript, [caFile, health, adminToken],
            payload: requests.map {
                ["url": $0.url, "hex": hex($0.body), "type": $0.contentType, "token": $0.adminToken ?? ""]
            }, perCase: 35)
    }
}
