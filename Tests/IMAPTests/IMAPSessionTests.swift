import Determinism
import Foundation
import IMAPServer
import IMAPWire
import ListenerSupport
import MailAuthentication
import MailStore
import ScenarioModel
import Testing

struct SessionHarness {
    var session: IMAPSession
    let store: MailStore
    let counter: IMAPSessionCounter

    init(
        tls: TLSMode = .implicit, settings: ExchangeSettings = ExchangeSettings(), limit: Int = 20,
        store: MailStore? = nil, counter: IMAPSessionCounter? = nil
    ) throws {
        self.store = try store ?? makeIMAPStore()
        self.counter = counter ?? IMAPSessionCounter(limit: limit)
        session = IMAPSession(
            store: self.store, authenticator: TestAuthenticator(), settings: settings, tlsMode: tls,
            counter: self.counter)
    }

    mutating func send(_ line: String) -> IMAPOutput { session.received(Array(line.utf8)) }
    mutating func wire(_ line: String) -> String { send(line).wire }

    mutating func login(_ token: String = "good-token") -> IMAPOutput {
        send("a0 AUTHENTICATE XOAUTH2 " + XOAUTH2Credentials(user: imapMailbox, token: token).initialResponse)
    }
}

@Suite struct IMAPSessionTests {
    @Test func greetingIsExchangesWithBase64UTF16LEServerName() throws {
        let h = try SessionHarness()
        #expect(
            h.session.greeting().wire
                == "* OK The Microsoft Exchange IMAP4 service is ready. [TQBOADIAUABSADAAMQBDAEEAMAAwADAANwA=]\r\n")
    }

    @Test func capabilitiesPerStateAndListener() throws {
        var implicit = try SessionHarness()
        #expect(
            implicit.wire("a CAPABILITY")
                == "* CAPABILITY IMAP4 IMAP4rev1 AUTH=XOAUTH2 LOGINDISABLED SASL-IR UIDPLUS ID UNSELECT CHILDREN IDLE NAMESPACE LITERAL+\r\na OK CAPABILITY completed.\r\n"
        )
        var basic = try SessionHarness(settings: ExchangeSettings(basicAuth: true))
        #expect(
            basic.wire("a CAPABILITY").hasPrefix("* CAPABILITY IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS")
        )
        var plain = try SessionHarness(tls: .starttls)
        #expect(
            plain.wire("a CAPABILITY")
                == "* CAPABILITY IMAP4 IMAP4rev1 LOGINDISABLED STARTTLS UIDPLUS MOVE ID CHILDREN IDLE NAMESPACE LITERAL+\r\na OK CAPABILITY completed.\r\n"
        )
        #expect(
            plain.wire(
                "b AUTHENTICATE XOAUTH2 " + XOAUTH2Credentials(user: imapMailbox, token: "good-token").initialResponse)
                == "b BAD Command received in Invalid state.\r\n")
        #expect(plain.wire("c LOGIN a b") == "c NO LOGIN failed.\r\n")
        let tls = plain.send("d STARTTLS")
        #expect(tls.wire == "d OK Begin TLS negotiation now.\r\n" && tls.after == .startTLS)
        #expect(plain.wire("e CAPABILITY").hasPrefix("* CAPABILITY IMAP4 IMAP4rev1 AUTH=XOAUTH2 LOGINDISABLED"))
        #expect(plain.wire("f STARTTLS") == "f BAD Command received in Invalid state.\r\n")
        #expect(implicit.login().wire == "a0 OK AUTHENTICATE completed.\r\n")
        #expect(
            implicit.wire("g CAPABILITY")
                == "* CAPABILITY IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS MOVE ID UNSELECT CLIENTACCESSRULES CLIENTNETWORKPRESENCELOCATION BACKENDAUTHENTICATE CHILDREN IDLE NAMESPACE LITERAL+\r\ng OK CAPABILITY completed.\r\n"
        )
    }

    @Test func idNamespaceLogout() throws {
        var h = try SessionHarness()
        #expect(
            h.wire("a ID (\"name\" \"x\")")
                == "* ID (\"name\" \"Microsoft.Exchange.Imap4.Imap4Server\" \"version\" \"15.20\")\r\na OK ID completed.\r\n"
        )
        #expect(h.wire("b NAMESPACE") == "b BAD Command received in Invalid state.\r\n")
        _ = h.login()
        #expect(h.wire("c NAMESPACE") == "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\nc OK NAMESPACE completed.\r\n")
        let out = h.send("d LOGOUT")
        #expect(out.wire == "* BYE Microsoft Exchange Server IMAP4 server signing off.\r\nd OK LOGOUT completed.\r\n")
        #expect(out.after == .close)
        #expect(h.counter.count(imapMailbox) == 0)
    }

    @Test(arguments: [
        ("expired-token", "token_expired"), ("wrong-cloud-token", "signature_invalid"),
        ("wrong-aud-token", "wrong_audience"),
        ("no-scope-token", "missing_permission"),
    ])
    func rejectedTokens(token: String, reason: String) throws {
        var h = try SessionHarness()
        let out = h.login(token)
        #expect(out.wire == "a0 NO AUTHENTICATE failed.\r\n")
        #expect(out.notes.first?.event == .authFailed)
        #expect(out.notes.first?.detail["reason"] == reason)
        #expect(h.session.state == .notAuthenticated)
    }

    @Test func authenticatedButNotConnected() throws {
        var h = try SessionHarness()
        let out = h.login("no-access-token")
        #expect(out.wire == "a0 OK AUTHENTICATE completed.\r\n")
        #expect(out.notes.first?.event == .authNotConnected && out.notes.first?.detail["reason"] == "no_mailbox_access")
        #expect(h.wire("e NOOP") == "e OK NOOP completed.\r\n")
        #expect(h.wire("f CAPABILITY").hasSuffix("f OK CAPABILITY completed.\r\n"))
        for cmd in [
            "a SELECT INBOX", "b EXAMINE INBOX", "c LIST \"\" *", "d NAMESPACE", "g IDLE", "h STATUS INBOX (MESSAGES)",
        ] {
            var fresh = try SessionHarness()
            _ = fresh.login("no-access-token")
            let out = fresh.send(cmd)
            #expect(
                out.wire == String(cmd.prefix(1))
                    + " BAD User is authenticated but not connected.\r\n* BYE Connection closed. 14\r\n")
            #expect(out.after == .close)
            #expect(out.notes.first?.event == .commandNotConnected)
            #expect(fresh.session.state == .loggedOut)
            #expect(fresh.send("z NOOP").responses.isEmpty, "nothing is answered after the BYE")
        }
    }

    @Test func saslContinuationCancelAndMalformed() throws {
        var h = try SessionHarness()
        #expect(h.wire("a AUTHENTICATE XOAUTH2") == "+ \r\n")
        #expect(h.session.expectsRawLine)
        #expect(h.wire("*") == "a BAD AUTHENTICATE cancelled by the client.\r\n")
        #expect(h.wire("b AUTHENTICATE XOAUTH2") == "+ \r\n")
        let bad = h.send("!!!notbase64")
        #expect(bad.wire == "b NO AUTHENTICATE failed.\r\n" && bad.notes.first?.detail["reason"] == "malformed_sasl")
        let noBearer = h.send(
            "c AUTHENTICATE XOAUTH2 "
                + Data("user=\(imapMailbox)\u{1}auth=Basic x\u{1}\u{1}".utf8).base64EncodedString())
        #expect(
            noBearer.wire == "c NO AUTHENTICATE failed.\r\n"
                && noBearer.notes.first?.detail["reason"] == "missing_bearer")
        #expect(
            h.wire("d AUTHENTICATE PLAIN " + Data("\u{0}\(imapMailbox)\u{0}pw".utf8).base64EncodedString())
                == "d NO AUTHENTICATE failed.\r\n")
        #expect(h.wire("e AUTHENTICATE PLAIN") == "+ \r\n")
        #expect(h.wire(Data("\u{0}u\u{0}p".utf8).base64EncodedString()) == "e NO AUTHENTICATE failed.\r\n")
        #expect(h.wire("f LOGIN helpdesk pw") == "f NO LOGIN failed.\r\n")
        #expect(
            h.wire("g AUTHENTICATE CRAM-MD5")
                == "g NO Unsupported authentication mechanism; Exchange Online offers XOAUTH2.\r\n")
        #expect(h.wire("h AUTHENTICATE XOAUTH2") == "+ \r\n")
        #expect(
            h.wire(XOAUTH2Credentials(user: imapMailbox, token: "good-token").initialResponse)
                == "h OK AUTHENTICATE completed.\r\n")
        #expect(h.session.state == .authenticated(mailbox: imapMailbox))
    }

    @Test func sessionLimitPerMailbox() throws {
        let store = try makeIMAPStore()
        var a = try SessionHarness(limit: 1, store: store)
        var b = try SessionHarness(store: store, counter: a.counter)
        #expect(a.login().wire == "a0 OK AUTHENTICATE completed.\r\n")
        let second = b.login()
        #expect(
            second.wire == "a0 OK AUTHENTICATE completed.\r\n"
                && second.notes.first?.detail["reason"] == "too_many_sessions")
        #expect(
            b.wire("x SELECT INBOX")
                == "x BAD User is authenticated but not connected.\r\n* BYE Connection closed. 14\r\n")
        a.session.connectionClosed()
        #expect(a.counter.count(imapMailbox) == 0)
    }

    @Test func selectExamineListStatus() throws {
        var h = try SessionHarness()
        _ = h.login()
        let select = h.send("a SELECT inbox")
        let uidValidity = try h.store.snapshot(mailbox: imapMailbox, folder: "Inbox").uidValidity
        #expect(
            select.wire == """
                * 3 EXISTS\r
                * 0 RECENT\r
                * FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $MDNSent)\r
                * OK [PERMANENTFLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $MDNSent)] Permanent flags\r
                * OK [UNSEEN 1] Is the first unseen message\r
                * OK [UIDVALIDITY \(uidValidity)] UIDVALIDITY value\r
                * OK [UIDNEXT 4] The next unique identifier value\r
                a OK [READ-WRITE] SELECT completed.\r\n
                """)
        #expect(select.after == .watch(mailbox: imapMailbox, folder: "Inbox"))
        #expect(h.wire("b EXAMINE INBOX").hasSuffix("b OK [READ-ONLY] EXAMINE completed.\r\n"))
        #expect(h.wire("c SELECT Nope") == "c NO The folder \"Nope\" doesn't exist.\r\n")
        #expect(h.session.state == .authenticated(mailbox: imapMailbox))
        #expect(
            h.wire("d LIST \"\" *") == """
                * LIST (\\HasNoChildren \\Archive) "/" Archive\r
                * LIST (\\HasNoChildren \\Trash) "/" "Deleted Items"\r
                * LIST (\\HasNoChildren \\Drafts) "/" Drafts\r
                * LIST (\\HasNoChildren) "/" INBOX\r
                * LIST (\\HasNoChildren \\Junk) "/" "Junk Email"\r
                * LIST (\\HasNoChildren \\Sent) "/" "Sent Items"\r
                d OK LIST completed.\r\n
                """)
        #expect(
            h.wire("e LIST \"\" \"\"") == "* LIST (\\Noselect \\HasChildren) \"/\" \"\"\r\ne OK LIST completed.\r\n")
        #expect(h.wire("f CREATE Projects/2026") == "f OK CREATE completed.\r\n")
        #expect(h.wire("g CREATE Projects") == "g OK CREATE completed.\r\n")
        #expect(h.wire("h LIST \"\" Projects%") == "* LIST (\\HasChildren) \"/\" Projects\r\nh OK LIST completed.\r\n")
        #expect(
            h.wire("i LIST \"\" Projects/*")
                == "* LIST (\\HasNoChildren) \"/\" Projects/2026\r\ni OK LIST completed.\r\n")
        #expect(h.wire("j UNSUBSCRIBE Projects") == "j OK UNSUBSCRIBE completed.\r\n")
        #expect(!h.wire("k LSUB \"\" *").contains("\"/\" Projects\r\n"))
        #expect(h.wire("l RENAME Projects Work") == "l OK RENAME completed.\r\n")
        #expect(h.wire("m DELETE Work/2026") == "m OK DELETE completed.\r\n")
        #expect(
            h.wire("n DELETE Inbox")
                == "n NO The folder \"INBOX\" is a default folder and can't be deleted or renamed.\r\n"
        )
        #expect(
            h.wire("o STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN RECENT)")
                == "* STATUS INBOX (MESSAGES 3 UIDNEXT 4 UIDVALIDITY \(uidValidity) UNSEEN 3 RECENT 0)\r\no OK STATUS completed.\r\n"
        )
        #expect(h.wire("p FETCH 1 FLAGS") == "p BAD Command received in Invalid state.\r\n")
    }

    @Test func fetchItems() throws {
        var h = try SessionHarness()
        _ = h.login()
        _ = h.send("a SELECT INBOX")
        let m1 = sampleIMAPMessages[0]
        #expect(
            h.wire("b FETCH 1 (UID RFC822.SIZE FLAGS INTERNALDATE)")
                == "* 1 FETCH (UID 1 RFC822.SIZE \(m1.utf8.count) FLAGS () INTERNALDATE \"01-Jan-2026 00:00:00 +0000\")\r\nb OK FETCH completed.\r\n"
        )
        #expect(
            h.wire("c FETCH 1 ENVELOPE")
                == "* 1 FETCH (ENVELOPE (\"Thu, 01 Jan 2026 00:00:00 +0000\" \"[HD-1] printer\" ((\"Alice Admin\" NIL \"alice\" \"contoso.onmicrosoft.us\")) ((\"Alice Admin\" NIL \"alice\" \"contoso.onmicrosoft.us\")) ((\"Alice Admin\" NIL \"alice\" \"contoso.onmicrosoft.us\")) ((NIL NIL \"helpdesk\" \"contoso.onmicrosoft.us\")) NIL NIL NIL \"<1@contoso>\"))\r\nc OK FETCH completed.\r\n"
        )
        #expect(
            h.wire("d FETCH 2 ENVELOPE").contains(
                "((\"Bob, B.\" NIL \"bob\" \"example.com\")) ((\"Bob, B.\" NIL \"bob\" \"example.com\")) ((\"Bob, B.\" NIL \"bob\" \"example.com\")) ((NIL NIL \"helpdesk\" \"contoso.onmicrosoft.us\")(NIL NIL \"carol\" \"example.com\")) ((NIL NIL \"dave\" \"example.com\")) NIL NIL \"<2@example>\""
            ))
        #expect(
            h.wire("e FETCH 2 BODYSTRUCTURE")
                == "* 2 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 8 1 NIL NIL NIL NIL)(\"TEXT\" \"HTML\" (\"CHARSET\" \"utf-8\") NIL NIL \"QUOTED-PRINTABLE\" 15 1 NIL NIL NIL NIL) \"ALTERNATIVE\" (\"BOUNDARY\" \"b1\") NIL NIL NIL))\r\ne OK FETCH completed.\r\n"
        )
        #expect(
            h.wire("f FETCH 3 BODY")
                == "* 3 FETCH (BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 16 2))\r\nf OK FETCH completed.\r\n"
        )
        #expect(h.wire("g FETCH 2 BODY.PEEK[1]") == "* 2 FETCH (BODY[1] {8}\r\nVPN down)\r\ng OK FETCH completed.\r\n")
        #expect(
            h.wire("h FETCH 2 BODY.PEEK[2.MIME]")
                == "* 2 FETCH (BODY[2.MIME] {87}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n)\r\nh OK FETCH completed.\r\n"
        )
        #expect(
            h.wire("i FETCH 1 BODY.PEEK[HEADER.FIELDS (subject from)]")
                == "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT FROM)] {77}\r\nFrom: Alice Admin <alice@contoso.onmicrosoft.us>\r\nSubject: [HD-1] printer\r\n\r\n)\r\ni OK FETCH completed.\r\n"
        )
        #expect(
            h.wire("j FETCH 3 BODY.PEEK[TEXT]<8.6>")
                == "* 3 FETCH (BODY[TEXT]<8> {6}\r\nline 2)\r\nj OK FETCH completed.\r\n")
        #expect(
            h.wire("k FETCH 3 BODY.PEEK[1]")
                == "* 3 FETCH (BODY[1] {16}\r\nline 1\r\nline 2\r\n)\r\nk OK FETCH completed.\r\n")
        #expect(
            h.wire("l FETCH 3 RFC822.HEADER").hasPrefix(
                "* 3 FETCH (RFC822.HEADER {48}\r\nFrom: eve@example.com\r\nSubject: [HD-3] third\r\n\r\n)"))
        #expect(
            h.wire("m FETCH 9 FLAGS")
                == "m BAD Command Argument Error. 11 Message 9 does not exist; the folder has 3 messages.\r\n")
        // BODY[] (not PEEK) sets \Seen and reports the new flags.
        #expect(h.wire("n FETCH 3 BODY[]").hasSuffix("line 2\r\n FLAGS (\\Seen))\r\nn OK FETCH completed.\r\n"))
        #expect(h.wire("o UID FETCH 3 FLAGS") == "* 3 FETCH (UID 3 FLAGS (\\Seen))\r\no OK FETCH completed.\r\n")
        #expect(h.wire("p UID FETCH 10:* UID") == "* 3 FETCH (UID 3)\r\np OK FETCH completed.\r\n")
    }

    @Test func searchStoreExpungeCopyMove() throws {
        var h = try SessionHarness()
        _ = h.login()
        _ = h.send("a SELECT INBOX")
        #expect(h.wire("b SEARCH ALL") == "* SEARCH 1 2 3\r\nb OK SEARCH completed.\r\n")
        #expect(
            h.wire("c STORE 1 +FLAGS (\\Seen \\Flagged)")
                == "* 1 FETCH (FLAGS (\\Seen \\Flagged))\r\nc OK STORE completed.\r\n")
        #expect(h.wire("d SEARCH SEEN") == "* SEARCH 1\r\nd OK SEARCH completed.\r\n")
        #expect(h.wire("e SEARCH UNSEEN NOT FLAGGED") == "* SEARCH 2 3\r\ne OK SEARCH completed.\r\n")
        #expect(h.wire("f UID SEARCH OR FROM bob SUBJECT third") == "* SEARCH 2 3\r\nf OK SEARCH completed.\r\n")
        #expect(h.wire("g SEARCH TO carol") == "* SEARCH 2\r\ng OK SEARCH completed.\r\n")
        #expect(h.wire("h SEARCH HEADER Message-ID <2@example>") == "* SEARCH 2\r\nh OK SEARCH completed.\r\n")
        #expect(h.wire("i SEARCH BODY \"on fire\"") == "* SEARCH 1\r\ni OK SEARCH completed.\r\n")
        #expect(h.wire("j SEARCH SENTSINCE 2-Jan-2026") == "* SEARCH 2\r\nj OK SEARCH completed.\r\n")
        #expect(h.wire("k SEARCH ON 1-Jan-2026") == "* SEARCH 1 2 3\r\nk OK SEARCH completed.\r\n")
        #expect(h.wire("l SEARCH BEFORE 1-Jan-2026") == "* SEARCH\r\nl OK SEARCH completed.\r\n")
        #expect(h.wire("m SEARCH LARGER 300") == "* SEARCH 2\r\nm OK SEARCH completed.\r\n")
        #expect(h.wire("n SEARCH SMALLER 100 NEW") == "* SEARCH\r\nn OK SEARCH completed.\r\n")
        #expect(h.wire("o SEARCH 2:* UID 3") == "* SEARCH 3\r\no OK SEARCH completed.\r\n")
        let validity = try h.store.snapshot(mailbox: imapMailbox, folder: "Archive").uidValidity
        #expect(h.wire("p COPY 1:2 Archive") == "p OK [COPYUID \(validity) 1:2 1:2] COPY completed.\r\n")
        #expect(h.wire("q COPY 1 Nowhere") == "q NO [TRYCREATE] The folder \"Nowhere\" doesn't exist.\r\n")
        #expect(
            h.wire("r UID MOVE 2 Archive")
                == "* OK [COPYUID \(validity) 2 3] Moved\r\n* 2 EXPUNGE\r\nr OK MOVE completed.\r\n")
        #expect(h.wire("s STORE 1 +FLAGS.SILENT (\\Deleted)") == "s OK STORE completed.\r\n")
        #expect(h.wire("t EXPUNGE") == "* 1 EXPUNGE\r\nt OK EXPUNGE completed.\r\n")
        #expect(h.wire("u SEARCH ALL") == "* SEARCH 1\r\nu OK SEARCH completed.\r\n")
        let append = h.send("v APPEND INBOX (\\Seen) {14}\r\nSubject: x\r\n\r\n")
        let inbox = try h.store.snapshot(mailbox: imapMailbox, folder: "Inbox")
        #expect(append.wire == "* 2 EXISTS\r\nv OK [APPENDUID \(inbox.uidValidity) 4] APPEND completed.\r\n")
        #expect(h.wire("w CLOSE") == "w OK CLOSE completed.\r\n")
        #expect(h.wire("x EXAMINE INBOX").contains("* 2 EXISTS"))
        #expect(h.wire("y STORE 1 +FLAGS (\\Deleted)") == "y NO The folder is read-only (opened with EXAMINE).\r\n")
        #expect(h.wire("z UNSELECT") == "z OK UNSELECT completed.\r\n")
    }

    @Test func otherSessionsChangesAreReportedAndIdlePushesExists() throws {
        var h = try SessionHarness()
        _ = h.login()
        _ = h.send("a SELECT INBOX")
        try h.store.append(toMailbox: imapMailbox, rawMessage: Array("Subject: new\r\n\r\nx\r\n".utf8))
        #expect(h.wire("b NOOP") == "* 4 EXISTS\r\nb OK NOOP completed.\r\n")
        #expect(h.wire("c IDLE") == "+ IDLE accepted, awaiting DONE command.\r\n")
        #expect(h.session.expectsRawLine)
        #expect(h.session.folderChanged().wire == "")
        try h.store.append(toMailbox: imapMailbox, rawMessage: Array("Subject: newer\r\n\r\nx\r\n".utf8))
        #expect(h.session.folderChanged().wire == "* 5 EXISTS\r\n")
        try h.store.setFlags(mailbox: imapMailbox, folder: "Inbox", uids: [1], .add, ["\\Deleted"])
        try h.store.expunge(mailbox: imapMailbox, folder: "Inbox")
        #expect(h.session.folderChanged().wire == "* 1 EXPUNGE\r\n")
        #expect(h.wire("DONE") == "c OK IDLE completed.\r\n")
        // Expunges by others are not reported during FETCH by sequence number.
        try h.store.setFlags(mailbox: imapMailbox, folder: "Inbox", uids: [2], .add, ["\\Deleted"])
        try h.store.expunge(mailbox: imapMailbox, folder: "Inbox")
        #expect(!h.wire("d FETCH 1:* UID").contains("EXPUNGE"))
        #expect(h.wire("e NOOP") == "* 1 EXPUNGE\r\ne OK NOOP completed.\r\n")
    }

    @Test func nonASCIIFolderNamesUseModifiedUTF7() throws {
        var h = try SessionHarness()
        _ = h.login()
        #expect(h.wire("a CREATE Donn&AOk-es") == "a OK CREATE completed.\r\n")
        #expect(try h.store.folders(of: imapMailbox).contains { $0.name == "Données" })
        #expect(h.wire("b LIST \"\" Donn*") == "* LIST (\\HasNoChildren) \"/\" Donn&AOk-es\r\nb OK LIST completed.\r\n")
        #expect(h.wire("c SELECT Donn&AOk-es").hasSuffix("c OK [READ-WRITE] SELECT completed.\r\n"))
        #expect(
            h.wire("d SEARCH CHARSET KOI8-R ALL")
                == "d NO [BADCHARSET (US-ASCII UTF-8)] The charset \"KOI8-R\" is not supported; use UTF-8 or US-ASCII.\r\n"
        )
    }

    @Test func unknownAndTerminate() throws {
        var h = try SessionHarness()
        #expect(h.wire("a XYZZY") == "a BAD Command Error. 12 Unknown command XYZZY.\r\n")
        let bye = h.session.terminate(reason: "test")
        #expect(bye.wire == "* BYE Connection is closed. 13\r\n" && bye.after == .close)
    }
}
