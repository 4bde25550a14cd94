import Determinism
import ExomockTestSupport
import MailStore
import NIOCore
import NIOSSL
import POP3Server
import ScenarioModel
import Synchronization
import Testing

/// POP3 on the shared `MailStore`: UPDATE expunges from the Inbox IMAP reads; a drop changes nothing.
@Suite struct POP3MailStoreTests {
    let clock = VirtualClock(start: VirtualClock.defaultStart)
    let tls: NIOSSLContext
    let store: MailStore
    let uids: [UInt32]
    let uidValidity: UInt32

    init() throws {
        let certificate = try ThrowawayCertificate.make()
        defer { certificate.remove() }
        tls = try certificate.serverContext()
        store = try MailStore(
            scenario: Scenario(name: "pop3", clouds: [.gccHigh], mailboxes: [Mailbox(address: testMailbox)]),
            clock: clock,
            ids: IdentifierSource(seed: 7)
        )
        var uids: [UInt32] = []
        var validity: UInt32 = 0
        for text in sampleMessages {
            let appended = try store.append(toMailbox: testMailbox, rawMessage: Array(text.utf8))
            uids.append(appended.uid)
            validity = appended.uidValidity
        }
        self.uids = uids
        self.uidValidity = validity
    }

    func connect(_ id: String, maildrop: ExchangeSettings.POP3Maildrop = .exclusive) throws -> EmbeddedPOP3 {
        let settings = ExchangeSettings(pop3Maildrop: maildrop, pop3XOAUTH2InitialResponse: .accept)
        let server = POP3Server(store: store, authenticator: FakeAuthenticator(), settings: settings)
        let pop = try EmbeddedPOP3(server: server, clock: clock, id: id, tls: tls)
        _ = try pop.output()
        return pop
    }

    @Test func deletionsAtQuitAreExpungedForIMAP() throws {
        final class Seen: Sendable { let changes = Mutex<[FolderChange]>([]) }
        let seen = Seen()
        let subscription = store.subscribe(mailbox: testMailbox, folder: "INBOX") { change in
            seen.changes.withLock { $0.append(change) }
        }
        defer { store.unsubscribe(subscription) }

        let pop = try connect("pop3-1")
        let auth = try pop.send("AUTH XOAUTH2 \(xoauth2("good-token"))\r\nUIDL\r\nDELE 2\r\n")
        #expect(
            auth.contains(
                "\r\n1 \(uidValidity)-\(uids[0])\r\n2 \(uidValidity)-\(uids[1])\r\n3 \(uidValidity)-\(uids[2])\r\n.\r\n"
            ))
        #expect(try store.snapshot(mailbox: testMailbox, folder: "INBOX").messages.map(\.uid) == uids)
        #expect(seen.changes.withLock { $0 }.isEmpty)
        _ = try pop.send("QUIT\r\n")
        #expect(try store.snapshot(mailbox: testMailbox, folder: "INBOX").messages.map(\.uid) == [uids[0], uids[2]])
        #expect(seen.changes.withLock { $0 } == [.expunged(uids: [uids[1]])])
        #expect(store.maildropLocks.holder(of: testMailbox) == nil)
    }

    @Test func aDroppedConnectionLeavesTheInboxAlone() throws {
        let pop = try connect("pop3-1")
        _ = try pop.send("AUTH XOAUTH2 \(xoauth2("good-token"))\r\nDELE 1\r\nDELE 3\r\n")
        #expect(store.maildropLocks.holder(of: testMailbox) == "pop3-1")
        _ = try? pop.channel.close().wait()
        #expect(try store.snapshot(mailbox: testMailbox, folder: "INBOX").messages.map(\.uid) == uids)
        #expect(store.maildropLocks.holder(of: testMailbox) == nil)
        // the UIDL ids of the next session are the same
        let next = try connect("pop3-2")
        #expect(
            try next.send("AUTH XOAUTH2 \(xoauth2("good-token"))\r\nUIDL 3\r\n").hasSuffix(
                "+OK 3 \(uidValidity)-\(uids[2])\r\n"))
    }

    @Test func secondSessionRefusedWhileTheFirstHoldsTheMaildrop() throws {
        let first = try connect("pop3-1")
        _ = try first.send("AUTH XOAUTH2 \(xoauth2("good-token"))\r\n")
        let second = try connect("pop3-2")
        #expect(
            try second.send("AUTH XOAUTH2 \(xoauth2("good-token"))\r\n")
                == "-ERR The mailbox is in use by another POP3 session; close it with QUIT and try again.\r\n")
        _ = try first.send("QUIT\r\n")
        #expect(
            try second.send("AUTH XOAUTH2 \(xoauth2("good-token"))\r\n") == "+OK User successfully authenticated.\r\n")
    }

    @Test func sharedMaildropSessionsEachApplyTheirDeletionsAtQuit() throws {
        let first = try connect("pop3-1", maildrop: .shared)
        let second = try connect("pop3-2", maildrop: .shared)
        #expect(
            try first.send("AUTH XOAUTH2 \(xoauth2("good-token"))\r\nDELE 1\r\nDELE 2\r\n").hasPrefix(
                "+OK User successfully authenticated.\r\n"))
        #expect(
            try second.send("AUTH XOAUTH2 \(xoauth2("good-token"))\r\nDELE 2\r\nDELE 3\r\n").hasPrefix(
                "+OK User successfully authenticated.\r\n"))
        #expect(store.maildropLocks.holders(of: testMailbox) == ["pop3-1", "pop3-2"])
        _ = try first.send("QUIT\r\n")
        #expect(try store.snapshot(mailbox: testMailbox, folder: "INBOX").messages.map(\.uid) == [uids[2]])
        // The second session still numbers the Inbox as it was at its login; message 2 is gone and skipped.
        #expect(try second.send("STAT\r\n").hasPrefix("+OK 1 "))
        _ = try second.send("QUIT\r\n")
        #expect(try store.snapshot(mailbox: testMailbox, folder: "INBOX").messages.isEmpty)
        #expect(store.maildropLocks.holders(of: testMailbox).isEmpty)
    }
}
