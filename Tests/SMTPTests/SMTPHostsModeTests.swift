import EntraTokens
import ExomockTestSupport
import Foundation
import MicrosoftClouds
import Testing

/// `serve --hosts`: the China cloud's SMTP listener on 127.0.1.5:587, reached by its real name
/// `smtp.partner.outlook.cn` (curl `--resolve`, so /etc/hosts is left alone).
@Suite struct SMTPHostsModeTests {
    static let scenario = """
        version: 1
        name: smtp-hosts
        clouds: [china]
        tenants:
          - id: 10000000-0000-4000-8000-000000000004
            cloud: china
            domains: [contoso.partner.onmschina.cn]
        users:
          - upn: agent@contoso.partner.onmschina.cn
            password: x
        """

    @Test(
        "curl sends through smtp.partner.outlook.cn:587 (serve --hosts, root only)",
        .enabled(if: geteuid() == 0, "serve --hosts binds port 587 on 127.0.1.5, which needs root"),
        .timeLimit(.minutes(2)))
    func curlByTheRealName() throws {
        let mock = try ServedExomock(scenarioYAML: Self.scenario, hosts: true, label: "smtp-hosts")
        let cloud = try mock.cloud("china")
        let listener = try cloud.listener("smtp", tls: "starttls")
        #expect(listener.host == "127.0.1.5" && listener.port == 587)
        #expect(cloud.hostsLines?.first?.contains("smtp.partner.outlook.cn") == true)

        let china = Cloud.named(.china)
        let key = try CloudSigningKey.loadOrCreate(
            directory: mock.directory.appendingPathComponent("certs").path, cloud: .china)
        let now = 1_767_225_600
        let tenant = "10000000-0000-4000-8000-000000000004"
        let upn = "agent@contoso.partner.onmschina.cn"
        let token = TokenMinter(key: key).mint(
            AccessTokenClaims(
                aud: china.delegatedAudience, iss: china.v1Issuer(tenant: tenant), iat: now, nbf: now, exp: now + 3600,
                appid: "20000000-0000-4000-8000-000000000000", oid: "oid", scp: ["SMTP.Send"], sub: "sub", tid: tenant,
                upn: upn, uti: "uti"))
        let message = "From: \(upn)\r\nTo: someone@example.com\r\nSubject: hosts mode\r\n\r\nhi\r\n"
        let file = mock.directory.appendingPathComponent("message.eml")
        try message.write(to: file, atomically: true, encoding: .utf8)
        let result = try ServedExomock.curl([
            "-v", "--ssl-reqd", "--cacert", mock.ready.caFile, "--resolve", "smtp.partner.outlook.cn:587:127.0.1.5",
            "smtp://smtp.partner.outlook.cn:587", "--mail-from", upn, "--mail-rcpt", "someone@example.com", "--user",
            upn,
            "--oauth2-bearer", token, "-T", file.path,
        ])
        #expect(result.status == 0, "\(result.error)")
        #expect(
            result.error.contains("< 220 MN2PR01CA0007.partner.outlook.cn Microsoft ESMTP MAIL Service ready at"),
            "\(result.error)")
        #expect(result.error.contains("< 235 2.7.0 Authentication successful"), "\(result.error)")
        let outbox = try mock.admin.curl("/outbox").output
        let list = try JSONSerialization.jsonObject(with: Data(outbox.utf8)) as? [[String: Any]]
        #expect(list?.first?["cloud"] as? String == "china", "\(outbox)")
        #expect((list?.first?["content"] as? String)?.contains("Subject: hosts mode") == true, "\(outbox)")
        #expect(mock.stop() == 0, "exomock serve did not exit 0 on SIGTERM:\n\(mock.log)")
    }
}
