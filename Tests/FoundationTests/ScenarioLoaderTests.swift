import Determinism
import ExomockLimits
import Foundation
import MicrosoftClouds
import ScenarioLoader
import ScenarioModel
import Testing

/// The repository root, found from this file's path (Tests/FoundationTests/…).
private let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

private func fixture(_ name: String) throws -> String {
    let base = try #require(Bundle.module.resourceURL)
    let url = base.appendingPathComponent("Fixtures/bad/\(name).yaml")
    try #require(FileManager.default.fileExists(atPath: url.path), "fixture \(name).yaml missing from the bundle")
    return url.path
}

/// The problems of embedded text, as `exomock check` would print them.
private func lines(_ yaml: String, base: String? = nil) -> [String] {
    ScenarioLoader.problems(yaml: yaml, fileName: "t.yaml", baseDirectory: base)
}

@Suite struct ScenarioLoaderBadFileTests {
    /// Each bad fixture and the exact lines `exomock check` prints for it (`F` is the file's path).
    static let expected: [(String, [String])] = [
        (
            "unknown-top-level-key",
            [
                "F:3:1: descripton: unknown key 'descripton'. Did you mean 'description'? Valid keys for a scenario: version, name, description, seed, clock, clouds, tenants, apps, users, mailboxes, lifetimes, exchange, browser, faults, flow, scale."
            ]
        ),
        (
            "unknown-nested-key",
            [
                "F:8:5: tenants[0].region: unknown key 'region'. Valid keys for tenant: id, name, cloud, domains, smtp_client_authentication_disabled."
            ]
        ),
        (
            "wrong-type",
            [
                "F:3:9: clouds: expected a list, found a string 'gcc-high'. Write a YAML list, e.g. `[gcc-high]`, or one `- item` per line."
            ]
        ),
        (
            "bad-duration",
            [
                "F:5:17: lifetimes.access_token: '1 hour' is not a duration. Write a number with units w, d, h, m, s or ms, e.g. 90d, 1h30m, 250ms, or a plain number of seconds."
            ]
        ),
        (
            "bad-date",
            [
                "F:4:10: clock.start: '2026-13-01T00:00:00Z' is not an RFC 3339 date-time: the month 13 is out of range 1–12. Write date, time and zone, e.g. 2026-01-01T00:00:00Z or 2026-01-01T09:30:00-05:00."
            ]
        ),
        (
            "bad-size",
            [
                "F:14:40: mailboxes[0].folders[0].messages[0].generate.size: '2 kilobytes' is not a size. Write a number of bytes or a number with B, KB, KiB, MB, MiB, GB or GiB, e.g. 2KiB."
            ]
        ),
        (
            "unknown-cloud",
            [
                "F:6:12: tenants[0].cloud: unknown cloud 'gcchigh'. Did you mean 'gcc-high'? Use one of: worldwide, gcc, gcc-high, dod, china."
            ]
        ),
        (
            "user-unknown-tenant",
            [
                "F:11:10: users[1].upn: user 'ops@fabrikam.onmicrosoft.us' is in an unknown tenant: no tenant has the domain 'fabrikam.onmicrosoft.us'. Add 'fabrikam.onmicrosoft.us' to a tenant's `domains`, or fix the UPN."
            ]
        ),
        (
            "app-wrong-cloud",
            [
                "F:21:14: flow[0].token.cloud: app 'Mail handler' is registered in cloud 'gcc-high', not 'worldwide'. Ask the app's own cloud, or add `expect: {success: false}` if this step reproduces the wrong-cloud mistake."
            ]
        ),
        (
            "duplicate-user",
            [
                "F:11:10: users[1].upn: user 'Admin@Contoso.onmicrosoft.us' is already declared at users[0]. Declare each user once."
            ]
        ),
        (
            "duplicate-tenant-id",
            [
                "F:8:9: tenants[1].id: tenant id '8F1C2B7E-4D0A-4C5E-9B1A-2F3E4D5C6B7A' is already used by tenants[0]. Give each tenant its own GUID."
            ]
        ),
        (
            "dangling-full-access",
            [
                "F:11:19: users[0].full_access[0]: mailbox 'helpdesk@contoso.onmicrosoft.us' does not exist. Declare it under `mailboxes`, or give its user `mailbox: true`."
            ]
        ),
        (
            "missing-eml",
            [
                "F:16:19: mailboxes[0].folders[0].messages[0].file: message file 'messages/does-not-exist.eml' does not exist (looked for D/messages/does-not-exist.eml). Check the path; relative paths start from the scenario file's directory."
            ]
        ),
        (
            "yaml-syntax",
            [
                "F:4:8: yaml: did not find expected ',' or ']' (while parsing a flow sequence at line 3, column 9). Fix the YAML here: check indentation (spaces, not tabs), the `:` after each key, and closing quotes and brackets."
            ]
        ),
        (
            "duplicate-key",
            [
                "F:2:1: yaml: key 'name' is written more than once in the same mapping (this is the first). Write each key once: merge the entries or remove one."
            ]
        ),
        (
            "missing-required",
            [
                "F:9:5: users[0].password: missing required key 'password' in user. Add `password:` to this user."
            ]
        ),
        (
            "public-app-secrets",
            [
                "F:14:7: apps[0].secrets: public app 'Desktop client' has client secrets. Public clients authenticate without a secret: remove `secrets`, or write `type: confidential`."
            ]
        ),
        (
            "refresh-without-save-as",
            [
                "F:31:13: flow[2].token.from: no earlier step saved tokens as 'first'. Add `save_as: first` to an earlier token step."
            ]
        ),
        (
            "two-actions",
            [
                "F:12:5: flow[0]: a flow step has 2 actions (advance, revoke_sessions). Split it into one step per action."
            ]
        ),
        (
            "repeat-without-rounds",
            [
                "F:17:7: flow[0].repeat: a repeat block needs `times`, or `every` with `for`. Write `times: 3`, or `every: 15m` and `for: 90d` (rounds on the virtual clock)."
            ]
        ),
        (
            "change-missing-key",
            [
                "F:17:7: flow[0].change.password: a `reset_password` change needs `password`. Add `password:` to this change."
            ]
        ),
        (
            "unknown-command-status",
            [
                "F:21:28: flow[0].imap.commands[1].expect.status: unknown status 'DENIED'. Use OK, NO or BAD for IMAP, +OK or -ERR for POP3 (quote +OK and -ERR), a reply code such as 250 or 535 for SMTP."
            ]
        ),
        (
            "bad-pattern",
            [
                "F:20:16: flow[0].expect.pattern: '^-ERR [AUTH' is not a regular expression. Escape special characters with a backslash (`\\[`, `\\(`, `\\.`), or use `line:` for an exact line."
            ]
        ),
        (
            "xoauth2-without-token",
            [
                "F:16:7: flow[0].imap.token: missing required key 'token' in mail step. Add `token:` naming an earlier step's `save_as`, or write `auth: none` to log in with commands."
            ]
        ),
        (
            "deliver-unknown-mailbox",
            [
                "F:16:16: flow[0].deliver.mailbox: mailbox 'tickets@contoso.onmicrosoft.us' does not exist. Use a mailbox the scenario declares."
            ]
        ),
        (
            "several-problems",
            [
                "F:4:7: seed: expected an unsigned whole number, found a number '-3'. Write digits only, without quotes, e.g. `1`.",
                "F:8:14: tenants[0].domains: expected a list, found a string 'contoso.onmicrosoft.us'. Write a YAML list, e.g. `[contoso.onmicrosoft.us]`, or one `- item` per line.",
                "F:12:10: users[0].mfa: expected true or false, found a string 'no'. Write `true` or `false`, without quotes.",
            ]
        ),
    ]

