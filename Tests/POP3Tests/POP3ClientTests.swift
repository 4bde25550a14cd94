import ExomockTestSupport
import Foundation
import ScenarioModel
import Testing

/// Real clients against real listeners on 127.0.0.1 (port 0). Each external process has a timeout;
/// a missing client fails the test naming the package to install.
@Suite(.serialized) struct POP3ClientTests {
    // MARK: Python poplib

    func poplib(
        _ live: LivePOP3, stls: Bool = false, token: String = "good-token", user: String = testMailbox,
        _ actions: String
    )
        async throws -> [String: Any]
    {
        let port = stls ? live.starttls.port : live.implicit.port
        let result = try await runClient(
            "python3",
            [
                "-c", poplibScript, stls ? "pop3" : "pop3s", "localhost", String(port),
                live.certificate.certificatePath, user, token, actions,
            ],
            package: "python3"
        )
        guard result.status == 0, !result.timedOut,
            let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        else {
            throw TestFailure(
                "python3 poplib failed (status \(result.status), timed out \(result.timedOut)): \(result.output) \(result.error)"
            )
        }
        return object
    }

    func steps(_ output: [String: Any]) -> [String: Any] {
        Dictionary(
            (output["steps"] as? [[Any]] ?? []).map { ($0[0] as! String, $0[1]) }, uniquingKeysWith: { a, _ in a })
    }

