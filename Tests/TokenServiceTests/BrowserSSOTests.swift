import ExomockTestSupport
import Foundation
import Testing

/// The SSO story of Atlassian's KB "Configure OAuth Custom Mail Handler for SSO in JSM Cloud"
/// (docs/sso-story.md) in headless Chromium, driven by Selenium (`clients/browser_sso.py`), against
/// `exomock serve`: the admin signs in through SSO; connecting the mail handler signs the admin in
/// silently and the code redeems to the admin's token; after the logout endpoint, the mailbox's account
/// signs in on the page and the code redeems to the mailbox's token.
///
/// Chromium trusts the exomock CA through `--ignore-certificate-errors-spki-list` (the CA's and the
/// cloud certificate's key hashes), never `--ignore-certificate-errors`. Needs Debian's `chromium` and
/// `chromium-driver`, `openssl`, and `pip install selenium requests`.
///
/// Screenshots go to a temporary directory; with `EXOMOCK_UPDATE_SCREENSHOTS=1` they replace
/// docs/images/sso/ (the scenario's seed and clock are fixed, so the pages' text repeats run to run).
@Suite("Chromium: the SSO mail-handler story")
struct BrowserSSOTests {
    static let tenantID = "8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a"
    static let ssoAppID = "22222222-3333-4444-5555-666666666666"
    static let handlerAppID = "11111111-2222-3333-4444-555555555555"
    static let ssoRedirect = "http://jira.contoso.example/login/callback"
    static let handlerRedirect = "http://jira.contoso.example/rest/oauth2/callback"
    static let admin = "admin@contoso.onmicrosoft.us"
    static let mailbox = "helpdesk@contoso.onmicrosoft.us"

    static let scenario = """
        version: 1
        name: sso-story
        description: Atlassian KB "Configure OAuth Custom Mail Handler for SSO in JSM Cloud" (docs/sso-story.md).
        seed: 3
        clock:
          start: 2026-01-01T09:00:00Z
        clouds: [gcc-high]
        tenants:
          - id: \(tenantID)
            name: Contoso (GCC High)
            cloud: gcc-high
            domains: [contoso.onmicrosoft.us]
        apps:
          - name: Atlassian Cloud
            client_id: \(ssoAppID)
            tenant: \(tenantID)
            secrets: [{value: sso-secret}]
            redirect_uris: [\(ssoRedirect)]
            delegated_permissions: [openid, profile, email, offline_access]
            admin_consent: true
          - name: Jira Service Management mail handler
            client_id: \(handlerAppID)
            tenant: \(tenantID)
            secrets: [{value: handler-secret}]
            redirect_uris: [\(handlerRedirect)]
            delegated_permissions: [IMAP.AccessAsUser.All, offline_access, openid, profile, email]
            admin_consent: true
        users:
          - upn: \(admin)
            display_name: Contoso Admin
            password: Admin-Pa55
          # The custom email account of the KB: the help desk mailbox, with an account that can sign in.
          - upn: \(mailbox)
            display_name: Help Desk
            password: Helpdesk-Pa55

        """

    @Test(
        "SSO signs the admin in silently; after logout the mailbox signs in on the page and gets the token",
        .timeLimit(.minutes(2)))
    func ssoStory() throws {
        _ = try locateProgram("chromium", package: "chromium (apt-get install chromium chromium-driver)")
        _ = try locateProgram("chromedriver", package: "chromium-driver (apt-get install chromium chromium-driver)")
        _ = try locateProgram("openssl", package: "openssl")
        try requirePythonModules(["selenium", "requests"], pip: "selenium requests")

        let mock = try ServedExomock(scenarioYAML: Self.scenario, label: "sso")
        let update = ProcessInfo.processInfo.environment["EXOMOCK_UPDATE_SCREENSHOTS"] == "1"
        let screenshots =
            update
            ? TestSupport.repositoryRoot.appendingPathComponent("docs/images/sso")
            : mock.directory.appendingPathComponent("screenshots")
        let result = try runProgram(
            "python3",
            [
                pythonClients.appendingPathComponent("browser_sso.py").path,
                "--ready-file", mock.readyFile, "--cloud", "gcc-high", "--tenant", Self.tenantID,
                "--sso-client-id", Self.ssoAppID, "--sso-secret", "sso-secret", "--sso-redirect", Self.ssoRedirect,
                "--client-id", Self.handlerAppID, "--client-secret", "handler-secret", "--redirect-uri",
                Self.handlerRedirect,
                "--admin", Self.admin, "--admin-password", "Admin-Pa55", "--mailbox", Self.mailbox,
                "--mailbox-password", "Helpdesk-Pa55",
                "--scope", "https://outlook.office365.us/IMAP.AccessAsUser.All offline_access openid profile",
                "--screenshots", screenshots.path, "--deadline", "50",
            ], package: "python3", timeout: 60)
        let context =
            "browser_sso.py exit \(result.status)\(result.timedOut ? " (killed at the timeout)" : ""):\n\(result.output)\n\(result.error)\n--- exomock serve:\n\(mock.log.suffix(2000))"
        #expect(!result.timedOut, "\(context)")
        #expect(result.status == 0, "\(context)")
        for line in result.output.split(separator: "\n") where line.contains(#""ok": false"#) {
            Issue.record("browser case failed: \(line)")
        }
        for name in [
            "sso.sign_in_page", "sso.admin_signed_in", "mail_handler.silent_admin", "logout",
            "mail_handler.sign_in_page", "mail_handler.mailbox",
        ] {
            #expect(
                result.output.contains(#"{"case": "\#(name)", "ok": true"#),
                "case \(name) missing or failed:\n\(context)")
        }

        // Eight PNG screenshots, one per page of the story.
        let files =
            (try? FileManager.default.contentsOfDirectory(atPath: screenshots.path).filter { $0.hasSuffix(".png") }
                .sorted()) ?? []
        #expect(files.count == 8, "screenshots: \(files)")
        for file in files {
            let data = try Data(contentsOf: screenshots.appendingPathComponent(file))
            #expect(
                data.starts(with: [0x89, 0x50, 0x4E, 0x47]) && data.count > 2_000, "\(file) is not a PNG of a page")
        }

        // What the token service decided, from its journal: the silent sign-in, the logout, the page sign-in.
        let events = try mock.journalEvents()
        let issued = events.filter { $0.event == "token.issued" && $0.detail["client"] == Self.handlerAppID }.compactMap
        { $0.detail["user"] }
        #expect(issued == [Self.admin, Self.mailbox], "mail handler tokens issued for \(issued)")
        #expect(
            events.contains {
                $0.event == "sso.cleared" && $0.detail["endpoint"] == "logout" && $0.detail["users"] == Self.admin
            })
        let pages = events.filter { $0.event == "authorize.page" }.compactMap { $0.detail["page"] }
        #expect(
            pages == ["signin", "signin"],
            "sign-in pages shown: \(pages) (one for the SSO sign-in, one after the logout; none for the silent one)")
        #expect(mock.stop() == 0, "exomock serve did not exit 0 on SIGTERM:\n\(mock.log)")
    }
}
