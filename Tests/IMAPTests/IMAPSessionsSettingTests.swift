import ExomockTestSupport
import Foundation
import IMAPServer
import Journal
import ScenarioModel
import Testing

/// Python imaplib holds `imap_sessions_per_mailbox` + 1 sessions at once: the last one's AUTHENTICATE
/// succeeds and its SELECT gets Exchange's "authenticated but not connected" BAD.
let imaplibSessionsScript = #"""
    import imaplib, ssl, sys, json
    host, port, cafile, user, token, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
    ctx = ssl.create_default_context(cafile=cafile)
    auth = ("user=%s\x01auth=Bearer %s\x01\x01" % (user, token)).encode()
    sessions, out = [], []
    for i in range(n):
        M = imaplib.IMAP4_SSL(host, port, ssl_context=ctx)
        typ, _ = M.authenticate("XOAUTH2", lambda _: auth)
        sessions.append(M)
        try:
            typ, data = M.select("INBOX", readonly=True)
            out.append("SELECT " + typ)
        except imaplib.IMAP4.error as e:
            out.append("REFUSED " + str(e))
    print(json.dumps(out))
    """#

@Suite(.serialized) struct IMAPSessionsSettingTests {
    @Test("exchange.imap_sessions_per_mailbox: 2 lets two imaplib sessions in; the third is not connected")
    func thirdSessionIsNotConnected() async throws {
        try await withTimeLimit(90) {
            let live = try await LiveIMAP.start(settings: ExchangeSettings(imapSessionsPerMailbox: 2))
            defer { Task { await live.stop() } }
            #expect(live.server.sessions.limit == 2)
            let (dir, path) = try writeTemp("sessions.py", imaplibSessionsScript)
            defer { try? FileManager.default.removeItem(at: dir) }
            let r = try await runClient(
                "python3",
                [
                    path, "127.0.0.1", String(live.implicit.port), live.certificate.certificatePath, imapMailbox,
                    "good-token", "3",
                ],
                package: "python3")
            #expect(r.status == 0, "imaplib failed: \(r.error)")
            let lines = try JSONSerialization.jsonObject(with: Data(r.output.utf8)) as? [String]
            #expect(lines?.count == 3)
            #expect(lines?.prefix(2).allSatisfy { $0 == "SELECT OK" } == true)
            #expect(lines?.last?.contains("User is authenticated but not connected.") == true, "\(lines ?? [])")
            let notConnected = live.journal.events().filter { $0.event == .authNotConnected }
            #expect(notConnected.map { $0.detail["reason"] } == ["too_many_sessions"])
            #expect(notConnected.first?.detail["detail"]?.contains("more than 2 IMAP sessions") == true)
        }
    }
}
