import ListenerSupport
import MailAuthentication
import MailStore
import POP3Server
import POP3Wire
import Testing

@Suite struct POP3SessionTests {
    typealias Effect = POP3Session.Effect
    let snapshot = MaildropSnapshot(
        uidValidity: 42,
        messages: sampleMessages.enumerated().map {
            MaildropMessage(uid: UInt32($0.offset + 7), content: Array($0.element.utf8))
        }
    )
    let grant = MailGrant(mailbox: testMailbox, principal: testMailbox, appOnly: false)

    func session(basicAuth: Bool = false, stls: Bool = false) -> POP3Session {
        POP3Session(
            configuration: .init(
                serverName: "MN2PR01CA0007", basicAuth: basicAuth, offersSTLS: stls, xoauth2InitialResponse: .accept),
            tlsActive: !stls
        )
    }

    func line(_ text: String) -> POP3Frame { .line(Array(text.utf8)) }

    func sends(_ effects: [Effect]) -> [String] {
        effects.compactMap { if case .send(let r) = $0 { r.statusLine } else { nil } }
    }

    /// A session in TRANSACTION on `snapshot`.
    func loggedIn() -> POP3Session {
        var s = session()
        #expect(
            s.received(line("AUTH XOAUTH2 \(xoauth2("good"))")) == [
                .authenticateXOAUTH2(.init(user: testMailbox, token: "good"))
            ])
        #expect(s.authenticated(.granted(grant)) == [.openMaildrop(mailbox: testMailbox)])
        #expect(sends(s.maildropOpened(.success(snapshot))) == ["+OK User successfully authenticated."])
        return s
    }

    @Test func greetingCarriesTheServerNameInUTF16LEBase64() {
        #expect(
            session().greeting.statusLine
                == "+OK The Microsoft Exchange POP3 service is ready. [TQBOADIAUABSADAAMQBDAEEAMAAwADAANwA=]")
        // UTF-16LE code units, a surrogate pair included (Python: base64(name.encode("utf-16-le"))).
        #expect(ExchangeServerName.greetingToken("Ä😀") == "xAA92ADe")
        #expect(POP3Texts.greeting(serverName: "Ä😀").hasSuffix("[xAA92ADe]"))
    }

    @Test func capaIsExchangesListAndSTLSOnlyBeforeTLSOnAPlainListener() {
        var implicit = session()
        #expect(
            implicit.received(line("CAPA")) == [
                .send(.multiline("", lines: ["TOP", "UIDL", "SASL PLAIN XOAUTH2", "USER"]))
            ])
        var plain = session(stls: true)
        #expect(
            plain.received(line("CAPA")) == [
                .send(.multiline("", lines: ["TOP", "UIDL", "SASL PLAIN XOAUTH2", "USER", "STLS"]))
            ])
        #expect(
            plain.received(line("STLS")) == [
                .send(.ok("Begin TLS negotiation.")), .startTLS, .record(.tlsStarted, [:]),
            ])
        #expect(
            plain.received(line("CAPA")) == [
                .send(.multiline("", lines: ["TOP", "UIDL", "SASL PLAIN XOAUTH2", "USER"]))
            ])
        #expect(sends(plain.received(line("STLS"))) == ["-ERR Command is not valid in this state."])
        #expect(sends(implicit.received(line("STLS"))) == ["-ERR Command is not valid in this state."])
    }

    @Test func xoauth2TwoStepWithContinuation() {
        var s = session()
        #expect(s.received(line("AUTH XOAUTH2")) == [.send(.challenge(""))])
        #expect(s.state == .awaitingSASL(.xoauth2))
        #expect(s.received(line(xoauth2("good"))) == [.authenticateXOAUTH2(.init(user: testMailbox, token: "good"))])
        _ = s.authenticated(.granted(grant))
        _ = s.maildropOpened(.success(snapshot))
        guard case .transaction = s.state else {
            Issue.record("not in TRANSACTION: \(s.state)")
            return
        }
    }

    @Test func rejectionsAndNotConnectedGetExchangesLineAndAJournalReason() {
        for decision in [
            MailAccessDecision.rejected(.tokenExpired, detail: "exp"),
            .authenticatedNotConnected(.noMailboxAccess, detail: "no FullAccess"),
        ] {
            var s = session()
            _ = s.received(line("AUTH XOAUTH2 \(xoauth2("t"))"))
            let effects = s.authenticated(decision)
            #expect(sends(effects) == ["-ERR Authentication failure: unknown user name or bad password."])
            let reasons = effects.compactMap { if case .record(.authFailed, let d) = $0 { d["reason"] } else { nil } }
            switch decision {
            case .rejected(let r, _), .authenticatedNotConnected(let r, _): #expect(reasons == [r.rawValue])
            case .granted: Issue.record("unexpected")
            }
            #expect(s.state == .authorization(user: nil))
        }
    }

    @Test func malformedSASLAndCancel() {
        var s = session()
        let effects = s.received(line("AUTH XOAUTH2 !!!notbase64"))
        #expect(sends(effects) == ["-ERR Authentication failure: unknown user name or bad password."])
        #expect(
            effects.contains(
                .record(.authFailed, ["reason": "malformed_sasl", "method": "XOAUTH2", "detail": "invalid base64"])))
        #expect(sends(s.received(line("AUTH XOAUTH2"))) == ["+ "])
        #expect(sends(s.received(line("*"))) == ["-ERR Authentication canceled."])
        #expect(sends(s.received(line("AUTH CRAM-MD5"))) == ["-ERR Unrecognized authentication type."])
    }

    @Test func basicAuthOffAnswersLikeExchange() {
        var s = session()
        #expect(sends(s.received(line("USER \(testMailbox)"))) == ["+OK"])
        let effects = s.received(line("PASS secret"))
        #expect(sends(effects) == ["-ERR Logon failure: unknown user name or bad password."])
        #expect(
            effects.contains(
                .record(.authFailed, ["reason": "basic_auth_disabled", "method": "USER", "user": testMailbox])))
        let plain = s.received(line("AUTH PLAIN AGhlbHBkZXNrQGNvbnRvc28ub25taWNyb3NvZnQudXMAc2VjcmV0"))
        #expect(sends(plain) == ["-ERR Authentication failure: unknown user name or bad password."])
        #expect(sends(s.received(line("PASS x"))) == ["-ERR Command is not valid in this state."])
    }

    @Test func basicAuthOnAsksTheAuthenticator() {
        var s = session(basicAuth: true)
        _ = s.received(line("USER \(testMailbox)"))
        #expect(s.received(line("PASS Passw0rd!")) == [.authenticateBasic(user: testMailbox, password: "Passw0rd!")])
        #expect(
            sends(s.authenticated(.rejected(.badPassword, detail: ""))) == [
                "-ERR Logon failure: unknown user name or bad password."
            ])
        #expect(sends(s.received(line("AUTH PLAIN"))) == ["+ "])
        #expect(
            s.received(line("AGhlbHBkZXNrQGNvbnRvc28ub25taWNyb3NvZnQudXMAc2VjcmV0")) == [
                .authenticateBasic(user: testMailbox, password: "secret")
            ])
    }

    @Test func secondSessionOnALockedMaildropIsRefused() {
        var s = session()
        _ = s.received(line("AUTH XOAUTH2 \(xoauth2("good"))"))
        _ = s.authenticated(.granted(grant))
        let effects = s.maildropOpened(.failure(.locked(holder: "pop3-1")))
        #expect(
            sends(effects) == ["-ERR The mailbox is in use by another POP3 session; close it with QUIT and try again."])
        #expect(s.state == .authorization(user: nil))
    }

    @Test func transactionCommands() {
        var s = loggedIn()
        let sizes = sampleMessages.map { $0.utf8.count }
        #expect(sends(s.received(line("STAT"))) == ["+OK 3 \(sizes.reduce(0, +))"])
        #expect(
            s.received(line("LIST")) == [
                .send(
                    .multiline(
                        "3 messages (\(sizes.reduce(0, +)) octets)",
                        lines: ["1 \(sizes[0])", "2 \(sizes[1])", "3 \(sizes[2])"]))
            ])
        #expect(s.received(line("UIDL")) == [.send(.multiline("", lines: ["1 42-7", "2 42-8", "3 42-9"]))])
        #expect(sends(s.received(line("UIDL 2"))) == ["+OK 2 42-8"])
        #expect(s.received(line("RETR 2")) == [.send(.message("", content: Array(sampleMessages[1].utf8)))])
        #expect(
            s.received(line("TOP 3 1")) == [
                .send(
                    .message("", content: Array("From: c@example.com\r\nSubject: [HD-3] third\r\n\r\nline 1\r\n".utf8)))
            ])
        #expect(sends(s.received(line("RETR 4"))) == ["-ERR The specified message is out of range."])
        #expect(sends(s.received(line("RETR 0"))) == ["-ERR The specified message is out of range."])
        #expect(sends(s.received(line("DELE 1"))) == ["+OK"])
        #expect(sends(s.received(line("RETR 1"))) == ["-ERR The specified message has been deleted."])
        #expect(sends(s.received(line("DELE 1"))) == ["-ERR The specified message has been deleted."])
        #expect(sends(s.received(line("STAT"))) == ["+OK 2 \(sizes[1] + sizes[2])"])
        #expect(s.received(line("UIDL")) == [.send(.multiline("", lines: ["2 42-8", "3 42-9"]))])
        #expect(sends(s.received(line("RSET"))) == ["+OK"])
        #expect(sends(s.received(line("STAT"))) == ["+OK 3 \(sizes.reduce(0, +))"])
        #expect(sends(s.received(line("NOOP"))) == ["+OK"])
        #expect(sends(s.received(line("AUTH XOAUTH2"))) == ["-ERR Command is not valid in this state."])
        #expect(sends(s.received(line("FROB"))) == ["-ERR Protocol error."])
    }

    @Test func transactionCommandsAreRefusedBeforeLogin() {
        var s = session()
        for command in ["STAT", "LIST", "UIDL", "RETR 1", "TOP 1 0", "DELE 1", "RSET"] {
            #expect(sends(s.received(line(command))) == ["-ERR Command is not valid in this state."])
        }
    }

    /// RFC 1939 §6: deletions happen only in UPDATE, which only QUIT from TRANSACTION enters.
    @Test func deletionsTakeEffectOnlyAtQuit() {
        var s = loggedIn()
        #expect(s.received(line("DELE 1")).isEmpty == false)
        #expect(s.received(line("DELE 3")).isEmpty == false)
        #expect(
            s.received(line("QUIT")) == [
                .expunge(mailbox: testMailbox, uids: [7, 9]),
                .record(.pop3Update, ["mailbox": testMailbox, "deleted": "2"]),
                .releaseMaildrop(mailbox: testMailbox),
                .send(.ok("Microsoft Exchange Server POP3 server signing off.")),
                .close,
            ])
        #expect(s.state == .closed)
    }

    @Test func aDropBeforeQuitLosesTheDeletions() {
        var s = loggedIn()
        _ = s.received(line("DELE 1"))
        #expect(
            s.connectionDropped() == [
                .record(.pop3Dropped, ["mailbox": testMailbox, "discarded_deletions": "1"]),
                .releaseMaildrop(mailbox: testMailbox),
            ])
        var t = loggedIn()
        _ = t.received(line("DELE 2"))
        let idle = t.idleTimedOut(after: 1800)
        #expect(!idle.contains { if case .expunge = $0 { true } else { false } })
        #expect(idle.last == .close)
    }

    @Test func quitBeforeLoginSignsOff() {
        var s = session()
        #expect(s.received(line("QUIT")) == [.send(.ok("Microsoft Exchange Server POP3 server signing off.")), .close])
    }

    @Test func overlongLineGetsErrAndCancelsSASL() {
        var s = session()
        _ = s.received(line("AUTH XOAUTH2"))
        #expect(
            sends(s.received(.lineTooLong(length: 20000))) == [
                "-ERR Protocol error. Command line too long (limit 16384 bytes)."
            ])
        #expect(s.state == .authorization(user: nil))
    }

    @Test func oneLineInitialResponseCanBeRefusedLikeTheSingleReport() {
        var s = POP3Session(
            configuration: .init(
                serverName: "X", basicAuth: false, offersSTLS: false, xoauth2InitialResponse: .protocolError),
            tlsActive: true
        )
        #expect(sends(s.received(line("AUTH XOAUTH2 \(xoauth2("good"))"))) == ["-ERR Protocol error."])
    }
}
