import ExomockTestSupport
import FlowRunner
import Foundation
import Testing

/// The `smtp` step against the mock's SMTP submission: the help desk's whole loop (the customer's mail is read
/// over IMAP, the reply goes out over SMTP and lands in the customer's Inbox), and the two refusals a ticket hits.
@Suite(.serialized) struct SMTPFlowTests {
    static let scenario = """
        version: 1
        name: smtp-loop
        seed: 9
        clock: {start: 2026-03-02T08:00:00Z}
        clouds: [gcc-high]
        tenants:
          - {id: 3b9d6f1a-7c2e-4e8b-a5d0-9f4c1e2b3a7d, cloud: gcc-high, domains: [agency.onmicrosoft.us]}
        apps:
          - name: Jira
            client_id: 6f2a9c3e-1b4d-4f7a-8e5c-2d9b0a7f6e13
            tenant: agency.onmicrosoft.us
            secrets: [{value: s}]
            delegated_permissions: [IMAP.AccessAsUser.All, SMTP.Send, offline_access]
            admin_consent: true
        users:
          - {upn: desk@agency.onmicrosoft.us, password: Desk-1, mailbox: true}
          - {upn: citizen@agency.onmicrosoft.us, password: Citizen-1, mailbox: true}
        mailboxes:
          - {address: desk@agency.onmicrosoft.us}
          - {address: citizen@agency.onmicrosoft.us}
          - {address: director@agency.onmicrosoft.us, type: shared}
        flow:
          - token: {tenant: agency.onmicrosoft.us, app: 6f2a9c3e-1b4d-4f7a-8e5c-2d9b0a7f6e13, grant: password,
                    user: desk@agency.onmicrosoft.us, save_as: desk,
                    scopes: ['https://outlook.office365.us/IMAP.AccessAsUser.All', 'https://outlook.office365.us/SMTP.Send']}
          - token: {tenant: agency.onmicrosoft.us, app: 6f2a9c3e-1b4d-4f7a-8e5c-2d9b0a7f6e13, grant: password,
                    user: citizen@agency.onmicrosoft.us, save_as: citizen,
                    scopes: ['https://outlook.office365.us/IMAP.AccessAsUser.All', 'https://outlook.office365.us/SMTP.Send']}
          - name: the citizen writes to the desk
            smtp: {mailbox: citizen@agency.onmicrosoft.us, token: citizen, to: [desk@agency.onmicrosoft.us],
                   subject: VPN token rejected, body: My token is rejected since Monday.}
          - name: the desk reads it
            imap:
              mailbox: desk@agency.onmicrosoft.us
              token: desk
              commands:
                - {send: SELECT INBOX, expect: {exists: 1}}
                - {send: 'FETCH 1 BODY[HEADER.FIELDS (SUBJECT)]', expect: {status: OK}}
          - name: the desk replies
            smtp:
              mailbox: desk@agency.onmicrosoft.us
              token: desk
              commands: [{send: NOOP, expect: {status: 250}}]
              to: [citizen@agency.onmicrosoft.us]
              subject: 'Re: VPN token rejected'
              body: |
                Your token was re-issued.
                .a line that starts with a dot survives dot-stuffing
          - name: the reply is in the citizen's Inbox
            imap:
              mailbox: citizen@agency.onmicrosoft.us
              token: citizen
              commands:
                - {send: SELECT INBOX, expect: {exists: 1}}
                # 81 bytes: the body's two lines with CRLF, the second unstuffed back to one leading dot.
                - {send: 'FETCH 1 BODY[TEXT]', expect: {bytes: 81}}
          - name: sending as the director without Send As
            smtp: {mailbox: desk@agency.onmicrosoft.us, token: desk, from: director@agency.onmicrosoft.us,
                   to: [citizen@agency.onmicrosoft.us], subject: Notice, body: x}
            expect: {success: false, pattern: '^554 5\\.2\\.252 SendAsDenied; desk@agency.onmicrosoft.us not allowed to send as director@agency.onmicrosoft.us'}

        """

    @Test func theHelpDeskLoopCloses() async throws {
        let directory = try TestSupport.temporaryDirectory("exomock-smtp-flow")
        let file = directory.appendingPathComponent("smtp-loop.yaml").path
        try Data(Self.scenario.utf8).write(to: URL(fileURLWithPath: file))
        let result = await FlowRunner.runFile(file, certificatesDirectory: FlowFixture.certificates, golden: .ignore)
        #expect(result.passed, "\(result.failure ?? result.setupError ?? "")")
        let transcript = result.transcript.text()
        #expect(transcript.contains("S 235 2.7.0 Authentication successful"))
        #expect(transcript.contains("C (message, 9 lines)  (+287 bytes)"))
    }
}
