import Foundation
import ScenarioLoader
import ScenarioModel
import Testing

/// The `smtp` flow step: how it reads, its defaults, the commands it sends, and its located errors.
@Suite struct SMTPStepLoaderTests {
    static let head = """
        version: 1
        name: smtp
        clouds: [worldwide]
        tenants: [{id: 11111111-2222-3333-4444-555555555555, cloud: worldwide, domains: [contoso.com]}]
        apps:
          - {name: Jira, client_id: 6f2a9c3e-1b4d-4f7a-8e5c-2d9b0a7f6e13, tenant: 11111111-2222-3333-4444-555555555555,
             type: confidential, secrets: [{value: s}], delegated_permissions: [SMTP.Send, offline_access]}
        users: [{upn: desk@contoso.com, password: p, mailbox: true}]
        mailboxes: [{address: desk@contoso.com}]
        flow:
          - token: {tenant: contoso.com, app: 6f2a9c3e-1b4d-4f7a-8e5c-2d9b0a7f6e13, grant: password, user: desk@contoso.com,
                    scopes: [https://outlook.office.com/SMTP.Send], save_as: t}

        """

    static func load(_ steps: String) throws(ScenarioLoadError) -> Scenario {
        try ScenarioLoader.load(yaml: head + steps, fileName: "t.yaml", baseDirectory: nil)
    }

    static func problems(_ steps: String) -> [String] {
        do {
            _ = try load(steps)
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test func aMessageBecomesMailFromRcptToAndData() throws {
        let scenario = try Self.load(
            """
              - smtp:
                  mailbox: desk@contoso.com
                  token: t
                  commands: [{send: NOOP, expect: {status: 250}}]
                  to: [customer@fabrikam.com, boss@fabrikam.com]
                  subject: "Re: VPN"
                  body: Fixed.
            """)
        guard case .smtp(let step) = try #require(scenario.flow.last).action else {
            Issue.record("not an smtp step")
            return
        }
        #expect(step.session.tls == .starttls)
        #expect(step.session.commands[0].expect?.status == "250")
        #expect(
            step.message
                == OutgoingMessage(
                    to: ["customer@fabrikam.com", "boss@fabrikam.com"], subject: "Re: VPN", body: "Fixed."))
        let commands = step.commands(text: "BODY")
        #expect(
            commands.map(\.text) == [
                "NOOP", "MAIL FROM:<desk@contoso.com>", "RCPT TO:<customer@fabrikam.com>",
                "RCPT TO:<boss@fabrikam.com>", "DATA",
            ])
        #expect(commands.last?.data == "BODY")
    }

    @Test func withoutRecipientsThereIsNoMessage() throws {
        let scenario = try Self.load(
            """
              - smtp: {mailbox: desk@contoso.com, token: t}
            """)
        guard case .smtp(let step) = try #require(scenario.flow.last).action else {
            Issue.record("not an smtp step")
            return
        }
        #expect(step.message == nil)
        #expect(step.commands(text: "x").isEmpty)
    }

    @Test func aHostMustBeOneOfTheCloudsMailHosts() throws {
        let scenario = try Self.load(
            """
              - smtp: {mailbox: desk@contoso.com, token: t, host: smtp.office365.com}
              - imap: {mailbox: desk@contoso.com, token: t, host: outlook.office365.com}
            """)
        #expect(scenario.flow.compactMap(\.mailSession?.host) == ["smtp.office365.com", "outlook.office365.com"])
        #expect(
            Self.problems(
                """
                  - imap: {mailbox: desk@contoso.com, token: t, host: outlook.office365.us}
                """) == [
                    "t.yaml:13:55: flow[1].imap.host: 'outlook.office365.us' is not a host of cloud 'worldwide'. Use one of: outlook.office365.com, smtp.office365.com (docs/clouds.md)."
                ])
    }

    @Test func mistakesAreLocated() {
        #expect(
            Self.problems(
                """
                  - smtp: {mailbox: desk@contoso.com, token: t, tls: implicit, subject: hi}
                """) == [
                    "t.yaml:13:11: flow[1].smtp.to: missing required key 'to' in smtp step. Add `to:` to this smtp step."
                ])
        #expect(
            Self.problems(
                """
                  - smtp: {mailbox: desk@contoso.com, token: t, tls: implicit}
                """) == [
                    "t.yaml:13:54: flow[1].smtp.tls: Exchange Online's SMTP submission is STARTTLS on port 587, not implicit TLS. Remove `tls:` (STARTTLS is the default for smtp steps)."
                ])
        #expect(
            Self.problems(
                """
                  - smtp: {mailbox: desk@contoso.com, token: t, commands: [{send: NOOP, expect: {status: 250x}}]}
                """
            ).first?.contains("unknown status '250x'") == true)
    }
}
