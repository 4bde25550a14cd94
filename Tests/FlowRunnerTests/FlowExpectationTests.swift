import FlowRunner
import Foundation
import Testing

/// Every flow action and expectation kind, played against a real mock: the steps before the last
/// hold their (right) expectations; the last step's expectation is wrong and must fail the run with
/// `FILE:LINE: step 'wrong': expected …, got …`.
@Suite(.serialized) struct FlowExpectationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        var flow: String
        var faults: String = ""
        /// What the failure says after `step 'wrong': `.
        var message: String
        var testDescription: String { label }
    }

    static let a = FlowFixture.app
    static let cases: [Case] = [
        Case(
            label: "token client_credentials, success expected wrongly as a failure",
            flow: FlowFixture.appToken + """
                  - name: wrong
                    token: {tenant: fabrikam.example, app: \(a), grant: client_credentials, scopes: ['https://outlook.office.com/.default']}
                    expect: {error_code: 7000215}

                """,
            message: "expected a failure, got a token (HTTP 200)"),
        Case(
            label: "token password grant, OAuth error",
            flow: """
                  - name: right password
                    token: {tenant: fabrikam.example, app: \(a), grant: password, user: support@fabrikam.example, scopes: ['https://outlook.office.com/IMAP.AccessAsUser.All']}
                  - name: wrong
                    token: {tenant: fabrikam.example, app: \(a), grant: password, user: support@fabrikam.example, password: nope, scopes: ['https://outlook.office.com/IMAP.AccessAsUser.All']}
                    expect: {error: invalid_client}

                """,
            message: "expected error invalid_client, got error invalid_grant (HTTP 400 invalid_grant AADSTS50126)"),
        Case(
            label: "authorization_code through the sign-in page with PKCE, then refresh_token, AADSTS code",
            flow: """
                  - name: browser
                    token: {tenant: fabrikam.example, app: \(a), grant: authorization_code, user: support@fabrikam.example, pkce: true, prompt: select_account, login_hint: support@fabrikam.example, scopes: ['https://outlook.office.com/IMAP.AccessAsUser.All', offline_access], save_as: d}
                  - advance: 89d
                  - name: refresh still alive
                    token: {tenant: fabrikam.example, app: \(a), grant: refresh_token, from: d, scopes: ['https://outlook.office.com/IMAP.AccessAsUser.All']}
                  - advance: 91d
                  - name: wrong
                    token: {tenant: fabrikam.example, app: \(a), grant: refresh_token, from: d, scopes: ['https://outlook.office.com/IMAP.AccessAsUser.All']}
                    expect: {error_code: 50173}

                """,
            message: "expected AADSTS50173, got AADSTS700082"),
        Case(
            label: "device_code approved on the device page",
            flow: """
                  - name: device
                    token: {tenant: fabrikam.example, app: \(FlowFixture.deviceApp), grant: device_code, user: support@fabrikam.example, scopes: ['https://outlook.office.com/IMAP.AccessAsUser.All'], save_as: dev}
                  - name: wrong
                    token: {tenant: fabrikam.example, app: \(FlowFixture.deviceApp), grant: device_code, user: support@fabrikam.example, scopes: ['https://outlook.office.com/IMAP.AccessAsUser.All']}
                    expect: {success: false}

                """,
            message: "expected a failure, got a token (HTTP 200)"),
        Case(
            label: "HTTP status of a throttled grant",
            flow: """
                  - name: throttled
                    token: {tenant: fabrikam.example, app: \(a), grant: client_credentials, scopes: ['https://outlook.office.com/.default']}
                    expect: {status: 429}
                  - name: wrong
                    token: {tenant: fabrikam.example, app: \(a), grant: client_credentials, scopes: ['https://outlook.office.com/.default']}
                    expect: {status: 503}

                """,
            faults: "  - {service: token, kind: throttle, match: client_credentials, seconds: 5s}",
            message: "expected HTTP 503, got HTTP 429"),
        Case(
            label: "IMAP commands: status, line, exists, pattern; a wrong byte count",
            flow: FlowFixture.appToken + """
                  - name: wrong
                    imap:
                      mailbox: support@fabrikam.example
                      token: app
                      commands:
                        - {send: SELECT INBOX, expect: {status: OK, exists: 3, line: 'TAG OK [READ-WRITE] SELECT completed.'}}
                        - {send: 'UID SEARCH ALL', expect: {pattern: '^\\* SEARCH 1 2 3$'}}
                        - {send: 'FETCH 1 BODY.PEEK[]', expect: {bytes: 1}}

                """,
            message: "expected command 'FETCH 1 BODY.PEEK[]' to carry 1 bytes of message data, got"),
        Case(
            label: "POP3 over STLS: a wrong status",
            flow: FlowFixture.appToken + """
                  - name: wrong
                    pop3:
                      mailbox: support@fabrikam.example
                      token: app
                      tls: starttls
                      commands:
                        - {send: STAT, expect: {status: '+OK', pattern: '^\\+OK 3 \\d+$'}}
                        - {send: RETR 9, expect: {status: '+OK'}}

                """,
            message: "expected command 'RETR 9' to answer +OK, got"),
        Case(
            label: "advance: an expired access token, and a step-level line",
            flow: FlowFixture.appToken + """
                  - advance: 2h
                  - name: wrong
                    imap: {mailbox: support@fabrikam.example, token: app}
                    expect: {success: false, line: 'TAG NO LOGIN failed.'}

                """,
            message: "expected the line 'TAG NO LOGIN failed.', got authentication refused: A1 NO AUTHENTICATE failed."),
        Case(
            label: "refresh before the mail session when the token expired",
            flow: """
                  - name: browser
                    token: {tenant: fabrikam.example, app: \(a), grant: authorization_code, user: support@fabrikam.example, scopes: ['https://outlook.office.com/IMAP.AccessAsUser.All', offline_access], save_as: d}
                  - advance: 3h
                  - name: handler refreshes, then reads
                    imap: {mailbox: support@fabrikam.example, token: d, refresh: true, commands: [SELECT INBOX]}
                  - name: wrong
                    imap: {mailbox: support@fabrikam.example, token: d, commands: [SELECT INBOX]}
                    expect: {pattern: 'EXISTS 3$'}

                """,
            message: "expected a line matching /EXISTS 3$/, got imap session completed"),
        Case(
            label: "revoke_sessions kills the refresh token",
            flow: """
                  - name: browser
                    token: {tenant: fabrikam.example, app: \(a), grant: authorization_code, user: support@fabrikam.example, scopes: ['https://outlook.office.com/IMAP.AccessAsUser.All', offline_access], save_as: d}
                  - revoke_sessions: support@fabrikam.example
                  - name: wrong
                    token: {tenant: fabrikam.example, app: \(a), grant: refresh_token, from: d, scopes: ['https://outlook.office.com/IMAP.AccessAsUser.All']}

                """,
            message: "expected success, got HTTP 400 invalid_grant AADSTS50173"),
        Case(
            label: "change: IMAP disabled for the mailbox",
            flow: FlowFixture.appToken + """
                  - change: {kind: disable_imap, mailbox: support@fabrikam.example}
                  - name: not connected
                    imap:
                      mailbox: support@fabrikam.example
                      token: app
                      commands: [{send: SELECT INBOX, expect: {status: BAD, closed: true}}]
                  - name: wrong
                    change: {kind: enable_imap, mailbox: support@fabrikam.example}
                    expect: {success: false}

                """,
            message: "expected a failure, got enable_imap done"),
        Case(
            label: "deliver: two generated messages",
            flow: FlowFixture.appToken + """
                  - deliver: {mailbox: support@fabrikam.example, generate: {count: 2, size: 1KiB, seed: 9}}
                  - name: wrong
                    imap:
                      mailbox: support@fabrikam.example
                      token: app
                      commands: [{send: SELECT INBOX, expect: {exists: 4}}]

                """,
            message: "expected command 'SELECT INBOX' to report 4 EXISTS, got 5 EXISTS"),
        Case(
            label: "wait and a read timeout against a latency fault",
            flow: FlowFixture.appToken + """
                  - wait: 100ms
                  - name: slow select
                    imap:
                      mailbox: support@fabrikam.example
                      token: app
                      read_timeout: 300ms
                      commands: [SELECT INBOX]
                    expect: {timeout: true}
                  - name: wrong
                    imap: {mailbox: support@fabrikam.example, token: app, commands: [NOOP]}
                    expect: {timeout: true}

                """,
            faults: "  - {service: imap, kind: latency, match: SELECT, seconds: 1s, count: 1}",
            message: "expected a failure, got imap session completed"),
        Case(
            label: "closed: a disconnect fault",
            flow: FlowFixture.appToken + """
                  - name: wrong
                    imap: {mailbox: support@fabrikam.example, token: app, commands: [SELECT INBOX]}
                    expect: {success: false, closed: false}

                """,
            faults: "  - {service: imap, kind: disconnect, match: SELECT}",
            message: "expected the connection to stay open, got the server closed the connection at 'SELECT INBOX'"),
        Case(
            label: "repeat: every 15 minutes for 2 hours, refreshing as a handler does",
            flow: """
                  - name: browser
                    token: {tenant: fabrikam.example, app: \(a), grant: authorization_code, user: support@fabrikam.example, scopes: ['https://outlook.office.com/IMAP.AccessAsUser.All', offline_access], save_as: d}
                  - name: poll
                    repeat:
                      every: 15m
                      for: 2h
                      steps:
                        - imap: {mailbox: support@fabrikam.example, token: d, refresh: true, commands: [SELECT INBOX]}
                  - name: loop
                    repeat:
                      times: 2
                      steps:
                        - name: wrong
                          imap:
                            mailbox: support@fabrikam.example
                            token: d
                            refresh: true
                            commands: [{send: SELECT INBOX, expect: {exists: 99}}]

                """,
            message: "expected command 'SELECT INBOX' to report 99 EXISTS, got 3 EXISTS"),
    ]

    @Test(arguments: cases) func wrongExpectationFailsWithItsLocation(_ c: Case) async throws {
        let (result, file) = try await FlowFixture.play(flow: c.flow, faults: c.faults)
        #expect(result.setupError == nil, "\(result.setupError ?? "")\n\(result.transcript.text())")
        #expect(!result.passed)
        let failure = try #require(result.failure, "\(result.transcript.text())")
        // The step's line, or for a command's own expectation the command's line.
        let marker =
            c.message.hasPrefix("expected command '") ? "\(c.message.split(separator: "'")[1])" : "- name: wrong"
        let line = try FlowFixture.line(of: marker, in: file)
        let expected = "\(file):\(line): step 'wrong': \(c.message)"
        #expect(failure.hasPrefix(expected), "\(failure)\n--- transcript ---\n\(result.transcript.text())")
        #expect(result.transcript.text().contains("# FAILED \(file):\(line): step 'wrong'"))
    }
}
