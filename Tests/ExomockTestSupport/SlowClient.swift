import Foundation

/// A client that sends some bytes and then stops, as a slow or hostile one does: part of an HTTP header,
/// part of a body, a huge `Content-Length`, half a TLS ClientHello, half an IMAP line. Python's `socket`
/// and `ssl` (no library of ours), so what the server does is seen from outside.
///
/// It connects (through TLS when `caFile` is given, verifying the chain, not the name), sends `bytes`,
/// writes `marker` (when given) once they are sent, then reads until the server closes or `wait` seconds
/// pass, and reports when the first answer byte came and when the connection closed.
public enum SlowClient {
    public struct Result: Decodable, Sendable {
        /// Seconds from the send to the first byte of an answer (nil: none came).
        public var first: Double?
        /// Seconds from the send until the server closed (or `wait` ran out).
        public var closed: Double
        /// The connection was still open when `wait` ran out.
        public var timedOut: Bool
        /// What came back (the first 2,000 bytes, Latin-1).
        public var text: String
    }

    static let script = #"""
        import json, socket, ssl, sys, time
        host, port, ca, name, wait, marker = sys.argv[1:7]
        payload = sys.stdin.read().strip()
        sock = socket.create_connection((host, int(port)), timeout=float(wait))
        if ca:
            context = ssl.create_default_context(cafile=ca)
            context.check_hostname = False
            sock = context.wrap_socket(sock, server_hostname=name)
        sock.sendall(bytes.fromhex(payload))
        start = time.monotonic()
        if marker:
            open(marker, "w").write("sent")
        data, first, timed_out = b"", None, False
        sock.settimeout(float(wait))
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                if first is None:
                    first = time.monotonic() - start
                data += chunk
                sock.settimeout(max(0.01, float(wait) - (time.monotonic() - start)))
        except socket.timeout:
            timed_out = True
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError, OSError):
            pass
        print(json.dumps({"first": first, "closed": time.monotonic() - start, "timedOut": timed_out,
                          "text": data[:2000].decode("latin-1")}))
        """#

    static func arguments(host: String, port: Int, caFile: String?, serverName: String, wait: Double, marker: String?)
        -> [String]
    {
        ["-c", script, host, "\(port)", caFile ?? "", serverName, "\(wait)", marker ?? ""]
    }

    /// The bytes to send, as the hex text the script reads from its standard input.
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(bytes.count * 2 + 1)
        for byte in bytes { text += [digits[Int(byte >> 4)], digits[Int(byte & 0xF)]] }
        return String(decoding: text + [0x0A], as: UTF8.self)
    }

    /// Sends `bytes` and waits for the server's answer and close, at most `wait` seconds.
    public static func exchange(
        host: String = "127.0.0.1", port: Int, caFile: String? = nil, serverName: String = "localhost",
        send bytes: [UInt8], wait: Double
    ) throws -> Result {
        let result = try runProgram(
            "python3",
            arguments(host: host, port: port, caFile: caFile, serverName: serverName, wait: wait, marker: nil),
            package: "python3", timeout: wait + 30, input: hex(bytes))
        guard let line = result.output.split(separator: "\n").last,
            let decoded = try? JSONDecoder().decode(Result.self, from: Data(line.utf8))
        else { throw TestFailure("the slow client failed: \(result.output) \(result.error)") }
        return decoded
    }

    /// Starts a slow client in the background and returns once its bytes are sent; the caller stops it.
    public static func start(
        host: String = "127.0.0.1", port: Int, caFile: String? = nil, serverName: String = "localhost",
        send bytes: [UInt8], hold: Double = 60
    ) throws -> Process {
        let marker = try TestSupport.temporaryDirectory("slow-client").appendingPathComponent("sent").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try locateProgram("python3", package: "python3"))
        process.arguments = arguments(
            host: host, port: port, caFile: caFile, serverName: serverName, wait: hold, marker: marker)
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data(hex(bytes).utf8))
        try? input.fileHandleForWriting.close()
        guard TestSupport.waitForFile(marker, timeout: 30) else {
            process.terminate()
            throw TestFailure("the slow client did not connect and send within 30 s")
        }
        return process
    }
}