    @Test func poplibImplicitTLSTwoStepXOAUTH2ReadDeleteQuit() async throws {
        try await withLive(timeout: 120) { live in
            let out = try await poplib(live, "capa,auth2,stat,uidl,retr2,top1,dele1,quit")
            #expect(
                out["welcome"] as? String
                    == "+OK The Microsoft Exchange POP3 service is ready. [TQBOADIAUABSADAAMQBDAEEAMAAwADAANwA=]")
            let s = steps(out)
            #expect(s["capa"] as? [String] == ["SASL PLAIN XOAUTH2", "TOP", "UIDL", "USER"])
            #expect(s["auth2"] as? [String] == ["+ ", "+OK User successfully authenticated."])
            let sizes = sampleMessages.map { $0.utf8.count }
            #expect(s["stat"] as? [Int] == [3, sizes.reduce(0, +)])
            #expect(s["uidl"] as? [String] == ["1 1767225600-1", "2 1767225600-2", "3 1767225600-3"])
            #expect(s["retr2"] as? String == sampleMessages[1])  // poplib un-stuffs the dots
            #expect(
                s["top1"] as? String
                    == "From: a@example.com\r\nTo: helpdesk@contoso.onmicrosoft.us\r\nSubject: [HD-1] printer\r\n\r\n")
            #expect(s["quit"] as? String == "+OK Microsoft Exchange Server POP3 server signing off.")
            #expect(live.store.uids(testMailbox) == [2, 3])
            // ids are stable across sessions
            let again = steps(try await poplib(live, "auth1,uidl,quit"))
            #expect(again["auth1"] as? String == "+OK User successfully authenticated.")
            #expect(again["uidl"] as? [String] == ["1 1767225600-2", "2 1767225600-3"])
        }
    }

    @Test func poplibSTLSThenXOAUTH2() async throws {
        try await withLive(timeout: 120) { live in
            let out = try await poplib(live, stls: true, "capa,auth2,stat,quit")
            #expect(out["capa_before_tls"] as? [String] == ["SASL PLAIN XOAUTH2", "STLS", "TOP", "UIDL", "USER"])
            let s = steps(out)
            #expect(s["capa"] as? [String] == ["SASL PLAIN XOAUTH2", "TOP", "UIDL", "USER"])
            #expect(s["auth2"] as? [String] == ["+ ", "+OK User successfully authenticated."])
        }
    }

    @Test func poplibFailureLines() async throws {
        try await withLive(timeout: 120) { live in
            let failure = "ERROR -ERR Authentication failure: unknown user name or bad password."
            #expect(steps(try await poplib(live, token: "expired-token", "auth1,quit"))["auth1"] as? String == failure)
            let two = steps(try await poplib(live, token: "wrong-aud-token", "auth2,quit"))
            #expect(two["auth2"] as? String == failure)
            let basic = steps(try await poplib(live, token: "Passw0rd!", "userpass,quit"))
            #expect(basic["userpass"] as? String == "ERROR -ERR Logon failure: unknown user name or bad password.")
            try await live.waitUntilIdle()
            #expect(
                live.events(.authFailed).map { $0["reason"] ?? "" } == [
                    "token_expired", "wrong_audience", "basic_auth_disabled",
                ])
        }
    }

    @Test func poplibDropBeforeQuitLosesDeletionsAndSecondSessionIsRefused() async throws {
        let exclusive = ExchangeSettings(pop3Maildrop: .exclusive, pop3XOAUTH2InitialResponse: .accept)
        try await withLive(timeout: 120, settings: exclusive) { live in
            let s = steps(try await poplib(live, "auth1,dele1,dele2,second,drop"))
            #expect(
                s["second"] as? String
                    == "ERROR -ERR The mailbox is in use by another POP3 session; close it with QUIT and try again.")
            try await live.waitUntilIdle()
            #expect(live.store.uids(testMailbox) == [1, 2, 3])
            #expect(live.store.locks.holder(of: testMailbox) == nil)
            // the lock is free again
            #expect(
                steps(try await poplib(live, "auth1,stat,quit"))["stat"] as? [Int] == [
                    3, sampleMessages.map { $0.utf8.count }.reduce(0, +),
                ])
        }
    }

    // MARK: curl

    func curl(_ arguments: [String]) async throws -> ProgramResult {
        let result = try await runClient(
            "curl", ["-sS", "-v", "--max-time", "30"] + arguments, package: "curl", timeout: 60)
        #expect(!result.timedOut)
        return result
    }

    @Test func curlPop3sRetrieveAndDeleteWithOAuth2Bearer() async throws {
        try await withLive(timeout: 120) { live in
            let base = "pop3s://localhost:\(live.implicit.port)"
            let auth = [
                "--cacert", live.certificate.certificatePath, "-u", testMailbox, "--oauth2-bearer", "good-token",
            ]
            let retr = try await curl(auth + ["\(base)/1"])
            #expect(retr.status == 0, "\(retr.error)")
            #expect(retr.output == sampleMessages[0])
            #expect(retr.error.contains("> AUTH XOAUTH2"))
            let dele = try await curl(auth + ["-X", "DELE 1", "-I", "\(base)/"])
            #expect(dele.status == 0, "\(dele.error)")
            try await live.waitUntilIdle()
            #expect(live.store.uids(testMailbox) == [2, 3])
        }
    }

    @Test func curlSTLSWithSslReqdListsMessages() async throws {
        try await withLive(timeout: 120) { live in
            let list = try await curl([
                "--ssl-reqd", "--cacert", live.certificate.certificatePath, "-u", testMailbox, "--oauth2-bearer",
                "good-token",
                "pop3://localhost:\(live.starttls.port)/",
            ])
            #expect(list.status == 0, "\(list.error)")
            let sizes = sampleMessages.map { $0.utf8.count }
            #expect(list.output == "1 \(sizes[0])\r\n2 \(sizes[1])\r\n3 \(sizes[2])\r\n")
            #expect(list.error.contains("> STLS"))
            #expect(list.error.contains("< +OK Begin TLS negotiation."))
        }
    }

    @Test func curlBadTokenSeesExchangesFailureLine() async throws {
        try await withLive(timeout: 120) { live in
            let result = try await curl([
                "--cacert", live.certificate.certificatePath, "-u", testMailbox, "--oauth2-bearer", "expired-token",
                "pop3s://localhost:\(live.implicit.port)/1",
            ])
            #expect(result.status == 67, "\(result.error)")
            #expect(result.error.contains("< -ERR Authentication failure: unknown user name or bad password."))
        }
    }

    // MARK: Jakarta Mail 2

    func jakarta(_ live: LivePOP3, token: String, action: String) async throws -> ProgramResult {
        let classpath = try JakartaMail.classpath(className: "Pop3Check", source: jakartaProgram)
        return try await runClient(
            "java",
            [
                "-cp", classpath, "Pop3Check", "localhost", String(live.implicit.port),
                live.certificate.certificatePath,
                testMailbox, token, action,
            ],
            package: "default-jre-headless", timeout: 90
        )
    }

    @Test func jakartaMailOneLineXOAUTH2ReadAndDelete() async throws {
        try await withLive(timeout: 300) { live in
            let read = try await jakarta(live, token: "good-token", action: "delete")
            #expect(read.status == 0, "\(read.output)\n\(read.error)")
            #expect(read.output.contains("COUNT 3"))
            #expect(read.output.contains("BYTES \(sampleMessages[0].utf8.count)"))
            #expect(read.output.contains("SUBJECT [HD-1] printer"))
            #expect(read.error.contains("AUTH XOAUTH2 "))  // one line, with the initial response
            #expect(read.error.contains("+OK User successfully authenticated."))
            try await live.waitUntilIdle()
            #expect(live.store.uids(testMailbox) == [2, 3])
        }
    }

    @Test func jakartaMailFailureSurfacesAsAuthenticationFailed() async throws {
        try await withLive(timeout: 300) { live in
            let result = try await jakarta(live, token: "wrong-aud-token", action: "read")
            #expect(result.status == 1, "\(result.output)\n\(result.error)")
            #expect(result.output.contains("AUTHFAIL"))
            #expect(result.error.contains("-ERR Authentication failure: unknown user name or bad password."))
            #expect(!result.error.contains("STAT"))  // no PIPELINING: Jakarta does not pipeline into SASL
        }
    }
}