    @Test(arguments: expected.map(\.0))
    func badFileGivesExactLines(_ name: String) throws {
        let path = try fixture(name)
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let want = try #require(Self.expected.first { $0.0 == name }).1.map {
            $0.replacingOccurrences(of: "F:", with: "\(path):").replacingOccurrences(of: "D/", with: "\(directory)/")
        }
        #expect(ScenarioLoader.check(files: [path]).map(\.description) == want)
        // load(file:) throws the same problems.
        #expect(throws: ScenarioLoadError.self) { try ScenarioLoader.load(file: path) }
    }

    @Test func everyBadFixtureIsCovered() throws {
        let directory = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/bad").path
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
        #expect(names == Self.expected.map(\.0).sorted())
        #expect(names.count >= 14)
    }

    @Test func checkReportsEveryFileInOrder() throws {
        let a = try fixture("wrong-type")
        let b = try fixture("bad-date")
        let problems = ScenarioLoader.check(files: [a, b])
        #expect(problems.map(\.file) == [a, b])
        #expect(problems.map(\.line) == [3, 4])
    }

    @Test func missingFileIsOneProblem() {
        let problems = ScenarioLoader.check(files: ["/nonexistent/scenario.yaml"])
        #expect(
            problems.map(\.description) == [
                "/nonexistent/scenario.yaml:1:1: file: no such file. Check the path; scenario files usually end in .yaml."
            ])
    }
}

@Suite struct ScenarioLoaderShippedScenarioTests {
    static var scenarioFiles: [String] {
        let directory = repositoryRoot.appendingPathComponent("Scenarios")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { directory.appendingPathComponent($0).path }
    }

    /// The ticket library (issue 12 asks for at least 24 tickets beside the quickstart), with the files the
    /// README and docs name.
    @Test func shippedScenariosExist() {
        let names = Set(Self.scenarioFiles.map { URL(fileURLWithPath: $0).lastPathComponent })
        #expect(names.isSuperset(of: ["gcc-high-mail-handler.yaml", "quickstart.yaml", "refresh-token-90-days.yaml"]))
        #expect(names.subtracting(["quickstart.yaml"]).count >= 24, "\(names.count) scenario files")
    }

    @Test func everyShippedScenarioLoadsWithoutProblems() {
        #expect(!Self.scenarioFiles.isEmpty)
        #expect(ScenarioLoader.check(files: Self.scenarioFiles).map(\.description) == [])
    }

    @Test func quickstartConstantIsTheFileByteForByte() throws {
        let file = try Data(contentsOf: repositoryRoot.appendingPathComponent("Scenarios/quickstart.yaml"))
        #expect(file == Data(BuiltinScenarios.quickstartYAML.utf8))
    }

