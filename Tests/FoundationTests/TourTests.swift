import ExomockCLI
import ExomockTestSupport
import Foundation
import Testing

/// The README's tour, command for command: `exomock serve` with the built-in quickstart, a token from
/// the GCC High token service with curl, the shared mailbox read over IMAP with curl and XOAUTH2, and
/// the clock moved 91 days through the admin API. This is also the end-to-end test of the real
/// token check (`ExchangeAuthenticator`): tokens minted by the token service, judged by the IMAP server.
@Suite(.serialized)
struct TourTests {
    @Test(
        "README tour: client-credentials token, IMAP fetch with XOAUTH2, no access to another mailbox, dead after 91 days"
    )
    func tour() throws {
        let mock = try ServedExomock(label: "tour")
        let ready = mock.ready
        let cloud = try mock.cloud()
        let imap = try cloud.listener("imap")

        // Step 2: a token the way a mail handler gets one.
        let tokenResponse = try ServedExomock.curl([
            "--cacert", ready.caFile, "\(cloud.authorityURL)/contoso.onmicrosoft.us/oauth2/v2.0/token",
            "-d", "grant_type=client_credentials", "-d", "client_id=11111111-2222-3333-4444-555555555555",
            "-d", "client_secret=quickstart-secret", "-d", "scope=https://outlook.office365.us/.default",
        ])
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(tokenResponse.output.utf8)) as? [String: Any],
            "\(tokenResponse)")
        let token = try #require(json["access_token"] as? String, "no access_token in \(tokenResponse.output)")

        // Step 3: the shared mailbox over IMAP, XOAUTH2 with that token.
        func fetch(as user: String) throws -> ProgramResult {
            try ServedExomock.curl([
                "-v", "--cacert", ready.caFile, "--login-options", "AUTH=XOAUTH2", "--user", user,
                "--oauth2-bearer", token, "imaps://\(imap.host):\(imap.port)/INBOX;UID=1",
            ])
        }
        let fetched = try fetch(as: "helpdesk@contoso.onmicrosoft.us")
        #expect(fetched.status == 0, "curl failed: \(fetched.error)")
        #expect(fetched.output.contains("Subject:"), "no message came back: \(fetched.output.prefix(300))")
        #expect(fetched.error.contains("OK AUTHENTICATE completed."))

        // The app's service principal has no FullAccess on the admin's own mailbox: Exchange lets
        // AUTHENTICATE succeed and refuses the mailbox afterwards.
        let other = try fetch(as: "admin@contoso.onmicrosoft.us")
        #expect(other.status != 0)
        #expect(other.error.contains("OK AUTHENTICATE completed."), "\(other.error)")
        #expect(other.error.contains("BAD User is authenticated but not connected."), "\(other.error)")

        // Step 4's aside: 91 days later the same token is long expired, on the virtual clock.
        let advanced = try mock.admin.curl("/clock/advance", ["-X", "POST", "-d", #"{"by": "91d"}"#])
        #expect(advanced.output.contains("2026-04-02"), "\(advanced.output)")
        let expired = try fetch(as: "helpdesk@contoso.onmicrosoft.us")
        #expect(expired.status != 0)
        #expect(expired.error.contains("NO AUTHENTICATE failed."), "\(expired.error)")

        let journal = try mock.admin.curl("/journal").output
        #expect(journal.contains(#""reason":"no_mailbox_access""#), "journal lacks the access reason")
        #expect(journal.contains(#""reason":"token_expired""#), "journal lacks the expiry reason")
        #expect(journal.contains(#""event":"clock.advanced""#))

        // The same events, counted for Prometheus: one token, one login, one login to a mailbox the
        // app may not open, one expired token.
        let metrics = try mock.admin.curl("/metrics").output
        func count(_ labels: String) -> Int? {
            metrics.split(separator: "\n").first { $0.hasPrefix("exomock_events_total{\(labels)} ") }
                .flatMap { Int($0.split(separator: " ").last ?? "") }
        }
        #expect(count(#"cloud="gcc-high",service="token",event="token.issued""#) == 1, "\(metrics)")
        #expect(count(#"cloud="gcc-high",service="imap",event="auth.succeeded""#) == 1, "\(metrics)")
        #expect(count(#"cloud="gcc-high",service="imap",event="auth.not_connected""#) == 1, "\(metrics)")
        #expect(count(#"cloud="gcc-high",service="imap",event="auth.failed""#) == 1, "\(metrics)")
    }

    /// The tour's shell blocks, from README.md, in order (their three-space list indentation removed).
    static func readmeTourLines() throws -> [String] {
        let readme = try String(
            contentsOf: TestSupport.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8
        )
        guard let start = readme.range(of: "## A five-minute tour\n") else {
            throw TestFailure("README.md has no '## A five-minute tour' section")
        }
        let section = readme[start.upperBound...].components(separatedBy: "\n## ")[0]
        var lines: [String] = []
        var inShell = false
        for line in section.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") {
                inShell = !inShell && trimmed == "```sh"
            } else if inShell {
                lines.append(line.hasPrefix("   ") ? String(line.dropFirst(3)) : String(line))
            }
        }
        return lines
    }

    @Test("README tour: the commands a newcomer pastes, build once, PATH, wait for the ready file, exomock run")
    func readmeTourCommands() throws {
        let lines = try Self.readmeTourLines()
        // The newcomer path: one release build, the binaries on PATH, a wait for the ready file before jq.
        let expected = [
            "swift build -c release",
            #"export PATH="$PWD/.build/release:$PATH""#,
            "exomock serve --ready-file /tmp/exomock.json &",
            "until [ -s /tmp/exomock.json ]; do sleep 0.2; done",
            "exomock run Scenarios/refresh-token-90-days.yaml",
            "exomock check Scenarios/*.yaml",
        ]
        var position = 0
        for command in expected {
            let found = try #require(
                lines[position...].firstIndex(of: command), "README tour lacks, or misorders, the line `\(command)`"
            )
            position = found + 1
        }
        #expect(!lines.contains { $0.contains("swift run") }, "the tour builds once; `swift run` would rebuild (debug)")
        let wait = try #require(lines.firstIndex(of: "until [ -s /tmp/exomock.json ]; do sleep 0.2; done"))
        let firstJQ = try #require(lines.firstIndex { $0.hasPrefix("jq ") || $0.contains("$(jq") })
        #expect(wait < firstJQ, "the tour reads the ready file before waiting for it")
        for line in lines {
            for word in line.split(separator: " ") where word.hasPrefix("Scenarios/") && !word.contains("*") {
                let path = TestSupport.repositoryRoot.appendingPathComponent(String(word)).path
                #expect(FileManager.default.fileExists(atPath: path), "the tour names \(word), which does not exist")
            }
        }
    }

    @Test("README tour, pasted into bash at the repository root (with the debug build on PATH)")
    func readmeTourInBash() throws {
        _ = try locateProgram("jq", package: "jq")
        let directory = try TestSupport.temporaryDirectory("exomock-readme-tour")
        defer { try? FileManager.default.removeItem(at: directory) }
        let readyFile = directory.appendingPathComponent("exomock.json").path
        let binaries = URL(fileURLWithPath: TestSupport.exomockBinary).deletingLastPathComponent().path
        var script: [String] = []
        for line in try Self.readmeTourLines() {
            if line == "swift build -c release" { continue }  // the tests run on the debug build
            if line == #"export PATH="$PWD/.build/release:$PATH""# {
                script.append("export PATH='\(binaries)':\"$PATH\"")
                continue
            }
            script.append(line.replacingOccurrences(of: "/tmp/exomock.json", with: readyFile))
            if line.hasPrefix("exomock run ") { script.append(#"echo "[exomock run exit $?]""#) }
            if line.hasPrefix("exomock check ") { script.append(#"echo "[exomock check exit $?]""#) }
        }
        script += ["kill %1", "wait", #"echo "[serve stopped]""#]
        let result = try runProgram(
            "bash", ["-c", script.joined(separator: "\n")], package: "bash", timeout: 240,
            currentDirectory: TestSupport.repositoryRoot.path
        )
        let all = result.output + result.error
        #expect(!result.timedOut, "the tour hung:\n\(all)")
        #expect(all.contains(#""admin_url""#), "jq printed no ready file:\n\(all)")
        #expect(all.contains("Subject:"), "step 3 fetched no message:\n\(all)")
        #expect(all.contains("[exomock run exit 0]"), "exomock run failed:\n\(all)")
        #expect(all.contains("1 passed, 0 failed"), "exomock run's transcript:\n\(all)")
        #expect(all.contains("error_codes=700082"), "step 4 did not show the refresh token dying:\n\(all)")
        #expect(all.contains(#""event":"clock.advanced""#), "the journal lacks the clock move:\n\(all)")
        #expect(all.contains("[exomock check exit 0]"), "exomock check failed:\n\(all)")
        #expect(all.contains("[serve stopped]"))
        #expect(!FileManager.default.fileExists(atPath: readyFile), "serve left its ready file behind on SIGTERM")
    }

    @Test("exomock --version prints the version; a bad --log-level names the valid levels")
    func versionAndLogLevel() throws {
        let binary = try locateProgram(TestSupport.exomockBinary, package: "exomock (run `swift build --build-tests`)")
        let version = try runProgram(binary, ["--version"], package: "exomock", timeout: 30)
        #expect(version.status == 0)
        #expect(version.output.trimmingCharacters(in: .whitespacesAndNewlines) == ExomockVersion.current)

        let bad = try runProgram(binary, ["serve", "--log-level", "bogus"], package: "exomock", timeout: 30)
        #expect(bad.status != 0, "serve accepted --log-level bogus")
        #expect(bad.error.contains("'bogus' is not a log level"), "\(bad.error)")
        #expect(bad.error.contains("trace, debug, info, notice, warning, error, critical"), "\(bad.error)")
    }

    @Test("serve replaces a stale ready file, logs decisions at info (no secrets), removes its ready file on SIGTERM")
    func serveReadyFileAndDecisionLog() throws {
        let binary = try locateProgram(TestSupport.exomockBinary, package: "exomock (run `swift build --build-tests`)")
        let directory = try TestSupport.temporaryDirectory("exomock-newcomer")
        defer { try? FileManager.default.removeItem(at: directory) }
        let readyFile = directory.appendingPathComponent("ready.json").path
        let logFile = directory.appendingPathComponent("serve.log").path
        // What a killed server leaves behind: its ports, now dead.
        try #"{"pid": 1, "stale": true}"#.write(toFile: readyFile, atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "serve", "--ready-file", readyFile, "--log-level", "info",
            "--certs", directory.appendingPathComponent("certs").path,
        ]
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        defer { _ = ServedExomock.stop(process) }
        func serveLog() -> String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

        // The stale file must disappear at start, so a waiting script never reads it.
        var ready: ServedReady?
        let deadline = Date().addingTimeInterval(120)
        while ready == nil, process.isRunning, Date() < deadline {
            if let data = FileManager.default.contents(atPath: readyFile),
                let document = try? JSONDecoder().decode(ServedReady.self, from: data),
                document.pid == process.processIdentifier
            {
                ready = document
            } else {
                usleep(100_000)
            }
        }
        let served = try #require(ready, "serve wrote no ready file of its own:\n\(serveLog())")
        let cloud = try #require(served.clouds.first)

        // A token refused: wrong client secret.
        let secret = "not-the-quickstart-secret-7f3a"
        _ = try ServedExomock.curl([
            "--cacert", served.caFile, "\(cloud.authorityURL)/contoso.onmicrosoft.us/oauth2/v2.0/token",
            "-d", "grant_type=client_credentials", "-d", "client_id=11111111-2222-3333-4444-555555555555",
            "-d", "client_secret=\(secret)", "-d", "scope=https://outlook.office365.us/.default",
        ])
        // A login refused: a bearer token that is no token.
        let bogusToken = "bogus-bearer-token-4c1e"
        let imap = try cloud.listener("imap")
        _ = try ServedExomock.curl([
            "--cacert", served.caFile, "--login-options", "AUTH=XOAUTH2", "--user", "helpdesk@contoso.onmicrosoft.us",
            "--oauth2-bearer", bogusToken, "imaps://\(imap.host):\(imap.port)/INBOX;UID=1",
        ])
        var text = serveLog()
        let logDeadline = Date().addingTimeInterval(10)
        while !(text.contains("token refused: AADSTS") && text.contains("login refused: ")), Date() < logDeadline {
            usleep(100_000)
            text = serveLog()
        }
        #expect(text.contains("token refused: AADSTS7000215"), "no refused token on the console:\n\(text)")
        #expect(text.contains("(rule "), "the refused token's rule is missing:\n\(text)")
        #expect(text.contains("login refused: "), "no refused login on the console:\n\(text)")
        #expect(!text.contains(secret), "the client secret reached the console")
        #expect(!text.contains(bogusToken), "the bearer token reached the console")

        #expect(ServedExomock.stop(process) == 0, "serve did not stop cleanly on SIGTERM:\n\(serveLog())")
        #expect(!FileManager.default.fileExists(atPath: readyFile), "serve left its ready file behind on SIGTERM")
    }
}
