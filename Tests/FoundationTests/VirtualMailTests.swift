import Determinism
import ExomockLimits
import Foundation
import ScenarioModel
import Testing

@testable import MailStore

/// Virtual mail: generated messages are made from their seed when read, with the bytes the generator
/// made before mail was virtual (`ReferenceMessageGenerator`), and a change to one is stored.
@Suite struct VirtualMailTests {
    static let recipient = "helpdesk@contoso.onmicrosoft.us"
    static let end = Date(timeIntervalSince1970: 1_767_225_600)

    /// Every message of `count`, made sequentially by the old generator.
    static func reference(seed: UInt64, size: Int, count: Int) -> [(Date, [UInt8], Bool)] {
        var generator = ReferenceMessageGenerator(seed: seed, recipient: recipient, approximateSize: size)
        return (0..<count).map { generator.next(index: $0, count: count, end: end) }
    }

    @Test(arguments: [1, 64, 399, 500, 2048, 4096, 40_000])
    func bytesSizesFlagsAndDatesMatchTheOldGenerator(size: Int) {
        let seeds: [UInt64] = [0, 1, 2, 7, 42, 1_000_003, 0xDEAD_BEEF, UInt64.max]
        let count = size > 10_000 ? 12 : 40
        for seed in seeds {
            let expected = Self.reference(seed: seed, size: size, count: count)
            let run = GeneratedRun(
                recipe: MessageRecipe(
                    seed: seed, recipient: Self.recipient, approximateSize: size, count: count, end: Self.end),
                firstUID: 1)
            // Backwards, so no message can lean on the one before it having been made.
            for index in (0..<count).reversed() {
                let (date, raw, seen) = expected[index]
                #expect(run.bytes(at: index) == raw, "seed \(seed) size \(size) message \(index)")
                #expect(run.size(at: index) == raw.count, "seed \(seed) size \(size) message \(index)")
                let listed = run.message(at: index, layout: run.measured())
                #expect(
                    listed.internalDate == date && listed.hasFlag("\\Seen") == seen && listed.uid == UInt32(index + 1))
            }
        }
    }

    @Test func theSequentialGeneratorStillMakesTheOldBytes() {
        var generator = MessageGenerator(seed: 5, recipient: Self.recipient, approximateSize: 3000)
        for (index, old) in Self.reference(seed: 5, size: 3000, count: 25).enumerated() {
            let (date, raw, seen) = generator.next(index: index, count: 25, end: Self.end)
            #expect(date == old.0 && raw == old.1 && seen == old.2, "message \(index)")
        }
    }

    static func store(count: Int = 30, extraFolders: [Folder] = []) throws -> MailStore {
        let scenario = Scenario(
            name: "virtual", clouds: [.worldwide],
            tenants: [
                Tenant(
                    id: "8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a", cloud: .worldwide, domains: ["contoso.onmicrosoft.us"])
            ],
            mailboxes: [
                Mailbox(
                    address: recipient, kind: .shared,
                    folders: [Folder(name: "Inbox", messages: [.generated(count: count, size: 2048, seed: 9)])]
                        + extraFolders)
            ])
        return try MailStore(scenario: scenario, clock: VirtualClock(start: end), ids: IdentifierSource(seed: 1))
    }

    @Test func aGeneratedFolderListsEveryMessageWithTheOldBytes() throws {
        let store = try Self.store()
        let inbox = try store.snapshot(mailbox: Self.recipient, folder: "Inbox")
        let expected = Self.reference(seed: 9, size: 2048, count: 30)
        #expect(inbox.messages.map(\.uid) == Array(1...30))
        #expect(inbox.uidNext == 31)
        for (message, old) in zip(inbox.messages, expected) {
            #expect(message.raw == old.1 && message.size == old.1.count && message.internalDate == old.0)
            #expect(message.hasFlag("\\Seen") == old.2)
        }
    }

    @Test func flagChangesPersistAndKeepTheBytes() throws {
        let store = try Self.store()
        let before = try store.snapshot(mailbox: Self.recipient, folder: "Inbox")
        try store.setFlags(mailbox: Self.recipient, folder: "Inbox", uids: [3, 17], .add, ["\\Flagged", "$Ticket"])
        let after = try store.snapshot(mailbox: Self.recipient, folder: "Inbox")
        #expect(after.messages.map(\.uid) == before.messages.map(\.uid))
        for (old, new) in zip(before.messages, after.messages) {
            #expect(new.raw == old.raw)
            if new.uid == 3 || new.uid == 17 {
                #expect(new.flags == old.flags.union(["\\Flagged", "$Ticket"]))
            } else {
                #expect(new.flags == old.flags)
            }
        }
        try store.setFlags(mailbox: Self.recipient, folder: "Inbox", uids: [3], .remove, ["\\Flagged"])
        let again = try store.snapshot(mailbox: Self.recipient, folder: "Inbox")
        #expect(again.messages[2].hasFlag("$Ticket") && !again.messages[2].hasFlag("\\Flagged"))
    }

    @Test func expungingAVirtualMessageKeepsTheOthersAndTheirUIDs() throws {
        let store = try Self.store()
        let before = try store.snapshot(mailbox: Self.recipient, folder: "Inbox")
        try store.setFlags(mailbox: Self.recipient, folder: "Inbox", uids: [1, 10, 30], .add, ["\\Deleted"])
        #expect(try store.expunge(mailbox: Self.recipient, folder: "Inbox") == [1, 10, 30])
        #expect(try store.remove(mailbox: Self.recipient, folder: "Inbox", uids: [2, 99]) == [2])
        let after = try store.snapshot(mailbox: Self.recipient, folder: "Inbox")
        let kept = before.messages.filter { ![1, 2, 10, 30].contains($0.uid) }
        #expect(after.messages.map(\.uid) == kept.map(\.uid))
        #expect(after.messages.map(\.raw) == kept.map(\.raw))
        #expect(after.uidNext == 31 && after.uidValidity == before.uidValidity)
        // A new message takes the next UID, after the generated ones.
        let (_, uid) = try store.append(toMailbox: Self.recipient, rawMessage: Array("Subject: x\r\n\r\nhi\r\n".utf8))
        #expect(uid == 31)
        #expect(try store.snapshot(mailbox: Self.recipient, folder: "Inbox").messages.last?.uid == 31)
    }

    @Test func movedVirtualMessagesKeepTheirBytesInTheirNewFolder() throws {
        let store = try Self.store(extraFolders: [Folder(name: "Done")])
        let before = try store.snapshot(mailbox: Self.recipient, folder: "Inbox")
        let result = try store.move(mailbox: Self.recipient, from: "Inbox", uids: [4, 5, 6], to: "Done")
        #expect(result.sourceUIDs == [4, 5, 6] && result.destinationUIDs == [1, 2, 3])
        let done = try store.snapshot(mailbox: Self.recipient, folder: "Done")
        #expect(done.messages.map(\.raw) == before.messages[3..<6].map(\.raw))
        let inbox = try store.snapshot(mailbox: Self.recipient, folder: "Inbox")
        #expect(inbox.messages.count == 27 && !inbox.messages.contains { [4, 5, 6].contains($0.uid) })
    }

    @Test func pop3SeesSizesWithoutBytesAndExpungesVirtualMessages() throws {
        let store: any MaildropProviding = try Self.store()
        let expected = Self.reference(seed: 9, size: 2048, count: 30)
        guard case .success(let drop) = store.openMaildrop(Self.recipient, session: "s1") else {
            Issue.record("maildrop did not open")
            return
        }
        #expect(drop.messages.map { $0.size } == expected.map { $0.1.count })
        #expect(drop.messages[7].content == expected[7].1)
        #expect(store.expungeMaildrop(Self.recipient, session: "s1", uids: [1, 8]) == 2)
        store.closeMaildrop(Self.recipient, session: "s1")
        guard case .success(let next) = store.openMaildrop(Self.recipient, session: "s2") else {
            Issue.record("maildrop did not reopen")
            return
        }
        #expect(next.messages.count == 28 && next.uidValidity == drop.uidValidity)
        let remaining: [UInt32] = drop.messages.map { $0.uid }.filter { $0 != 1 && $0 != 8 }
        #expect(next.messages.map { $0.uid } == remaining)
    }
}

