import Foundation
import IMAPWire
import NIOCore
import Testing

@testable import MailStore

/// The FETCH path's cheaper ways to the same bytes: responses encoded straight into the output buffer, and
/// the virtual-mail cache that keeps serving a read loop larger than itself.
@Suite struct FetchFastPathTests {
    /// `encode(into:)` (literal contents copied once, straight into the buffer) writes what `encoded()` does.
    @Test func encodingIntoABufferGivesTheEncodedBytes() {
        let body = Array("Subject: hi\r\n\r\nline one\r\n.line two\r\n".utf8)
        let responses: [IMAPResponse] = [
            .fetch(
                7,
                [
                    FetchItem("UID", .number(42)), FetchItem("FLAGS", .list([.atom("\\Seen")])),
                    FetchItem("BODY[]", .literal(body)),
                ]),
            .fetch(1, [FetchItem("BODY[1]", .literal([])), FetchItem("RFC822.HEADER", .literal(body))]),
            .fetch(2, [FetchItem("BODY[]<0>", .literal(body)), FetchItem("UID", .number(3))]),
            .fetch(3, [FetchItem("ENVELOPE", .list([.string(Array("a\r\nb".utf8)), .text("plain"), .nil]))]),
            .ok("a1", "FETCH completed."), .exists(1000), .untaggedStatus("OK", code: "UIDNEXT 5", text: "x"),
        ]
        var buffer = ByteBuffer(string: "prefix ")
        for response in responses {
            let before = buffer.readableBytes
            response.encode(into: &buffer)
            #expect(Array(buffer.readableBytesView.dropFirst(before)) == response.encoded(), "\(response)")
        }
    }

    static let recipient = "helpdesk@contoso.onmicrosoft.us"
    static let end = Date(timeIntervalSince1970: 1_767_225_600)

    /// Reads every message of `run` once through `cache` as `GeneratedRun.bytes(at:)` does; returns the hits.
    static func pass(
        _ run: GeneratedRun, _ cache: GeneratedBodyCache, plain: GeneratedRun, upTo end: Int? = nil
    ) -> Int {
        var hits = 0
        for index in 0..<(end ?? run.count) {
            if let cached = cache.bytes(of: run, at: index) {
                hits += 1
                #expect(cached == plain.bytes(at: index))
            } else {
                let bytes = run.make(index)
                #expect(bytes == plain.bytes(at: index))
                cache.insert(bytes, of: run, at: index)
            }
        }
        return hits
    }

    /// A loop over more mail than the cache holds: FIFO alone evicted each message just before it was read
    /// again (no hits ever); the cache now keeps what it holds, and the share it holds is served from it.
    /// When the loop narrows to what fits, it is served whole after a few passes. A new, smaller loop then
    /// takes the cache over on its first pass, and hits on every read after that.
    @Test func aReadLoopLargerThanTheCacheStillHits() {
        let capacity = GeneratedBodyCache.shardCount * 40_000
        let cache = GeneratedBodyCache(capacity: capacity)
        let big = MessageRecipe(seed: 5, recipient: Self.recipient, approximateSize: 2048, count: 400, end: Self.end)
        let run = GeneratedRun(recipe: big, firstUID: 1, cache: cache)
        let plain = GeneratedRun(recipe: big, firstUID: 1)
        let total = (0..<big.count).reduce(0) { $0 + run.size(at: $1) }
        #expect(total > capacity, "the loop is larger than the cache (\(total) bytes)")
        #expect(Self.pass(run, cache, plain: plain) == 0)
        var hits = 0
        for _ in 0..<4 { hits = Self.pass(run, cache, plain: plain) }
        #expect(hits >= big.count / 3, "\(hits) of \(big.count) read from the cache")
        #expect(cache.heldBytes <= capacity)

        // The loop narrows to what fits: entries of the rest go stale and make room, whatever sits oldest.
        for _ in 0..<6 { hits = Self.pass(run, cache, plain: plain, upTo: 150) }
        #expect(hits >= 145, "\(hits) of 150 read from the cache once the loop fits in it")

        let small = MessageRecipe(seed: 6, recipient: Self.recipient, approximateSize: 1024, count: 40, end: Self.end)
        let next = GeneratedRun(recipe: small, firstUID: 1, cache: cache)
        let nextPlain = GeneratedRun(recipe: small, firstUID: 1)
        _ = Self.pass(next, cache, plain: nextPlain)
        #expect(Self.pass(next, cache, plain: nextPlain) >= small.count - 4, "a sketch collision may hold one back")
    }

    /// Generated mail is pinned: an FNV-1a hash over 300 messages of three sizes, from the generator as it
    /// was before its word table became one flat array (the bytes a client reads must not change).
    @Test func generatedBytesAreUnchanged() {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        var total = 0
        for (seed, size) in [(UInt64(1), 600), (7, 10_240), (42, 40_000)] {
            let recipe = MessageRecipe(
                seed: seed, recipient: Self.recipient, approximateSize: size, count: 100, end: Self.end)
            let run = GeneratedRun(recipe: recipe, firstUID: 1)
            for index in 0..<recipe.count {
                let bytes = run.make(index)
                #expect(bytes.count == run.size(at: index), "the counting pass measures what is made")
                total += bytes.count
                for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
            }
        }
        #expect(total == 5_200_392)
        #expect(hash == 13_766_662_689_090_619_384)
    }
}
