import ArgumentParser
import Determinism
import Exomock
import ExomockLimits
import Foundation
import LoadGenerator
import Logging
import ScenarioLoader
import ScenarioModel

/// `exomock load`: many simulated mail handlers at once against the mock or any IMAP/POP3 server.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Load-test token refresh and mail fetch with many simulated mail handlers (docs/load.md).",
        discussion: """
            Kinds: refresh, imap, imap-login, pop3, pop3-login, mixed by weight (--mix). Closed loop with \
            --clients N, or open loop with --rate R/s (latency counted from each operation's intended start). \
            Target: the mock of --scenario in this process; a running exomock serve (--against READY.json \
            with its --scenario); or any server (--imap/--pop3 HOST:PORT, --ca, --users-file). \
            Exit 0: done and every gate held; 1: a gate (--max-error-rate, --max-p99) tripped; 2: the run \
            could not start.

            Examples:
              exomock load --scenario bench/scenario.yaml --mix imap=4,pop3=1,refresh=1 --clients 16 --duration 30s
              exomock load --scenario S.yaml --against /tmp/ready.json --rate 200/s --json load.json --max-p99 250ms
              exomock load --imap 127.0.0.1:19993 --ca ca.crt --users-file users.txt --mix imap-login --clients 8
            """
    )

    @Option(help: "Scenario file: its mock runs in this process, or with --against gives the handlers' identities.")
    var scenario: String?

    @Option(help: "Load a running exomock serve, found by its ready file (with the --scenario it serves).")
    var against: String?

    @Option(help: "Kinds and weights, e.g. refresh=1,imap=4,pop3=1.")
    var mix: String = "imap=1"

    @Option(help: "Simulated handlers, each with its own mailbox and refresh token.")
    var clients: Int = 8

    @Option(help: "Open loop: operations started per second (e.g. 200 or 200/s); without it, closed loop.")
    var rate: String?

    @Option(help: "Measured window (e.g. 30s, 2m).")
    var duration: String = "10s"

    @Option(help: "Warm-up before the window, not counted.")
    var warmup: String = "2s"

    @Option(help: "Read timeout of each command and HTTP request.")
    var timeout: String = "10s"

    @Option(help: "Which messages imap/pop3 read: new (since the handler's last operation) or all.")
    var fetch: String = "new"

    @Option(name: .customLong("max-messages"), help: "Most messages one imap or pop3 operation reads.")
    var maxMessages: Int = 1000

    @Option(name: .customLong("message-size"), help: "smtp: the size of each submitted message (e.g. 10KiB).")
    var messageSize: String = "10KiB"

    @Flag(help: "IMAP: mark what was read \\Seen.")
    var flag = false

    @Flag(help: "Delete what was read (IMAP \\Deleted and EXPUNGE, POP3 DELE).")
    var expunge = false

    @Option(help: "Use this app (client id) of the scenario for every grant.")
    var app: String?

    @Option(help: "Only these mailboxes of the scenario, comma-separated.")
    var mailboxes: String?

    @Option(help: "Any IMAP server with implicit TLS, HOST:PORT.")
    var imap: String?

    @Option(help: "Any POP3 server with implicit TLS, HOST:PORT.")
    var pop3: String?

    @Flag(help: "--imap/--pop3 ports speak plain text, then STARTTLS/STLS.")
    var starttls = false

    @Option(help: "CA file (PEM) the servers' certificates chain to (--imap, --pop3, --token-url).")
    var ca: String?

    @Option(name: .customLong("server-name"), help: "Name the server certificate must carry (default: the host).")
    var serverName: String?

    @Option(name: .customLong("users-file"), help: "Lines 'MAILBOX ACCESS_TOKEN' for --imap/--pop3.")
    var usersFile: String?

    @Option(name: .customLong("token-url"), help: "A token endpoint for refresh (any OAuth 2.0 server).")
    var tokenURL: String?

    @Option(name: .customLong("client-id"), help: "client_id for --token-url.")
    var clientID: String?

    @Option(name: .customLong("client-secret"), help: "client_secret for --token-url (confidential clients).")
    var clientSecret: String?

    @Option(help: "scope for --token-url refreshes.")
    var scope: String?

    @Option(name: .customLong("refresh-tokens"), help: "One refresh token a line for --token-url.")
    var refreshTokens: String?

    @Option(help: "Write the report as JSON here (schema in docs/load.md).")
    var json: String?

    @Option(name: .customLong("max-error-rate"), help: "Exit 1 when errors ÷ operations is higher (0.01 or 1%).")
    var maxErrorRate: String?

    @Option(name: .customLong("max-p99"), help: "Exit 1 when any kind's p99 latency is higher (e.g. 250ms).")
    var maxP99: String?

    @Option(
        name: .customLong("progress-interval"),
        help: "Seconds between progress lines (default 1 on a terminal, 5 otherwise; 0: none).")
    var progressInterval: Double?

    @Option(help: "Directory of the test CA, server certificates and signing keys (in-process mock).")
    var certs: String = defaultCertificatesDirectory()

    func settings() throws -> LoadSettings {
        let parsedMix: LoadMix
        do { parsedMix = try LoadMix.parse(mix) } catch { throw ValidationError(error.description) }
        guard (1...Limits.loadMaximumClients).contains(clients) else {
            throw ValidationError("--clients must be 1 to \(Limits.loadMaximumClients), not \(clients)")
        }
        func seconds(_ text: String, _ option: String, allowZero: Bool = false) throws -> Double {
            guard let s = DurationText.parse(text), s > 0 || (allowZero && s == 0) else {
                throw ValidationError("\(option) \(text): not a duration; write e.g. 10s, 2m or 250ms")
            }
            return s
        }
        var s = LoadSettings(
            mix: parsedMix, clients: clients, duration: try seconds(duration, "--duration"),
            warmup: try seconds(warmup, "--warmup", allowZero: true), timeout: try seconds(timeout, "--timeout"))
        if let rate {
            let text = rate.hasSuffix("/s") ? String(rate.dropLast(2)) : rate
            guard let r = Double(text), r > 0 else {
                throw ValidationError("--rate \(rate): write operations per second, e.g. --rate 200/s")
            }
            s.rate = r
        }
        guard let policy = FetchPolicy(rawValue: fetch) else {
            throw ValidationError("--fetch \(fetch): use new or all")
        }
        guard maxMessages > 0 else { throw ValidationError("--max-messages must be at least 1") }
        s.work.fetch = policy
        s.work.maxMessages = maxMessages
        s.work.flag = flag
        s.work.expunge = expunge
        guard let bytes = SizeText.parse(messageSize), (256...Limits.smtpMaximumMessageSize).contains(bytes) else {
            throw ValidationError(
                "--message-size \(messageSize): write a size from 256 bytes to \(Limits.smtpMaximumMessageSize) bytes, e.g. 10KiB"
            )
        }
        s.work.messageBytes = bytes
        if let maxErrorRate {
            let percent = maxErrorRate.hasSuffix("%")
            guard let v = Double(percent ? String(maxErrorRate.dropLast()) : maxErrorRate), v >= 0 else {
                throw ValidationError("--max-error-rate \(maxErrorRate): write a fraction (0.01) or a percentage (1%)")
            }
            s.maxErrorRate = percent ? v / 100 : v
        }
        if let maxP99 { s.maxP99Milliseconds = try seconds(maxP99, "--max-p99") * 1000 }
        return s
    }

    func validate() throws {
        _ = try settings()
        let external = imap != nil || pop3 != nil || tokenURL != nil
        if external, scenario != nil || against != nil {
            throw ValidationError("Give either --scenario (and --against) or --imap/--pop3/--token-url, not both.")
        }
        if !external, scenario == nil {
            throw ValidationError(
                "Name a target: --scenario FILE (the mock), or --imap/--pop3 HOST:PORT with --ca and --users-file.")
        }
        if against != nil, scenario == nil {
            throw ValidationError("--against needs the --scenario the running mock serves.")
        }
    }

    func run() async throws {
        let settings = try settings()
        let interval = progressInterval ?? (isatty(STDERR_FILENO) != 0 ? 1 : 5)
        let report: LoadReport
        do {
            report = try await runTarget(settings, progressInterval: interval)
        } catch let error as LoadSetupError {
            printError("exomock load: \(error.description)")
            throw ExitCode(2)
        }
        if isatty(STDERR_FILENO) != 0, interval > 0 { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
        print(report.text(), terminator: "")
        if let json {
            do { try report.json().write(to: URL(fileURLWithPath: json), options: .atomic) } catch {
                printError("\(json): the report cannot be written (\(error)); choose a writable path for --json")
                throw ExitCode(2)
            }
        }
        if !report.gates.passed { throw ExitCode(1) }
    }

    func runTarget(_ settings: LoadSettings, progressInterval: Double) async throws -> LoadReport {
        let progress = Self.progressPrinter(terminal: isatty(STDERR_FILENO) != 0)
        let interval: Double? = progressInterval > 0 ? progressInterval : nil
        guard let scenario else {
            var external = ExternalTarget()
            (external.imap, external.pop3, external.starttls, external.caFile) = (imap, pop3, starttls, ca)
            (external.serverName, external.usersFile, external.tokenURL) = (serverName, usersFile, tokenURL)
            (external.clientID, external.clientSecret, external.scope) = (clientID, clientSecret, scope)
            external.refreshTokensFile = refreshTokens
            return try await Self.run(
                settings, on: external.make(clients: settings.clients, timeout: settings.timeout), interval, progress)
        }
        let loaded: Scenario
        do { loaded = try ScenarioLoader.load(file: scenario) } catch {
            throw LoadSetupError("\(scenario) does not load:\n\(error.description)")
        }
        let boxes = mailboxes?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let app = self.app
        let play: @Sendable (ReadyDocument, String) async throws -> LoadReport = { ready, name in
            let target = try await ScenarioTarget(scenario: loaded, ready: ready, app: app, mailboxes: boxes)
                .make(mix: settings.mix, clients: settings.clients, timeout: settings.timeout, name: name)
            for note in target.notes { printError("exomock load: \(note)") }
            return try await Self.run(settings, on: target, interval, progress)
        }
        if let against {
            let ready: ReadyDocument
            do {
                ready = try JSONDecoder().decode(
                    ReadyDocument.self, from: Data(contentsOf: URL(fileURLWithPath: against)))
            } catch { throw LoadSetupError("\(against): not a ready file of a running exomock serve (\(error))") }
            guard ready.scenario == loaded.name else {
                throw LoadSetupError(
                    "\(against) serves scenario '\(ready.scenario)', not '\(loaded.name)' of \(scenario)")
            }
            return try await play(ready, "exomock serve (\(against), scenario \(loaded.name))")
        }
        var logger = Logger(label: "exomock.load")
        logger.logLevel = .error
        let options = ServeOptions(certificatesDirectory: certs, logger: logger)
        let result: Result<LoadReport, LoadSetupError>?
        do {
            result = try await ExomockServer.run(loaded, options: options) { mock in
                do {
                    return .success(try await play(mock.ready, "in-process mock (scenario \(loaded.name))"))
                } catch let e as LoadSetupError {
                    return .failure(e)
                }
            }
        } catch let error as LoadSetupError {
            throw error
        } catch { throw LoadSetupError("the mock could not start: \(error)") }
        guard let result else { throw LoadSetupError("the mock stopped before the load finished") }
        return try result.get()
    }

    /// Checks the target against the mix, runs, and shuts its HTTP client down either way.
    static func run(
        _ settings: LoadSettings, on target: LoadTarget, _ interval: Double?,
        _ progress: @escaping @Sendable (String) -> Void
    ) async throws -> LoadReport {
        do {
            try target.check(settings.mix)
        } catch {
            await target.http?.shutdown()
            throw error
        }
        let report = await LoadRunner.run(settings, target: target, progressInterval: interval, progress: progress)
        await target.http?.shutdown()
        return report
    }

    /// A terminal gets one line, rewritten in place; anything else a line per interval.
    static func progressPrinter(terminal: Bool) -> @Sendable (String) -> Void {
        { line in
            FileHandle.standardError.write(Data((terminal ? "\r\u{1B}[2K\(line)" : "\(line)\n").utf8))
        }
    }
}
