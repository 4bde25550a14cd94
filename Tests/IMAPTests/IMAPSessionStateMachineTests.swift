import Foundation
import IMAPServer
import IMAPWire
import MailAuthentication
import MailStore
import ScenarioModel
import Testing

/// The IMAP session as a value: no store, no authenticator, no counter behind it. Each test feeds
/// inputs, checks the requests the machine makes, and answers them by hand.
@Suite struct IMAPSessionStateMachineTests {
    typealias Machine = IMAPSessionStateMachine
    static let mailbox = "helpdesk@contoso.onmicrosoft.us"
    static let grant = MailGrant(mailbox: mailbox, principal: "alice@contoso.onmicrosoft.us", appOnly: false)

    func bytes(_ line: String) -> [UInt8] { Array(line.utf8) }

    /// The wire text of the `.send` actions.
    func wire(_ actions: [Machine.Action]) -> String {
        actions.compactMap { action -> String? in
            if case .send(let response) = action { return String(decoding: response.encoded(), as: UTF8.self) }
            return nil
        }.joined()
    }

    func notes(_ actions: [Machine.Action]) -> [String] {
        actions.compactMap { action -> String? in
            if case .record(let note) = action { return note.event.rawValue }
            return nil
        }
    }

    /// Logs in with XOAUTH2 and a granted slot.
    func loggedIn() -> Machine {
        var m = Machine(settings: ExchangeSettings(), tlsActive: true)
        let credentials = XOAUTH2Credentials(user: Self.mailbox, token: "t")
        _ = m.received(bytes("a AUTHENTICATE XOAUTH2 " + credentials.initialResponse))
        _ = m.authenticated(.granted(Self.grant))
        _ = m.slotAnswered(.acquired)
        return m
    }

    func snapshot(_ uids: [UInt32], validity: UInt32 = 7) -> FolderSnapshot {
        let messages = uids.map { uid in
            StoredMessage(
                uid: uid, flags: [], internalDate: Date(timeIntervalSince1970: 0),
                raw: Array("Subject: m\(uid)\r\n\r\nbody \(uid)\r\n".utf8))
        }
        return FolderSnapshot(
            name: "Inbox", uidValidity: validity, uidNext: (uids.last ?? 0) + 1, subscribed: true, messages: messages)
    }

    @Test func xoauth2AsksTheDriverThenTakesASlot() {
        var m = Machine(settings: ExchangeSettings(), tlsActive: true)
        let credentials = XOAUTH2Credentials(user: Self.mailbox, token: "any")
        let asked = m.received(bytes("a AUTHENTICATE XOAUTH2 " + credentials.initialResponse))
        #expect(asked == [.authenticateXOAUTH2(credentials)])
        #expect(m.received(bytes("b NOOP")).isEmpty, "nothing runs while a request is unanswered")
        #expect(m.authenticated(.granted(Self.grant)) == [.acquireSlot(mailbox: Self.mailbox)])
        let done = m.slotAnswered(.acquired)
        #expect(wire(done) == "a OK AUTHENTICATE completed.\r\n")
        #expect(notes(done) == ["auth.succeeded"])
        #expect(m.state == .authenticated(mailbox: Self.mailbox) && m.countedMailbox == Self.mailbox)
        // LOGOUT gives the slot back.
        let bye = m.received(bytes("z LOGOUT"))
        #expect(bye.first == .releaseSlot(mailbox: Self.mailbox))
        #expect(bye.last == .after(.close))
    }

