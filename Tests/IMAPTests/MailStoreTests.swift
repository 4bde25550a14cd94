import Determinism
import Foundation
import MailStore
import ScenarioModel
import Synchronization
import Testing

func makeStore(seed: UInt64 = 7, generated: Int = 5, extraFolders: [Folder] = []) throws -> (MailStore, VirtualClock) {
    let clock = VirtualClock(start: VirtualClock.defaultStart)
    let scenario = Scenario(
        name: "store",
        seed: seed,
        clouds: [.worldwide],
        users: [User(upn: "alice@contoso.com", password: "x")],
        mailboxes: [
            Mailbox(
                address: "helpdesk@contoso.com", kind: .shared,
                folders: [Folder(name: "Inbox", messages: [.generated(count: generated, size: 2048, seed: 42)])]
                    + extraFolders),
            Mailbox(address: "nopop@contoso.com", imapEnabled: false, popEnabled: false),
        ])
    return (try MailStore(scenario: scenario, clock: clock, ids: IdentifierSource(seed: seed)), clock)
}

@Suite struct MailStoreTests {
    @Test func buildsMailboxesWithExchangeDefaultFolders() throws {
        let (store, _) = try makeStore()
        #expect(
            store.allMailboxes().map(\.address) == ["alice@contoso.com", "helpdesk@contoso.com", "nopop@contoso.com"])
        let info = try #require(store.mailbox("HELPDESK@contoso.com"))
        #expect(info.kind == .shared && info.imapEnabled && info.popEnabled)
        #expect(store.mailbox("nopop@contoso.com")?.imapEnabled == false)
        #expect(store.mailbox("nobody@contoso.com") == nil)
        let names = try store.folders(of: "alice@contoso.com").map(\.name)
        #expect(names == ["Archive", "Deleted Items", "Drafts", "Inbox", "Junk Email", "Sent Items"])
        let sent = try store.folders(of: "alice@contoso.com").first { $0.name == "Sent Items" }
        #expect(sent?.specialUse == "\\Sent")
    }

    @Test func generatedMessagesAreDeterministicAndWellFormed() throws {
        let (a, _) = try makeStore()
        let (b, _) = try makeStore()
        let sa = try a.snapshot(mailbox: "helpdesk@contoso.com", folder: "INBOX")
        let sb = try b.snapshot(mailbox: "helpdesk@contoso.com", folder: "inbox")
        #expect(sa == sb)
        #expect(sa.messages.map(\.uid) == [1, 2, 3, 4, 5])
        #expect(sa.uidNext == 6)
        #expect(sa.uidValidity > 0)
        for (i, m) in sa.messages.enumerated() {
            let text = String(decoding: m.raw, as: UTF8.self)
            for header in ["From: ", "To: helpdesk@contoso.com", "Subject: ", "Date: ", "Message-ID: <"] {
                #expect(text.contains("\r\n" + header) || text.hasPrefix(header), "message \(i) lacks \(header)")
            }
            #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "bare LF in message \(i)")
            #expect(m.internalDate <= VirtualClock.defaultStart)
            if i > 0 { #expect(m.internalDate > sa.messages[i - 1].internalDate) }
        }
        #expect(String(decoding: sa.messages[2].raw, as: UTF8.self).contains("multipart/alternative"))
        #expect(String(decoding: sa.messages[4].raw, as: UTF8.self).contains("multipart/mixed"))
        #expect(abs(sa.messages[0].size - 2048) < 1024)
    }

    @Test func differentSeedsGiveDifferentUIDValidity() throws {
        let (a, _) = try makeStore(seed: 1)
        let (b, _) = try makeStore(seed: 2)
        let va = try a.snapshot(mailbox: "alice@contoso.com", folder: "Inbox").uidValidity
        let vb = try b.snapshot(mailbox: "alice@contoso.com", folder: "Inbox").uidValidity
        #expect(va != vb)
    }

    @Test func appendAssignsUIDsAndNotifiesSubscribers() throws {
        let (store, clock) = try makeStore()
        let seen = Mutex<[FolderChange]>([])
        let token = store.subscribe(mailbox: "helpdesk@contoso.com", folder: "INBOX") { change in
            seen.withLock { $0.append(change) }
        }
        clock.advance(by: 60)
        let (validity, uid) = try store.append(
            toMailbox: "Helpdesk@contoso.com", rawMessage: Array("Subject: hi\n\nbody\n".utf8))
        #expect(uid == 6)
        let snap = try store.snapshot(mailbox: "helpdesk@contoso.com", folder: "Inbox")
        #expect(validity == snap.uidValidity)
        #expect(snap.messages.last?.raw == Array("Subject: hi\r\n\r\nbody\r\n".utf8))
        #expect(snap.messages.last?.internalDate == VirtualClock.defaultStart.addingTimeInterval(60))
        #expect(seen.withLock { $0 } == [.appended(uids: [6])])
        store.unsubscribe(token)
        try store.append(toMailbox: "helpdesk@contoso.com", rawMessage: Array("x".utf8))
        #expect(seen.withLock { $0.count } == 1)
        #expect(store.subscriptionCount == 0)
    }

    @Test func flagsExpungeCopyMove() throws {
        let (store, _) = try makeStore()
        let box = "helpdesk@contoso.com"
        try store.setFlags(mailbox: box, folder: "Inbox", uids: [1, 2], .add, ["\\Deleted", "\\Flagged"])
        try store.setFlags(mailbox: box, folder: "Inbox", uids: [2], .remove, ["\\deleted"])
        var snap = try store.snapshot(mailbox: box, folder: "Inbox")
        #expect(snap.messages[0].hasFlag("\\Deleted") && !snap.messages[1].hasFlag("\\Deleted"))
        let copied = try store.copy(mailbox: box, from: "Inbox", uids: [2, 3, 99], to: "Archive")
        #expect(copied.sourceUIDs == [2, 3] && copied.destinationUIDs == [1, 2])
        let moved = try store.move(mailbox: box, from: "Inbox", uids: [4], to: "Archive")
        #expect(moved.destinationUIDs == [3])
        #expect(try store.expunge(mailbox: box, folder: "Inbox") == [1])
        snap = try store.snapshot(mailbox: box, folder: "Inbox")
        #expect(snap.messages.map(\.uid) == [2, 3, 5])
        #expect(try store.snapshot(mailbox: box, folder: "Archive").messages.count == 3)
        #expect(try store.remove(mailbox: box, folder: "Inbox", uids: [3, 77]) == [3])
    }

    @Test func folderLifecycle() throws {
        let (store, _) = try makeStore()
        let box = "alice@contoso.com"
        try store.createFolder(mailbox: box, name: "Projects")
        try store.createFolder(mailbox: box, name: "Projects/2026")
        #expect(throws: MailStoreError.folderExists("projects")) {
            try store.createFolder(mailbox: box, name: "projects")
        }
        #expect(throws: MailStoreError.invalidFolderName("a//b")) { try store.createFolder(mailbox: box, name: "a//b") }
        #expect(try store.folders(of: box).first { $0.name == "Projects" }?.hasChildren == true)
        try store.renameFolder(mailbox: box, from: "Projects", to: "Work")
        #expect(try store.folders(of: box).map(\.name).contains("Work/2026"))
        #expect(throws: MailStoreError.folderProtected("Inbox")) {
            try store.renameFolder(mailbox: box, from: "Inbox", to: "X")
        }
        #expect(throws: MailStoreError.folderProtected("Drafts")) {
            try store.deleteFolder(mailbox: box, name: "Drafts")
        }
        try store.setSubscribed(mailbox: box, folder: "Work", false)
        #expect(try store.folders(of: box).first { $0.name == "Work" }?.subscribed == false)
        try store.deleteFolder(mailbox: box, name: "Work/2026")
        #expect(throws: MailStoreError.folderNotFound("Nope")) { try store.snapshot(mailbox: box, folder: "Nope") }
        #expect(throws: MailStoreError.mailboxNotFound("x@y")) { try store.snapshot(mailbox: "x@y", folder: "Inbox") }
    }

    @Test func limitsAreEnforced() throws {
        let scenario = Scenario(
            name: "big", clouds: [.worldwide],
            mailboxes: [
                Mailbox(
                    address: "a@b.c",
                    folders: [Folder(name: "Inbox", messages: [.generated(count: 1_000_001, size: 10, seed: 1)])])
            ])
        #expect(throws: MailStoreError.tooManyGeneratedMessages(count: 1_000_001, limit: 1_000_000)) {
            try MailStore(
                scenario: scenario, clock: VirtualClock(start: VirtualClock.defaultStart),
                ids: IdentifierSource(seed: 1))
        }
        let (store, _) = try makeStore()
        let big = [UInt8](repeating: 65, count: 35 * 1024 * 1024 + 1)
        #expect(throws: MailStoreError.messageTooLarge(size: big.count, limit: 35 * 1024 * 1024)) {
            try store.append(toMailbox: "alice@contoso.com", rawMessage: big)
        }
    }

    @Test func loadsMessageFilesAndNormalisesLineEnds() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("exomock-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.eml").path
        try Data("From: a@b.c\nSubject: file\n\nhello\n".utf8).write(to: URL(fileURLWithPath: path))
        let scenario = Scenario(
            name: "files", clouds: [.worldwide],
            mailboxes: [
                Mailbox(
                    address: "a@b.c", folders: [Folder(name: "Inbox", messages: [.file(path: path, flags: ["\\Seen"])])]
                )
            ])
        let store = try MailStore(
            scenario: scenario, clock: VirtualClock(start: VirtualClock.defaultStart), ids: IdentifierSource(seed: 1))
        let m = try #require(try store.snapshot(mailbox: "a@b.c", folder: "Inbox").messages.first)
        #expect(m.raw == Array("From: a@b.c\r\nSubject: file\r\n\r\nhello\r\n".utf8))
        #expect(m.flags == ["\\Seen"])
        let missing = Scenario(
            name: "files", clouds: [.worldwide],
            mailboxes: [
                Mailbox(
                    address: "a@b.c",
                    folders: [Folder(name: "Inbox", messages: [.file(path: dir.path + "/none.eml", flags: [])])])
            ])
        #expect(throws: MailStoreError.self) {
            try MailStore(
                scenario: missing, clock: VirtualClock(start: VirtualClock.defaultStart), ids: IdentifierSource(seed: 1)
            )
        }
    }
}