    @Test func quickstartFacts() throws {
        let s = try ScenarioLoader.load(
            yaml: BuiltinScenarios.quickstartYAML, fileName: "quickstart", baseDirectory: nil)
        #expect(s.name == "quickstart")
        #expect(s.clouds == [.gccHigh])
        #expect(s.seed == 1)
        #expect(s.clock == ClockSettings(start: VirtualClock.defaultStart, mode: .virtual))
        #expect(
            s.tenants == [
                Tenant(
                    id: "8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a", name: "Contoso (GCC High)", cloud: .gccHigh,
                    domains: ["contoso.onmicrosoft.us"])
            ])
        #expect(
            s.apps == [
                App(
                    name: "Jira mail handler", clientID: "11111111-2222-3333-4444-555555555555",
                    tenant: "8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a", kind: .confidential,
                    secrets: [ClientSecret(value: "quickstart-secret", expires: nil)],
                    redirectURIs: ["http://localhost:8080/callback"],
                    delegatedPermissions: ["IMAP.AccessAsUser.All", "POP.AccessAsUser.All", "offline_access"],
                    applicationPermissions: ["IMAP.AccessAsApp", "POP.AccessAsApp"], adminConsent: true,
                    mailboxAccess: ["helpdesk@contoso.onmicrosoft.us"]
                )
            ])
        #expect(
            s.users == [
                User(
                    upn: "admin@contoso.onmicrosoft.us", displayName: "Contoso Admin", password: "Quickstart-Pa55",
                    mfa: false,
                    hasMailbox: true, fullAccess: ["helpdesk@contoso.onmicrosoft.us"]
                )
            ])
        #expect(
            s.mailboxes == [
                Mailbox(
                    address: "helpdesk@contoso.onmicrosoft.us", kind: .shared,
                    folders: [Folder(name: "Inbox", messages: [.generated(count: 5, size: 2048, seed: 1)])]
                )
            ])
        #expect(s.lifetimes == Lifetimes())
        #expect(s.exchange == ExchangeSettings())
        #expect(s.flow.count == 2)
        guard case .token(let token) = s.flow[0].action, case .imap(let imap) = s.flow[1].action else {
            Issue.record("quickstart flow is not token then imap")
            return
        }
        #expect(token.grant == .clientCredentials)
        #expect(token.cloud == .gccHigh)
        #expect(imap.mailbox == "helpdesk@contoso.onmicrosoft.us")
        #expect(s.flow[1].expect?.success == true)
        #expect(s.problems().isEmpty)
    }

    @Test func messageFilesResolveToAbsolutePaths() throws {
        let path = repositoryRoot.appendingPathComponent("Scenarios/gcc-high-mail-handler.yaml").path
        let s = try ScenarioLoader.load(file: path)
        let messages = try #require(s.mailboxes.first?.folders.first?.messages)
        let expectedDirectory = repositoryRoot.appendingPathComponent("Scenarios/messages").standardized.path
        #expect(
            messages == [
                .file(path: expectedDirectory + "/vpn-token-rejected.eml", flags: []),
                .file(path: expectedDirectory + "/printer-paper-jam.eml", flags: ["\\Seen"]),
            ])
        for case .file(let file, _) in messages {
            #expect(FileManager.default.isReadableFile(atPath: file))
        }
    }

    @Test func gccHighScenarioReproducesTheWrongCloudPreset() throws {
        let s = try ScenarioLoader.load(
            file: repositoryRoot.appendingPathComponent("Scenarios/gcc-high-mail-handler.yaml").path)
        guard case .token(let preset) = s.flow[0].action else {
            Issue.record("first step is not a token step")
            return
        }
        #expect(preset.scopes.contains("https://outlook.office.com/IMAP.AccessAsUser.All"))
        #expect(s.flow[0].expect?.expectsFailure == true)
        #expect(s.tenants.map(\.cloud) == [.gccHigh])
    }

    @Test func refreshScenarioAdvances91DaysThenExpects700082() throws {
        let s = try ScenarioLoader.load(
            file: repositoryRoot.appendingPathComponent("Scenarios/refresh-token-90-days.yaml").path)
        let advance = s.flow.firstIndex { if case .advanceClock(91 * 86_400) = $0.action { true } else { false } }
        let index = try #require(advance)
        guard case .token(let refresh) = s.flow[index + 1].action else {
            Issue.record("the step after advance is not a token step")
            return
        }
        #expect(refresh.grant == .refreshToken)
        #expect(s.flow[index + 1].expect?.errorCode == 700082)
        guard case .token(let first) = s.flow[0].action else {
            Issue.record("first step is not a token step")
            return
        }
        #expect(first.scopes.contains("offline_access"))
    }
}

@Suite struct ScenarioLoaderValueTests {
    @Test func durationsParse() {
        #expect(DurationText.parse("90d") == Double(90 * 86_400))
        #expect(DurationText.parse("1h30m") == 5_400)
        #expect(DurationText.parse("250ms") == 0.25)
        #expect(DurationText.parse("3600") == 3_600)
        #expect(DurationText.parse("1 hour") == nil)
        #expect(DurationText.parse("") == nil)
    }

    @Test func sizesParse() {
        #expect(SizeText.parse("2KiB") == 2_048)
        #expect(SizeText.parse("10KB") == 10_000)
        #expect(SizeText.parse("1MiB") == 1_048_576)
        #expect(SizeText.parse("1.5MB") == 1_500_000)
        #expect(SizeText.parse("512B") == 512)
        #expect(SizeText.parse("4096") == 4_096)
        #expect(SizeText.parse("2 KiB") == 2_048)
        #expect(SizeText.parse("2 kilobytes") == nil)
        #expect(SizeText.parse("-1KiB") == nil)
        #expect(SizeText.parse("0.5B") == nil)
        #expect(SizeText.parse("99999999999GiB") == nil)
    }

