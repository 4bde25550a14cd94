import ArgumentParser
import Exomock
import Foundation
import Journal
import Logging
import MicrosoftClouds
import ScenarioLoader
import ScenarioModel
import TestAuthority

/// `exomock`: Microsoft's cloud mail stack (Entra ID token service, Exchange Online IMAP and POP3),
/// one per cloud, for tests.
public struct ExomockCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "exomock",
        abstract: "Stand in for Microsoft's cloud mail stack (Entra ID + Exchange Online IMAP/POP3) in tests.",
        discussion: """
            exomock serves, per Microsoft cloud (worldwide, gcc, gcc-high, dod, china), a token service \
            and TLS IMAP and POP3 servers that behave like Exchange Online, driven by a scenario file.

            Examples:
              exomock serve                                   # the built-in quickstart scenario (GCC High)
              exomock serve --scenario Scenarios/quickstart.yaml --ready-file /tmp/exomock.json
              exomock check Scenarios/*.yaml
              exomock run Scenarios/*.yaml                    # play each scenario's flow, print a transcript
              exomock load --scenario bench/scenario.yaml --mix imap=4,refresh=1   # load test (docs/load.md)
              exomock certs --out certs
              exomock clouds
            """,
        version: ExomockVersion.current,
        subcommands: [Serve.self, Check.self, RunCommand.self, LoadCommand.self, Certs.self, Clouds.self]
    )

    public init() {}

    /// Without a subcommand: the help text.
    public func run() async throws {
        print(Self.helpMessage())
    }

    /// The entry point `main.swift` calls.
    public static func start() async {
        await main()
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate scenario files.",
        discussion: """
            Reports every problem as FILE:LINE:COLUMN: FIELD: MESSAGE. FIX and exits 1 if there is any.

            Example:
              exomock check Scenarios/*.yaml
            """
    )

    @Argument(help: "Scenario files to check.")
    var files: [String]

    func validate() throws {
        if files.isEmpty {
            throw ValidationError("Name at least one scenario file, e.g. exomock check Scenarios/quickstart.yaml")
        }
    }

    func run() throws {
        let problems = ScenarioLoader.check(files: files)
        for problem in problems { printError(problem.description) }
        if !problems.isEmpty {
            printError(
                "\(problems.count) problem\(problems.count == 1 ? "" : "s") in \(Set(problems.map(\.file)).count) file(s)."
            )
            throw ExitCode(1)
        }
        print("\(files.count) scenario file\(files.count == 1 ? "" : "s") OK.")
    }
}

struct Certs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the test root CA and one server certificate per cloud.",
        discussion: """
            Existing files are kept unless a certificate's host names changed or it expires within 30 days. \
            Private keys stay in the directory (never commit them).

            Example:
              exomock certs --out certs && curl --cacert certs/ca.pem ...
            """
    )

    @Option(help: "Directory for ca.pem and <cloud>.pem / <cloud>-key.pem.")
    var out: String = defaultCertificatesDirectory()

    func run() throws {
        let set = try TestAuthority.loadOrCreate(directory: out, clouds: CloudName.allCases)
        print("CA certificate: \(set.caCertificatePath)")
        for cloud in CloudName.allCases {
            let server = set.server(for: cloud)
            print(
                "\(cloud.rawValue): \(server.certificatePath) (\(server.subjectAlternativeNames.joined(separator: ", ")))"
            )
        }
    }
}

