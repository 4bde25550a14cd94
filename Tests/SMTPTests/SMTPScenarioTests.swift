import ScenarioLoader
import ScenarioModel
import Testing

/// The scenario keys for SMTP: `tenants[].smtp_client_authentication_disabled`, and per mailbox
/// `smtp_client_authentication_disabled` and `send_as`; a bad one is a located error.
@Suite struct SMTPScenarioTests {
    static func yaml(sendAs: String = "[agent@contoso.onmicrosoft.com]", tenantFlag: String = "true") -> String {
        """
        version: 1
        name: smtp-keys
        clouds: [worldwide]
        tenants:
          - id: 10000000-0000-4000-8000-000000000001
            cloud: worldwide
            domains: [contoso.onmicrosoft.com]
            smtp_client_authentication_disabled: \(tenantFlag)
        users:
          - upn: agent@contoso.onmicrosoft.com
            password: x
        mailboxes:
          - address: helpdesk@contoso.onmicrosoft.com
            type: shared
            smtp_client_authentication_disabled: false
            send_as: \(sendAs)
        """
    }

    @Test func keysLoadAndDecide() throws {
        let s = try ScenarioLoader.load(yaml: Self.yaml(), fileName: "t.yaml", baseDirectory: nil)
        #expect(s.tenants[0].smtpClientAuthenticationDisabled)
        let helpdesk = try #require(s.mailbox(address: "helpdesk@contoso.onmicrosoft.com"))
        let agent = try #require(s.mailbox(address: "agent@contoso.onmicrosoft.com"))
        #expect(s.smtpClientAuthentication(for: helpdesk) == .enabled)  // the mailbox turns it back on
        #expect(s.smtpClientAuthentication(for: agent) == .disabledForTenant)
        #expect(s.hasSendAs(trustee: "AGENT@contoso.onmicrosoft.com", on: "helpdesk@contoso.onmicrosoft.com"))
        #expect(!s.hasSendAs(trustee: "agent@contoso.onmicrosoft.com", on: "agent@contoso.onmicrosoft.com"))
    }

    @Test func badValuesAreLocatedErrors() {
        func problems(_ yaml: String) -> [String] {
            ScenarioLoader.problems(yaml: yaml, fileName: "t.yaml")
        }
        let unknown = problems(Self.yaml(sendAs: "[nobody@contoso.onmicrosoft.com]"))
        #expect(
            unknown == [
                "t.yaml:16:15: mailboxes[0].send_as[0]: 'nobody@contoso.onmicrosoft.com' is neither a user's UPN nor an app's "
                    + "client id. Name a user under `users` (by `upn`) or an app under `apps` (by `client_id`)."
            ], "\(unknown)")
        let notBool = problems(Self.yaml(tenantFlag: "sometimes"))
        #expect(
            notBool.count == 1 && notBool[0].hasPrefix("t.yaml:8:42: tenants[0].smtp_client_authentication_disabled: "),
            "\(notBool)")
    }
}