    @Test func everyFieldReadsIntoTheModel() throws {
        let yaml = """
            version: 1
            name: all fields
            description: every key
            seed: 18446744073709551615
            clock: {start: "2026-03-01T12:00:00+01:00", mode: realtime}
            clouds: [worldwide, dod]
            tenants:
              - {id: 8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a, name: T, cloud: dod, domains: [t.onmicrosoft.us]}
            apps:
              - name: A
                client_id: 11111111-2222-3333-4444-555555555555
                tenant: 8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a
                type: public
                redirect_uris: [http://localhost/cb]
                delegated_permissions: [IMAP.AccessAsUser.All]
                application_permissions: [IMAP.AccessAsApp]
                admin_consent: yes
                mailbox_access: [u@t.onmicrosoft.us]
            users:
              - upn: u@t.onmicrosoft.us
                display_name: U
                password: p
                mfa: true
                enabled: false
                blocked_by_conditional_access: true
                mailbox: true
                consented_apps: [11111111-2222-3333-4444-555555555555]
            mailboxes:
              - address: s@t.onmicrosoft.us
                type: shared
                imap_enabled: false
                pop_enabled: false
            lifetimes: {access_token: 90m, refresh_token_inactivity: 1d, refresh_token_max_age: 30d,
                        authorization_code: 5m, device_code: 20m, id_token: 2h}
            exchange: {basic_auth: true, idle_timeout: 29m, server_name: BN0P110CA0001}
            browser: {signed_in: [u@t.onmicrosoft.us]}
            faults:
              - {service: token, kind: throttle, cloud: dod, match: refresh_token, after: 2, count: 3, seconds: 30s}
              - {service: token, kind: aadsts, code: 50076}
            flow:
              - name: t
                token: {cloud: dod, tenant: t.onmicrosoft.us, app: 11111111-2222-3333-4444-555555555555,
                        grant: device_code, user: u@t.onmicrosoft.us, scopes: [a, b], save_as: x}
                expect: {success: false, error: authorization_pending, error_code: 70016, line: "+ "}
              - pop3: {cloud: dod, mailbox: s@t.onmicrosoft.us, token: x, tls: starttls, commands: [STAT]}
              - revoke_sessions: u@t.onmicrosoft.us
            """
        let s = try ScenarioLoader.load(yaml: yaml, fileName: "all.yaml", baseDirectory: nil)
        #expect(s.seed == UInt64.max)
        #expect(s.clock.start == Date(timeIntervalSince1970: 1_772_362_800))
        #expect(s.clock.mode == .realtime)
        #expect(s.apps[0].kind == .public && s.apps[0].adminConsent)
        #expect(
            s.users[0]
                == User(
                    upn: "u@t.onmicrosoft.us", displayName: "U", password: "p", mfa: true, enabled: false,
                    blockedByConditionalAccess: true, hasMailbox: true, fullAccess: [],
                    consentedApps: ["11111111-2222-3333-4444-555555555555"]
                ))
        #expect(
            s.mailboxes[0]
                == Mailbox(address: "s@t.onmicrosoft.us", kind: .shared, imapEnabled: false, popEnabled: false))
        #expect(
            s.lifetimes
                == Lifetimes(
                    accessToken: 5_400, refreshTokenInactivity: 86_400, refreshTokenMaxAge: 30 * 86_400,
                    authorizationCode: 300, deviceCode: 1_200, idToken: 7_200
                ))
        #expect(s.exchange == ExchangeSettings(basicAuth: true, idleTimeout: 1_740, serverName: "BN0P110CA0001"))
        #expect(s.browserSignedIn == ["u@t.onmicrosoft.us"])
        #expect(
            s.faults == [
                Fault(
                    service: .token, kind: .throttle, cloud: .dod, match: "refresh_token", after: 2, count: 3,
                    seconds: 30),
                Fault(service: .token, kind: .aadsts, code: 50076),
            ])
        #expect(
            s.flow[0]
                == FlowStep(
                    name: "t",
                    action: .token(
                        TokenStep(
                            cloud: .dod, tenant: "t.onmicrosoft.us", app: "11111111-2222-3333-4444-555555555555",
                            grant: .deviceCode,
                            user: "u@t.onmicrosoft.us", scopes: ["a", "b"], saveAs: "x"
                        )),
                    expect: Expectation(success: false, error: "authorization_pending", errorCode: 70016, line: "+ "),
                    location: s.flow[0].location
                ))
        #expect(s.flow[0].location != nil)
        guard case .pop3(let pop3) = s.flow[1].action else {
            Issue.record("flow[1] is not a pop3 step")
            return
        }
        #expect(pop3.commands.map(\.text) == ["STAT"])
        #expect(pop3.commands[0].location != nil)
        var expected = MailStep(
            cloud: .dod, mailbox: "s@t.onmicrosoft.us", token: "x", tls: .starttls, commands: pop3.commands)
        expected.auth = .xoauth2
        #expect(pop3 == expected)
        #expect(s.flow[2].action == .revokeSessions(user: "u@t.onmicrosoft.us"))
    }

    @Test func defaultedFieldsPointAtTheirParent() {
        // `faults[0].code` is absent, so the problem points at the fault itself.
        let yaml = """
            name: x
            clouds: [gcc]
            faults:
              - service: token
                kind: aadsts
            """
        #expect(
            lines(yaml) == [
                "t.yaml:4:5: faults[0].code: an `aadsts` fault needs the AADSTS code to answer with. Add `code:`, e.g. `code: 50076`."
            ])
    }

    @Test func structuralProblemsAreAllReported() {
        let yaml = """
            name: [not, a, string]
            clouds: [gcc, mars]
            users:
              - upn: a@b.c
              - password: x
            """
        #expect(
            lines(yaml) == [
                "t.yaml:1:7: name: expected a string, found a list. Write a single value on the same line, quoted if it contains `: ` or starts with a special character.",
                "t.yaml:2:15: clouds[1]: unknown cloud 'mars'. Use one of: worldwide, gcc, gcc-high, dod, china.",
                "t.yaml:4:5: users[0].password: missing required key 'password' in user. Add `password:` to this user.",
                "t.yaml:5:5: users[1].upn: missing required key 'upn' in user. Add `upn:` to this user.",
            ])
    }

    @Test func flowStepWithoutActionAndMessageWithoutSource() {
        let yaml = """
            name: x
            clouds: [gcc]
            mailboxes:
              - address: a@b.c
                folders:
                  - name: Inbox
                    messages:
                      - flags: ['\\Seen']
            flow:
              - name: nothing to do
            """
        #expect(
            lines(yaml) == [
                "t.yaml:8:13: mailboxes[0].folders[0].messages[0]: a message source needs `file` or `generate`. Write `- file: messages/ticket.eml` or `- generate: {count: 5, size: 2KiB, seed: 1}`.",
                "t.yaml:10:5: flow[0]: a flow step needs an action. Add exactly one of: token, advance, imap, pop3, smtp, revoke_sessions, change, deliver, wait, repeat.",
            ])
    }

    @Test func emptyAndMultiDocumentTextAreRefused() {
        #expect(
            lines("") == [
                "t.yaml:1:1: yaml: the file is empty. Write at least `version: 1`, `name:` and `clouds:` (see Scenarios/quickstart.yaml)."
            ])
        #expect(
            lines("name: a\nclouds: [gcc]\n---\nname: b\n") == [
                "t.yaml:4:1: yaml: the file holds more than one YAML document. Keep one scenario per file: remove the second `---` and what follows, or move it to its own file."
            ])
        #expect(
            lines("- just\n- a list\n") == [
                "t.yaml:1:1: scenario: expected a mapping (a scenario), found a list. Write it as `key: value` lines, one key per line, e.g. `version: ...`."
            ])
    }

    @Test func relativeMessageWithoutBaseDirectory() {
        let yaml = """
            name: x
            clouds: [gcc]
            tenants: [{id: 8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a, cloud: gcc, domains: [b.c]}]
            mailboxes:
              - address: s@b.c
                type: shared
                folders: [{name: Inbox, messages: [{file: a.eml}]}]
            """
        #expect(
            lines(yaml) == [
                "t.yaml:7:47: mailboxes[0].folders[0].messages[0].file: relative message path 'a.eml' has no directory to resolve against. Write an absolute path, or load the scenario from a file."
            ])
    }
}

