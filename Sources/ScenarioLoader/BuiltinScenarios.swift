/// Scenarios built into exomock, so it can run one with no file.
public enum BuiltinScenarios {
    /// `Scenarios/quickstart.yaml`, byte for byte (a test compares them). Edit the file, then copy
    /// it here between the delimiters, indented by four spaces.
    public static let quickstartYAML = #"""
        # exomock quickstart: one GCC High tenant, one Jira-style mail handler app, one admin user and
        # a shared helpdesk mailbox with five messages. exomock carries a byte-identical copy
        # (BuiltinScenarios.quickstartYAML), so it needs no file to run this one. Check it with
        # `exomock check Scenarios/quickstart.yaml`. Format: docs/scenario-format.md.

        # The scenario format version. 1 is the only one.
        version: 1
        name: quickstart
        description: >-
          A GCC High tenant with a confidential mail handler app that reads the shared
          helpdesk mailbox over IMAP or POP3, either as the admin user (delegated) or as
          itself (client credentials).

        # Seeds every id exomock makes (GUIDs, token ids, generated mail), so two runs match byte for byte.
        seed: 1

        # Virtual time: it starts here and moves only when told (a flow's `advance`, POST /clock/advance).
        clock:
          start: 2026-01-01T00:00:00Z
          mode: virtual

        # The Microsoft clouds to stand in for. GCC High: login.microsoftonline.us, outlook.office365.us.
        clouds: [gcc-high]

        # Entra ID tenants (directories): id, cloud, and the verified domains users and mailboxes live in.
        tenants:
          - id: 8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a
            name: Contoso (GCC High)
            cloud: gcc-high
            domains: [contoso.onmicrosoft.us]

        # App registrations. This one is a confidential client, as Jira's or JSM's custom OAuth 2.0
        # integration is: it holds a secret, redirects the browser back to its callback, and an admin
        # consented to its permissions for the whole tenant.
        apps:
          - name: Jira mail handler
            client_id: 11111111-2222-3333-4444-555555555555
            tenant: 8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a
            type: confidential
            secrets:
              - value: quickstart-secret          # no `expires`: never expires
            redirect_uris: [http://localhost:8080/callback]
            delegated_permissions: [IMAP.AccessAsUser.All, POP.AccessAsUser.All, offline_access]
            application_permissions: [IMAP.AccessAsApp, POP.AccessAsApp]
            admin_consent: true
            # The app's service principal has FullAccess here (Add-MailboxPermission), so app-only
            # tokens can open it.
            mailbox_access: [helpdesk@contoso.onmicrosoft.us]

        # Users who can sign in. The admin has a mailbox of their own and FullAccess to the helpdesk.
        users:
          - upn: admin@contoso.onmicrosoft.us
            display_name: Contoso Admin
            password: Quickstart-Pa55
            mfa: false
            mailbox: true
            full_access: [helpdesk@contoso.onmicrosoft.us]

        # Mailboxes beyond the users' own. Every mailbox gets Exchange's default folders; folders
        # listed here add messages (generated ones need no files, so this scenario is self-contained).
        mailboxes:
          - address: helpdesk@contoso.onmicrosoft.us
            type: shared
            imap_enabled: true
            pop_enabled: true
            folders:
              - name: Inbox
                messages:
                  - generate: {count: 5, size: 2KiB, seed: 1}

        # Token and code lifetimes: Microsoft's defaults, written out.
        lifetimes:
          access_token: 1h                 # Microsoft: 60-90 min at random; exomock: fixed, so runs repeat
          refresh_token_inactivity: 90d    # unused this long: AADSTS700082
          authorization_code: 10m
          device_code: 15m
          id_token: 1h

        # A client flow to play with `exomock run` (and an example of the syntax): the app gets an
        # app-only token from GCC High, then logs in to the helpdesk mailbox over IMAP with XOAUTH2.
        flow:
          - name: app-only token from GCC High
            token:
              cloud: gcc-high
              tenant: 8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a
              app: 11111111-2222-3333-4444-555555555555
              grant: client_credentials
              scopes: [https://outlook.office365.us/.default]
              save_as: app-token
            expect: {success: true}
          - name: IMAP login to the helpdesk mailbox
            imap:
              mailbox: helpdesk@contoso.onmicrosoft.us
              token: app-token
              commands: [SELECT INBOX]
            expect: {success: true}

        """#
}