/// `Limits.virtualMailCacheBytes`: read bytes are kept up to the cache's capacity, the oldest dropped
/// first, and a dropped message is made again with the same bytes.
@Suite struct GeneratedBodyCacheTests {
    @Test func theCacheStaysWithinItsCapacityAndMissesMakeTheSameBytes() {
        let capacity = GeneratedBodyCache.shardCount * 6_000
        let cache = GeneratedBodyCache(capacity: capacity)
        let recipe = MessageRecipe(
            seed: 3, recipient: VirtualMailTests.recipient, approximateSize: 2048, count: 200, end: VirtualMailTests.end
        )
        let run = GeneratedRun(recipe: recipe, firstUID: 1, cache: cache)
        let plain = GeneratedRun(recipe: recipe, firstUID: 1)
        for index in 0..<200 {
            #expect(run.bytes(at: index) == plain.bytes(at: index))
            #expect(cache.heldBytes <= capacity)
        }
        #expect(cache.heldBytes > capacity / 2)
        #expect(cache.bytes(of: run, at: 0) == nil, "the oldest is gone")
        #expect(cache.bytes(of: run, at: 199) == plain.bytes(at: 199), "the newest is kept")
        #expect(run.bytes(at: 0) == plain.bytes(at: 0), "a miss makes the same bytes again")
        #expect(Limits.virtualMailCacheBytes >= 1024 * 1024)
    }
}