@Suite struct ScenarioLoaderLimitTests {
    @Test func fileLargerThanTheLimitIsRefusedUnread() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "exomock-loader-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let big = directory.appendingPathComponent("big.yaml")
        var text = "name: big\nclouds: [gcc]\ndescription: "
        text += String(repeating: "x", count: Limits.scenarioMaximumFileSize - text.utf8.count)
        try Data(text.utf8).write(to: big)
        #expect(ScenarioLoader.check(files: [big.path]).isEmpty, "exactly at the limit loads")
        try Data((text + "y").utf8).write(to: big)
        #expect(
            ScenarioLoader.check(files: [big.path]).map(\.description) == [
                "\(big.path):1:1: file: the file is larger than \(Limits.scenarioMaximumFileSize) bytes. Split the scenario, or generate messages with `generate:` instead of embedding them."
            ])
    }

    @Test func aliasesCannotExpandPastTheNodeLimit() {
        // 100 mailboxes x 100 folders x 100 messages, each message 3 nodes: 3 million nodes
        // from a few kilobytes of text.
        let messages = Array(repeating: "*g", count: 100).joined(separator: ", ")
        let folders = Array(repeating: "*f", count: 99).joined(separator: ", ")
        let boxes = Array(repeating: "*m", count: 99).joined(separator: ", ")
        let yaml = """
            name: bomb
            clouds: [gcc]
            mailboxes: [&m {address: a@b.c, folders: [&f {name: Inbox, messages: [&g {generate: {count: 1}}, \(messages)]}, \(folders)]}, \(boxes)]
            """
        let problems = lines(yaml)
        #expect(problems.count == 1)
        #expect(
            problems.first?.contains("the scenario expands to more than \(Limits.scenarioMaximumNodes) YAML nodes")
                == true)
    }

    @Test func generatedMessageLimits() {
        func yaml(count: Int, size: String) -> String {
            """
            name: x
            clouds: [gcc]
            mailboxes: [{address: a@b.c, folders: [{name: Inbox, messages: [{generate: {count: \(count), size: \(size)}}]}]}]
            """
        }
        let max = Limits.scenarioMaximumGeneratedMessages
        // The most messages at the default size is exactly Limits.scenarioMaximumGeneratedFolderBytes.
        #expect(lines(yaml(count: max, size: "2KiB")).allSatisfy { !$0.contains("generate") })
        #expect(
            lines(yaml(count: max + 1, size: "1KiB")) == [
                "t.yaml:3:84: mailboxes[0].folders[0].messages[0].generate.count: \(max + 1) is out of range. Use a number from 0 to \(max)."
            ])
        #expect(
            lines(yaml(count: 1, size: "\(Limits.scenarioMaximumMessageSize + 1)")) == [
                "t.yaml:3:93: mailboxes[0].folders[0].messages[0].generate.size: \(Limits.scenarioMaximumMessageSize + 1) bytes is out of range. Use a size from 1 byte to \(Limits.scenarioMaximumMessageSize) bytes (35MiB)."
            ])
    }

    @Test func durationsLongerThanTheLimitAreRefused() {
        #expect(Limits.scenarioMaximumDurationSeconds == 36_500 * 86_400)
        #expect(lines("name: x\nclouds: [gcc]\nflow: [{advance: 36500d}]\n").allSatisfy { !$0.contains("longer than") })
        #expect(
            lines("name: x\nclouds: [gcc]\nflow: [{advance: 36500d1s}]\n") == [
                "t.yaml:3:18: flow[0].advance: '36500d1s' is longer than the limit of 36500d. Write a shorter duration; 100 years is the most a scenario can use."
            ])
        #expect(
            lines("name: x\nclouds: [gcc]\nlifetimes: {access_token: 1e400}\n") == [
                "t.yaml:3:27: lifetimes.access_token: '1e400' is not a duration. Write a number with units w, d, h, m, s or ms, e.g. 90d, 1h30m, 250ms, or a plain number of seconds."
            ])
    }

    @Test func messageFileOverTheSizeLimitIsRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "exomock-loader-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let eml = directory.appendingPathComponent("big.eml")
        #expect(FileManager.default.createFile(atPath: eml.path, contents: nil))
        let handle = try FileHandle(forWritingTo: eml)
        try handle.truncate(atOffset: UInt64(Limits.scenarioMaximumMessageSize + 1))
        try handle.close()
        let scenario = directory.appendingPathComponent("s.yaml")
        try Data(
            """
            name: x
            clouds: [gcc]
            tenants: [{id: 8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a, cloud: gcc, domains: [b.c]}]
            mailboxes: [{address: s@b.c, type: shared, folders: [{name: Inbox, messages: [{file: big.eml}]}]}]

            """.utf8
        ).write(to: scenario)
        #expect(
            ScenarioLoader.check(files: [scenario.path]).map(\.description) == [
                "\(scenario.path):4:86: mailboxes[0].folders[0].messages[0].file: message file 'big.eml' is \(Limits.scenarioMaximumMessageSize + 1) bytes, more than the limit of \(Limits.scenarioMaximumMessageSize). Use a smaller message; Exchange Online refuses messages over 35 MiB too."
            ])
    }
}