struct Clouds: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the cloud catalog.",
        discussion: """
            Example:
              exomock clouds --markdown > docs/clouds.md
            """
    )

    @Flag(help: "Print docs/clouds.md (Markdown) instead of a plain list.")
    var markdown = false

    func run() {
        if markdown {
            print(CloudCatalogDocument.markdown(), terminator: "")
        } else {
            for cloud in Cloud.all {
                print(
                    "\(cloud.name.rawValue): login \(cloud.authorityHost), mail \(cloud.outlookHosts.joined(separator: ", ")), scopes on \(cloud.scopeResource)"
                )
            }
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a scenario: per cloud a token service (HTTPS), IMAP and POP3 (implicit TLS and STARTTLS).",
        discussion: """
            Without --scenario, serves the built-in quickstart scenario (cloud gcc-high). Listens on 127.0.0.1 \
            with ephemeral ports unless --hosts is given; writes the ready file (JSON, docs/ready-file.md) once \
            everything listens. SIGINT or SIGTERM stops it cleanly (exit 0).

            Examples:
              exomock serve
              exomock serve --scenario Scenarios/quickstart.yaml --ready-file /tmp/exomock.json
              sudo exomock serve --hosts        # real host names via the printed /etc/hosts lines
            """
    )

    @Option(help: "Scenario file (default: the built-in quickstart).")
    var scenario: String?

    @Flag(help: "Bind each cloud to its loopback address 127.0.1.N on ports 443, 993, 143, 995, 110 (needs root).")
    var hosts = false

    @Option(name: .customLong("ready-file"), help: "Write the ready document (JSON) here once everything listens.")
    var readyFile: String?

    @Option(help: "Directory of the test CA, server certificates and signing keys (created if missing).")
    var certs: String = defaultCertificatesDirectory()

    @Option(name: .customLong("admin-port"), help: "Port of the admin API on 127.0.0.1 (0: ephemeral).")
    var adminPort: Int = 0

    @Option(
        name: .customLong("log-level"),
        help: ArgumentHelp(
            "trace, debug, info, notice, warning, error or critical. At info and below, every decision (a token "
                + "refused with its AADSTS code and rule, a login refused and why, an injected fault) is logged too."
        )
    )
    var logLevel: String = "warning"

    /// The valid `--log-level` values, in swift-log's order.
    static let logLevels = Logger.Level.allCases.map(\.rawValue)

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError(
                "--log-level '\(logLevel)' is not a log level. Use one of \(Self.logLevels.joined(separator: ", ")), "
                    + "e.g. --log-level info to see every token and login decision."
            )
        }
    }

    func run() async throws {
        // A ready file left by an earlier serve (killed, or from before this fix) would tell a script that
        // waits for the file the ports of a dead server: remove it before anything else.
        let readyPath = readyFile.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        if let readyPath {
            do {
                try Self.removeReadyFile(readyPath)
            } catch {
                printError(
                    "exomock: cannot remove the old ready file \(readyPath) (\(error.localizedDescription)). "
                        + "Delete it by hand, or pass a --ready-file path in a directory you can write to."
                )
                throw ExitCode(1)
            }
        }
        // However serve ends, the ports in the ready file are gone with it.
        defer { if let readyPath { try? Self.removeReadyFile(readyPath) } }
        let loaded: Scenario
        do {
            if let scenario {
                loaded = try ScenarioLoader.load(file: scenario)
            } else {
                loaded = try ScenarioLoader.load(
                    yaml: BuiltinScenarios.quickstartYAML, fileName: "<built-in quickstart.yaml>", baseDirectory: nil)
            }
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        var configured = Logger(label: "exomock")
        configured.logLevel = Logger.Level(rawValue: logLevel) ?? .warning  // validate() rejected anything else
        let logger = configured
        let options = ServeOptions(
            hostsMode: hosts,
            certificatesDirectory: certs,
            readyFile: readyPath,
            adminPort: adminPort,
            handleSignals: true,
            logger: logger
        )
        do {
            _ = try await ExomockServer.run(loaded, options: options) { running in
                if logger.logLevel <= .info { running.journal.setObserver(Self.decisionLogger(logger)) }
                var out = running.ready.humanTable()
                if hosts {
                    out += "\nAdd these lines to /etc/hosts so unmodified clients reach exomock by the real names:\n"
                    for cloud in running.ready.clouds { for line in cloud.hostsLines ?? [] { out += line + "\n" } }
                }
                if let readyFile = options.readyFile { out += "Ready file: \(readyFile)\n" }
                out += "Press Ctrl-C to stop.\n"
                FileHandle.standardOutput.write(Data(out.utf8))
                // Serve until a signal stops the service group, which cancels this task.
                while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            }
        } catch let error as ServeError {
            printError("exomock: \(error)")
            throw ExitCode(1)
        }
    }

    /// Removes the ready file at `path` if there is one.
    static func removeReadyFile(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        try FileManager.default.removeItem(atPath: path)
    }

    /// A journal observer that logs each decision event at info: one line with the cloud, service, connection,
    /// the decision (AADSTS code and rule, or the login's reason) and the rest of the event's detail. The
    /// detail never holds passwords, client secrets or tokens, and `consoleSummary` redacts such keys anyway.
    static func decisionLogger(_ logger: Logger) -> JournalObserver {
        { event in
            guard event.isDecision else { return }
            logger.info("\(event.consoleSummary)", metadata: ["event": "\(event.event)", "time": "\(event.time)"])
        }
    }
}

/// `./certs` under the current directory, or `$EXOMOCK_CERTS`.
func defaultCertificatesDirectory() -> String {
    ProcessInfo.processInfo.environment["EXOMOCK_CERTS"] ?? "certs"
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