    @Test func aRefusedSlotIsAuthenticatedButNotConnected() {
        var m = Machine(settings: ExchangeSettings(), tlsActive: true)
        _ = m.received(bytes("a LOGIN user password"))
        #expect(m.authenticated(.granted(Self.grant)) == [.acquireSlot(mailbox: Self.mailbox)])
        let answer = m.slotAnswered(.refused(limit: 20))
        #expect(wire(answer) == "a OK LOGIN completed.\r\n")
        #expect(notes(answer) == ["auth.not_connected"])
        let next = m.received(bytes("b SELECT INBOX"))
        #expect(
            wire(next) == "b BAD User is authenticated but not connected.\r\n* BYE Connection closed. 14\r\n")
        #expect(next.last == .after(.close))
        #expect(m.connectionClosed().isEmpty, "no slot was taken")
    }

    @Test func rejectionsAnswerAtOnce() {
        var m = Machine(settings: ExchangeSettings(), tlsActive: true)
        #expect(m.received(bytes("a LOGIN u p")) == [.authenticateBasic(user: "u", password: "p")])
        let no = m.authenticated(.rejected(.basicAuthDisabled, detail: "off"))
        #expect(wire(no) == "a NO LOGIN failed.\r\n" && m.state == .notAuthenticated)
        // A PLAIN response that is not authzid NUL user NUL password never reaches the driver.
        let plain = m.received(bytes("b AUTHENTICATE PLAIN " + Data("just-one".utf8).base64EncodedString()))
        #expect(wire(plain) == "b NO AUTHENTICATE failed.\r\n")
        // SASLPlain's rule (RFC 4616): an empty password is refused here, with the same answer as a failed login.
        let empty = m.received(bytes("c AUTHENTICATE PLAIN " + Data("\u{0}u\u{0}".utf8).base64EncodedString()))
        #expect(wire(empty) == "c NO AUTHENTICATE failed.\r\n")
        #expect(
            empty.contains {
                if case .record(let note) = $0 { note.detail["detail"] == "empty password" } else { false }
            })
        // Missing padding is tolerated, as before.
        let unpadded = String(Data("\u{0}u\u{0}pw".utf8).base64EncodedString().prefix { $0 != "=" })
        #expect(
            m.received(bytes("d AUTHENTICATE PLAIN " + unpadded)) == [.authenticateBasic(user: "u", password: "pw")])
    }

    @Test func selectReadsTheFolderAndFetchWritesSeen() throws {
        var m = loggedIn()
        let select = m.received(bytes("s SELECT INBOX"))
        guard case .mailbox(let request) = select.first, select.count == 1 else {
            Issue.record("SELECT should ask for the folder: \(select)")
            return
        }
        #expect(request.operation == .snapshot(folder: "Inbox") && request.selectedFolder == nil)
        let opened = m.mailboxAnswered(Machine.MailboxReply(.success(.snapshot(snapshot([1, 2])))))
        #expect(wire(opened).hasPrefix("* 2 EXISTS\r\n"))
        #expect(opened.last == .after(.watch(mailbox: Self.mailbox, folder: "Inbox")))

        // FETCH reads the selected folder, then asks to set \Seen, then answers.
        let fetch = m.received(bytes("f FETCH 2 (BODY[TEXT])"))
        #expect(fetch == [.mailbox(.init(mailbox: Self.mailbox, operation: .read, selectedFolder: "Inbox"))])
        let seen = m.mailboxAnswered(Machine.MailboxReply(.success(.done), selected: snapshot([1, 2])))
        #expect(
            seen == [
                .mailbox(
                    .init(
                        mailbox: Self.mailbox, operation: .setFlags(folder: "Inbox", uids: [2], .add, ["\\Seen"]),
                        selectedFolder: "Inbox"))
            ])
        // Meanwhile message 3 arrived: the answer reports it after the FETCH data.
        let done = m.mailboxAnswered(Machine.MailboxReply(.success(.flagsChanged([])), selected: snapshot([1, 2, 3])))
        #expect(
            wire(done)
                == "* 2 FETCH (BODY[TEXT] {8}\r\nbody 2\r\n FLAGS (\\Seen))\r\n* 3 EXISTS\r\nf OK FETCH completed.\r\n"
                || wire(done)
                    == "* 3 EXISTS\r\n* 2 FETCH (BODY[TEXT] {8}\r\nbody 2\r\n FLAGS (\\Seen))\r\nf OK FETCH completed.\r\n"
        )
        #expect(m.selected?.uids == [1, 2, 3])
    }

    @Test func aFolderGoneOrRecreatedEndsTheSession() {
        var m = loggedIn()
        _ = m.received(bytes("s SELECT INBOX"))
        _ = m.mailboxAnswered(Machine.MailboxReply(.success(.snapshot(snapshot([1])))))
        _ = m.received(bytes("f FETCH 1 FLAGS"))
        let answer = m.mailboxAnswered(Machine.MailboxReply(.success(.done), selected: snapshot([1], validity: 8)))
        #expect(wire(answer) == "* BYE The selected folder no longer exists.\r\n")
        #expect(answer.last == .after(.close))
    }

    @Test func storeErrorsAreQuotedAndNoopWithoutAFolderAsksNothing() {
        var m = loggedIn()
        #expect(wire(m.received(bytes("n NOOP"))) == "n OK NOOP completed.\r\n")
        _ = m.received(bytes("c CREATE {4}\r\na\r\nb"))
        let refused = m.mailboxAnswered(Machine.MailboxReply(.failure(.invalidFolderName("a\r\nb"))))
        #expect(
            wire(refused)
                == "c NO The folder \"a&AA0ACg-b\" is not a valid name: it must be non-empty, without empty levels or control characters.\r\n"
        )
        #expect(wire(m.received(bytes("d COPY 1 Nowhere"))) == "d BAD Command received in Invalid state.\r\n")
        _ = m.received(bytes("s SELECT INBOX"))
        _ = m.mailboxAnswered(Machine.MailboxReply(.success(.snapshot(snapshot([1])))))
        _ = m.received(bytes("e COPY 1 Nowhere"))
        let copy = m.mailboxAnswered(Machine.MailboxReply(.success(.done), selected: snapshot([1])))
        #expect(
            copy == [
                .mailbox(
                    .init(
                        mailbox: Self.mailbox, operation: .copy(from: "Inbox", uids: [1], to: "Nowhere"),
                        selectedFolder: "Inbox"))
            ])
        #expect(
            wire(m.mailboxAnswered(Machine.MailboxReply(.failure(.folderNotFound("Nowhere")))))
                == "e NO [TRYCREATE] The folder \"Nowhere\" doesn't exist.\r\n")
    }

    @Test func idleSendsNewsWhenTheDriverSaysTheFolderChanged() {
        var m = loggedIn()
        _ = m.received(bytes("s SELECT INBOX"))
        _ = m.mailboxAnswered(Machine.MailboxReply(.success(.snapshot(snapshot([1])))))
        _ = m.received(bytes("i IDLE"))
        #expect(
            wire(m.mailboxAnswered(Machine.MailboxReply(.success(.done), selected: snapshot([1]))))
                == "+ IDLE accepted, awaiting DONE command.\r\n")
        #expect(m.folderChanged().count == 1)
        #expect(
            wire(m.mailboxAnswered(Machine.MailboxReply(.success(.done), selected: snapshot([1, 2]))))
                == "* 2 EXISTS\r\n")
        _ = m.received(bytes("DONE"))
        #expect(
            wire(m.mailboxAnswered(Machine.MailboxReply(.success(.done), selected: snapshot([2]))))
                == "* 1 EXPUNGE\r\ni OK IDLE completed.\r\n")
    }
}