@Suite struct ScenarioSchemaTests {
    static func schema() throws -> [String: Any] {
        let data = try Data(contentsOf: repositoryRoot.appendingPathComponent("docs/scenario.schema.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func propertyNames(_ block: [String: Any]?) -> Set<String> {
        Set(((block?["properties"] as? [String: Any]) ?? [:]).keys)
    }

    @Test func schemaIsDraft2020AndForbidsUnknownTopLevelKeys() throws {
        let schema = try Self.schema()
        #expect(schema["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
        #expect(schema["additionalProperties"] as? Bool == false)
        #expect(Set(schema["required"] as? [String] ?? []) == ["name", "clouds"])
    }

    @Test func topLevelKeysMatchTheLoader() throws {
        #expect(Self.propertyNames(try Self.schema()) == Set(ScenarioLoader.topLevelKeys))
    }

    @Test func everyBlockMatchesTheLoader() throws {
        let schema = try Self.schema()
        let defs = try #require(schema["$defs"] as? [String: Any])
        for (block, keys) in ScenarioLoader.keysByBlock where !block.isEmpty {
            let def = defs[block] as? [String: Any]
            #expect(def != nil, "schema has no $defs.\(block)")
            #expect(Self.propertyNames(def) == Set(keys), "$defs.\(block)")
            #expect(def?["additionalProperties"] as? Bool == false, "$defs.\(block) must refuse unknown keys")
        }
    }

    /// The flow blocks `ScenarioLoader.keysByBlock` does not list: the schema's `$defs` name, what the
    /// loader calls the block, and a flow that puts the unknown key `zzz` into it. The loader's
    /// "Valid keys for …" answer is the set of keys it reads there.
    static let flowBlocks: [(def: String, what: String, flow: String)] = [
        ("command", "command", "[{imap: {mailbox: a@b.c, auth: none, commands: [{send: NOOP, zzz: 1}]}}]"),
        (
            "commandExpect", "command expectation",
            "[{pop3: {mailbox: a@b.c, auth: none, commands: [{send: STAT, expect: {zzz: 1}}]}}]"
        ),
        ("smtpStep", "smtp step", "[{smtp: {mailbox: a@b.c, auth: none, zzz: 1}}]"),
        ("change", "change", "[{change: {kind: sign_out, zzz: 1}}]"),
        ("deliver", "delivery", "[{deliver: {mailbox: a@b.c, generate: {count: 1}, zzz: 1}}]"),
        ("repeat", "repeat block", "[{repeat: {times: 2, steps: [{advance: 1m}], zzz: 1}}]"),
    ]

    /// The keys the loader accepts in a block, read from its unknown-key problem.
    static func loaderKeys(what: String, flow: String) -> Set<String>? {
        let marker = "Valid keys for \(what): "
        for line in lines("name: x\nclouds: [gcc]\nflow: \(flow)\n") where line.contains("unknown key 'zzz'") {
            guard let start = line.range(of: marker), line.hasSuffix(".") else { return nil }
            let list = line[start.upperBound...].dropLast()
            return Set(list.components(separatedBy: ", "))
        }
        return nil
    }

    @Test(arguments: flowBlocks.map(\.def))
    func flowBlockMatchesTheLoader(_ name: String) throws {
        let block = try #require(Self.flowBlocks.first { $0.def == name })
        let defs = try #require(try Self.schema()["$defs"] as? [String: Any])
        let def = defs[block.def] as? [String: Any]
        #expect(def != nil, "schema has no $defs.\(block.def)")
        let keys = try #require(
            Self.loaderKeys(what: block.what, flow: block.flow), "the loader took `zzz` in \(block.what)"
        )
        #expect(Self.propertyNames(def) == keys, "$defs.\(block.def)")
        #expect(def?["additionalProperties"] as? Bool == false, "$defs.\(block.def) must refuse unknown keys")
    }

    /// Every object the schema describes is compared with the loader, by `keysByBlock` or `flowBlocks`.
    @Test func everySchemaObjectIsCompared() throws {
        let defs = try #require(try Self.schema()["$defs"] as? [String: Any])
        let objects = Set(
            defs.compactMap { name, def in
                (def as? [String: Any])?["type"] as? String == "object" ? name : nil
            })
        let compared = Set(ScenarioLoader.keysByBlock.keys.filter { !$0.isEmpty }).union(Self.flowBlocks.map(\.def))
        #expect(objects == compared)
    }

    /// The step's actions and their exactly-one rule match the loader's.
    @Test func stepActionsMatchTheLoader() throws {
        let defs = try #require(try Self.schema()["$defs"] as? [String: Any])
        let step = try #require(defs["step"] as? [String: Any])
        let oneOf = try #require(step["oneOf"] as? [[String: Any]])
        let actions = oneOf.compactMap { ($0["required"] as? [String])?.first }
        #expect(Set(actions) == Set(ScenarioLoader.keysByBlock["step"] ?? []).subtracting(["name", "expect"]))
        #expect(actions.count == oneOf.count)
    }

    @Test func cloudEnumMatchesTheCatalog() throws {
        let defs = try #require(try Self.schema()["$defs"] as? [String: Any])
        let cloud = try #require(defs["cloud"] as? [String: Any])
        #expect(cloud["enum"] as? [String] == CloudName.allCases.map(\.rawValue))
    }
}

@Suite struct ScenarioFormatDocTests {
    /// The example in docs/scenario-format.md loads (messages resolved against Scenarios/).
    @Test func documentedExampleLoads() throws {
        let doc = try String(
            contentsOf: repositoryRoot.appendingPathComponent("docs/scenario-format.md"), encoding: .utf8)
        let start = try #require(doc.range(of: "## Example\n\n```yaml\n"))
        let end = try #require(doc.range(of: "\n```", range: start.upperBound..<doc.endIndex))
        let yaml = String(doc[start.upperBound..<end.lowerBound]) + "\n"
        let base = repositoryRoot.appendingPathComponent("Scenarios").path
        #expect(lines(yaml, base: base) == [])
    }

