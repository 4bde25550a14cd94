import Foundation
import ListenerSupport
import MicrosoftClouds

/// The ready file: what a CI suite reads to find a running exomock. A public interface, version 1,
/// documented in `docs/ready-file.md`. Fields are only ever added within a version.
public struct ReadyDocument: Codable, Sendable, Equatable {
    public var version: Int = 1
    /// Absolute path of the test root CA every listener's certificate chains to.
    public var caFile: String
    /// Base URL of the admin API (plain HTTP, loopback).
    public var adminURL: String
    /// The admin API's credential for this run (`Authorization: Bearer <token>`), random on every start.
    /// The ready file is written readable by its owner only (mode 0600), as the token is a secret.
    public var adminToken: String
    /// `loopback` (127.0.0.1, ephemeral ports) or `hosts` (each cloud on 127.0.1.N, standard ports).
    public var mode: String
    public var scenario: String
    public var seed: UInt64
    public var pid: Int32
    public var clouds: [CloudEndpoints]

    public init(
        caFile: String, adminURL: String, adminToken: String, mode: String, scenario: String, seed: UInt64,
        pid: Int32, clouds: [CloudEndpoints]
    ) {
        self.caFile = caFile
        self.adminURL = adminURL
        self.adminToken = adminToken
        self.mode = mode
        self.scenario = scenario
        self.seed = seed
        self.pid = pid
        self.clouds = clouds
    }

    enum CodingKeys: String, CodingKey {
        case version
        case caFile = "ca_file"
        case adminURL = "admin_url"
        case adminToken = "admin_token"
        case mode, scenario, seed, pid, clouds
    }

    public struct CloudEndpoints: Codable, Sendable, Equatable {
        public var name: String
        /// Base a client builds every token-service URL on, as it would from
        /// `https://login.microsoftonline.us`: `{authority_url}/{tenant}/oauth2/v2.0/token`.
        public var authorityURL: String
        /// The real authority host this cloud stands in for (`login.microsoftonline.us`).
        public var authorityHost: String
        /// The real IMAP/POP3 host (`outlook.office365.us`).
        public var outlookHost: String
        /// Resource URL the cloud's Outlook scopes are built on.
        public var scopeResource: String
        public var listeners: [Listener]
        /// `/etc/hosts` lines that send the real host names here (hosts mode only).
        public var hostsLines: [String]?
        /// The real SMTP submission host (`smtp.office365.us`).
        public var smtpHost: String? = nil

        enum CodingKeys: String, CodingKey {
            case name
            case authorityURL = "authority_url"
            case authorityHost = "authority_host"
            case outlookHost = "outlook_host"
            case scopeResource = "scope_resource"
            case listeners
            case hostsLines = "hosts_lines"
            case smtpHost = "smtp_host"
        }
    }

    public struct Listener: Codable, Sendable, Equatable {
        /// `imap`, `pop3` or `smtp`.
        public var service: String
        /// `implicit` or `starttls`.
        public var tls: String
        public var host: String
        public var port: Int
    }

    /// The listener of a service and TLS mode in a cloud.
    public func listener(cloud: CloudName, service: MailService, tls: TLSMode) -> Listener? {
        clouds.first { $0.name == cloud.rawValue }?.listeners.first {
            $0.service == service.rawValue && $0.tls == tls.rawValue
        }
    }

    /// JSON with sorted keys, pretty-printed, ending in a newline.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data([0x0A])
    }

    /// Writes the document atomically: to a temporary file in the same directory, then renamed, so a
    /// script polling for the file never reads half of it.
    public func write(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        // The admin token is a secret: only the user who started exomock reads the file.
        try? FileManager.default.removeItem(at: temporary)
        guard
            FileManager.default.createFile(
                atPath: temporary.path, contents: try encoded(), attributes: [.posixPermissions: 0o600])
        else {
            throw ServeError.readyFile(path: path, reason: "\(temporary.path) cannot be created")
        }
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw ServeError.readyFile(path: path, reason: reason)
        }
    }

    /// A table for people: one row per listener.
    public func humanTable() -> String {
        var lines = [
            "exomock is serving scenario '\(scenario)' (\(mode) mode)", "  admin API   \(adminURL)",
            "  CA file     \(caFile)",
        ]
        for cloud in clouds {
            lines.append("  \(cloud.name)")
            lines.append("    token service  \(cloud.authorityURL)   (stands in for https://\(cloud.authorityHost))")
            for listener in cloud.listeners {
                let label = "\(listener.service) \(listener.tls == "implicit" ? "TLS" : "STARTTLS")".padding(
                    toLength: 14, withPad: " ", startingAt: 0)
                let real =
                    listener.service == MailService.smtp.rawValue
                    ? (cloud.smtpHost ?? cloud.outlookHost) : cloud.outlookHost
                lines.append("    \(label) \(listener.host):\(listener.port)   (stands in for \(real))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
