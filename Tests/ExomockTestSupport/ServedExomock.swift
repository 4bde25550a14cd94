import Foundation

/// The ready file's fields the tests read (docs/ready-file.md), under the JSON names a client sees.
public struct ServedReady: Decodable, Sendable {
    public struct Listener: Decodable, Sendable {
        public var service: String
        public var tls: String
        public var host: String
        public var port: Int
    }
    public struct Cloud: Decodable, Sendable {
        public var name: String
        public var authorityURL: String
        public var authorityHost: String
        public var outlookHost: String
        public var hostsLines: [String]?
        public var listeners: [Listener]

        enum CodingKeys: String, CodingKey {
            case name, listeners
            case authorityURL = "authority_url"
            case authorityHost = "authority_host"
            case outlookHost = "outlook_host"
            case hostsLines = "hosts_lines"
        }

        /// The listener for `service` (`imap`, `pop3`) with `tls` (`implicit`, `starttls`).
        public func listener(_ service: String, tls: String = "implicit") throws -> Listener {
            guard let l = listeners.first(where: { $0.service == service && $0.tls == tls }) else {
                throw TestFailure("no \(tls) \(service) listener for \(name) in the ready file")
            }
            return l
        }
    }
    public var version: Int
    public var caFile: String
    public var adminURL: String
    /// The admin API's credential for this run (send it with `admin`, never by hand).
    public var adminToken: String
    public var pid: Int32
    public var clouds: [Cloud]

    enum CodingKeys: String, CodingKey {
        case version, pid, clouds
        case caFile = "ca_file"
        case adminURL = "admin_url"
        case adminToken = "admin_token"
    }

    /// The admin API of this run, with its token.
    public var admin: AdminClient { AdminClient(url: adminURL, token: adminToken) }
}

/// `exomock serve` as a subprocess: a scenario written to a temporary directory (or the built-in
/// quickstart), ephemeral ports (or `--hosts`), the ready file, SIGTERM at the end. The server's
/// output goes to a file, never an unread pipe, so a chatty server cannot block on it.
public final class ServedExomock: @unchecked Sendable {
    // @unchecked Sendable: every stored property is a `let` set in `init`; `Process` is only asked
    // for its state and signalled, which it allows from any thread.
    public let directory: URL
    public let process: Process
    public let ready: ServedReady
    public let readyFile: String
    public let logFile: String

    /// Serves `scenarioYAML`, or the built-in quickstart when nil.
    public init(scenarioYAML: String? = nil, hosts: Bool = false, label: String, timeout: Double = 120) throws {
        directory = try TestSupport.temporaryDirectory("exomock-\(label)")
        readyFile = directory.appendingPathComponent("ready.json").path
        logFile = directory.appendingPathComponent("serve.log").path
        var arguments = ["serve", "--ready-file", readyFile, "--certs", directory.appendingPathComponent("certs").path]
        if let scenarioYAML {
            let scenario = directory.appendingPathComponent("scenario.yaml")
            try scenarioYAML.write(to: scenario, atomically: true, encoding: .utf8)
            arguments += ["--scenario", scenario.path]
        }
        if hosts { arguments.append("--hosts") }
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        let binary = try locateProgram(
            TestSupport.exomockBinary, package: "exomock (run `swift build --build-tests` first)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        guard TestSupport.waitForFile(readyFile, timeout: timeout) else {
            Self.stop(process)
            let text = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
            throw TestFailure(
                "exomock serve wrote no ready file within \(Int(timeout)) s (exit \(process.terminationStatus)); its output:\n\(text)"
            )
        }
        ready = try JSONDecoder().decode(ServedReady.self, from: Data(contentsOf: URL(fileURLWithPath: readyFile)))
    }

    /// The cloud named `name`, or the only one.
    public func cloud(_ name: String? = nil) throws -> ServedReady.Cloud {
        guard let cloud = ready.clouds.first(where: { name == nil || $0.name == name }) else {
            throw TestFailure("cloud \(name ?? "(any)") missing from the ready file")
        }
        return cloud
    }

    /// The server's output so far, for failure messages.
    public var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    /// `curl -sS` with a time limit.
    public static func curl(_ arguments: [String]) throws -> ProgramResult {
        try runProgram("curl", ["-sS", "--max-time", "20"] + arguments, package: "curl", timeout: 30)
    }

    /// The admin API of this server, with its token.
    public var admin: AdminClient { ready.admin }

    /// The journal (JSON lines) from the admin API.
    public func journal() throws -> String { try admin.curl("/journal").output }

    /// The journal as (event, detail) pairs.
    public func journalEvents() throws -> [(event: String, detail: [String: String])] {
        try journal().split(separator: "\n").compactMap { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let event = object["event"] as? String
            else { return nil }
            return (event, object["detail"] as? [String: String] ?? [:])
        }
    }

    /// An app-only access token from the cloud's token endpoint (client credentials), as a mail
    /// handler gets one.
    public func clientCredentialsToken(
        cloud: String? = nil, tenant: String, clientID: String, secret: String,
        scope: String = "https://outlook.office365.us/.default"
    ) throws -> String {
        let response = try Self.curl([
            "--cacert", ready.caFile, "\(try self.cloud(cloud).authorityURL)/\(tenant)/oauth2/v2.0/token",
            "-d", "grant_type=client_credentials", "-d", "client_id=\(clientID)", "--data-urlencode",
            "client_secret=\(secret)",
            "--data-urlencode", "scope=\(scope)",
        ])
        guard let json = try? JSONSerialization.jsonObject(with: Data(response.output.utf8)) as? [String: Any],
            let token = json["access_token"] as? String
        else { throw TestFailure("no access_token from the token endpoint: \(response.output) \(response.error)") }
        return token
    }

    /// SIGTERM, then SIGKILL after five seconds; returns the exit status.
    @discardableResult
    public static func stop(_ process: Process) -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        process.terminate()
        let start = Date()
        while process.isRunning, Date().timeIntervalSince(start) < 5 { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    @discardableResult
    public func stop() -> Int32 { Self.stop(process) }

    deinit {
        Self.stop(process)
        try? FileManager.default.removeItem(at: directory)
    }
}