    /// The flow example in the `### flow` section loads, with the objects it names declared.
    @Test func documentedFlowExampleLoads() throws {
        let url = repositoryRoot.appendingPathComponent("docs/scenario-format.md")
        let doc = try String(contentsOf: url, encoding: .utf8)
        let start = try #require(doc.range(of: "shared mailbox `helpdesk@…` declared:\n\n```yaml\n"))
        let end = try #require(doc.range(of: "\n```", range: start.upperBound..<doc.endIndex))
        let header = """
            name: poller
            clouds: [gcc-high]
            tenants: [{id: 8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a, cloud: gcc-high, domains: [contoso.onmicrosoft.us]}]
            apps:
              - name: Mail handler
                client_id: 11111111-2222-3333-4444-555555555555
                tenant: 8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a
                secrets: [{value: s3cret}]
                redirect_uris: [http://localhost:8080/callback]
                delegated_permissions: [IMAP.AccessAsUser.All, offline_access]
                admin_consent: true
            users:
              - upn: agent@contoso.onmicrosoft.us
                password: Pa55-word
                full_access: [helpdesk@contoso.onmicrosoft.us]
            mailboxes: [{address: helpdesk@contoso.onmicrosoft.us, type: shared}]

            """
        let yaml = header + String(doc[start.upperBound..<end.lowerBound]) + "\n"
        #expect(lines(yaml) == [])
        let s = try ScenarioLoader.load(yaml: yaml, fileName: "t.yaml", baseDirectory: nil)
        #expect(s.flow.map(\.actionKey) == ["token", "deliver", "repeat", "change", "imap"])
        guard case .repeatSteps(let block) = s.flow[2].action, case .imap(let poll) = block.steps.first?.action else {
            Issue.record("flow[2] is not a repeat block of an imap step")
            return
        }
        #expect(block.rounds == 96)
        #expect(poll.refresh && poll.readTimeout == 30)
        #expect(
            poll.commands.map(\.expect) == [
                CommandExpectation(status: "OK", exists: 3), CommandExpectation(pattern: "^\\* 1 FETCH \\(FLAGS \\("),
            ])
        #expect(
            s.flow[3].action
                == .change(
                    Change(
                        kind: .removeFullAccess, user: "agent@contoso.onmicrosoft.us",
                        mailbox: "helpdesk@contoso.onmicrosoft.us"
                    )))
    }

    /// Every key the flow vocabulary added reads into the model.
    @Test func newFlowKeysReadIntoTheModel() throws {
        let yaml = """
            name: x
            clouds: [gcc]
            tenants: [{id: 8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a, cloud: gcc, domains: [b.c]}]
            apps:
              - {name: A, client_id: 11111111-2222-3333-4444-555555555555, tenant: 8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a}
            users: [{upn: u@b.c, password: p, mailbox: true}]
            flow:
              - token:
                  tenant: b.c
                  app: 11111111-2222-3333-4444-555555555555
                  grant: authorization_code
                  user: u@b.c
                  secret: s
                  password: q
                  prompt: login
                  login_hint: u@b.c
                  domain_hint: b.c
                  pkce: true
                  consent: false
                expect: {status: 400, timeout: false, closed: false, pattern: 'AADSTS\\d+'}
              - pop3:
                  mailbox: u@b.c
                  auth: none
                  read_timeout: 1500ms
                  commands:
                    - USER u@b.c
                    - {send: PASS p, expect: {status: '-err', line: '-ERR Logon failure', closed: true}}
              - imap: {mailbox: u@b.c, auth: none, commands: [{send: 'FETCH 1 BODY[]', expect: {bytes: 10, exists: 0}}]}
              - wait: 2s
              - deliver: {mailbox: u@b.c, folder: Inbox/Tickets, generate: {count: 1}}
              - repeat:
                  times: 2
                  steps: [{change: {kind: rotate_secret, app: 11111111-2222-3333-4444-555555555555, secret: n}}]
            """
        let s = try ScenarioLoader.load(yaml: yaml, fileName: "t.yaml", baseDirectory: nil)
        guard case .token(let t) = s.flow[0].action, case .pop3(let pop3) = s.flow[1].action,
            case .imap(let imap) = s.flow[2].action
        else {
            Issue.record("steps 0 to 2 are not token, pop3, imap")
            return
        }
        #expect([t.secret, t.password, t.prompt, t.loginHint, t.domainHint] == ["s", "q", "login", "u@b.c", "b.c"])
        #expect(t.pkce && !t.consent)
        #expect(s.flow[0].expect == Expectation(status: 400, pattern: "AADSTS\\d+", timeout: false, closed: false))
        #expect(s.flow[0].expect?.expectsFailure == true)
        #expect(pop3.auth == .none && pop3.token == nil && pop3.readTimeout == 1.5)
        #expect(pop3.commands.map(\.text) == ["USER u@b.c", "PASS p"])
        #expect(pop3.commands[1].expect == CommandExpectation(status: "-ERR", line: "-ERR Logon failure", closed: true))
        #expect(imap.commands[0].expect == CommandExpectation(exists: 0, bytes: 10))
        #expect(s.flow[3].action == .wait(seconds: 2))
        #expect(
            s.flow[4].action
                == .deliver(
                    Delivery(
                        mailbox: "u@b.c", folder: "Inbox/Tickets", message: .generated(count: 1, size: 2048, seed: 1)
                    )))
        #expect(
            s.flow[5].action
                == .repeatSteps(
                    Repeat(
                        times: 2,
                        steps: [
                            FlowStep(
                                action: .change(
                                    Change(
                                        kind: .rotateSecret, app: "11111111-2222-3333-4444-555555555555", secret: "n")),
                                location: SourceLocation(line: 33, column: 15)
                            )
                        ])))
    }

    @Test func documentedReadingRules() {
        #expect(DurationText.parse("1d12h") == 129_600)
        #expect(DurationText.parse("1w") == 604_800)
        // Merge keys are not applied: `<<` is an unknown key.
        let merge = """
            name: x
            clouds: [gcc]
            exchange:
              <<: {basic_auth: true}
            """
        #expect(lines(merge).first?.hasPrefix("t.yaml:4:3: exchange.<<: unknown key '<<'.") == true)
        // YAML 1.1 booleans count; quoted ones do not.
        let yes = "name: x\nclouds: [gcc]\nexchange: {basic_auth: yes}\n"
        #expect(lines(yes) == [])
        #expect(lines("name: x\nclouds: [gcc]\nexchange: {basic_auth: 'yes'}\n").count == 1)
        // Anchors and aliases work.
        let alias =
            "name: x\nclouds: &c [gcc]\ntenants: [{id: 8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a, cloud: gcc, domains: [b.c]}]\n"
            + "mailboxes: [{address: s@b.c, type: shared, folders: &f [{name: Inbox}]}, {address: t@b.c, type: shared, folders: *f}]\n"
        #expect(lines(alias) == [])
        // Fractional seconds and offsets in dates.
        #expect(lines("name: x\nclouds: [gcc]\nclock: {start: 2026-01-01T09:30:00.250-05:00}\n") == [])
    }
}
