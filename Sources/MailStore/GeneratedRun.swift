import Foundation
import Synchronization

/// One `generate:` source of a folder: `count` messages with consecutive UIDs from `firstUID`,
/// produced from the seed when read instead of kept in memory.
///
/// Sizes, read flags and where each message's random draws start come from one counting pass
/// (`CountOutput`, no bytes made), run the first time anything about the run is asked and kept
/// (12 bytes a message). Dates are closed-form. Bytes are made on each read, identical to what the
/// generator has always made for that seed, recipient and size.
public final class GeneratedRun: Sendable {
    let recipe: MessageRecipe
    /// UID of message 0; message i has UID `firstUID + i`.
    let firstUID: UInt32
    private let layout = Mutex<Layout?>(nil)

    struct Layout: Sendable {
        /// Draws made before message i.
        var draws: [UInt64]
        /// Message i's size in bytes, with bit 31 set when it starts out `\Seen`.
        var sizes: [UInt32]

        static let seenBit: UInt32 = 1 << 31
    }

    /// Recently read bytes, shared by the store's runs (nil: make them on every read).
    let cache: GeneratedBodyCache?

    init(recipe: MessageRecipe, firstUID: UInt32, cache: GeneratedBodyCache? = nil) {
        self.recipe = recipe
        self.firstUID = firstUID
        self.cache = cache
    }

    var count: Int { recipe.count }
    var uids: ClosedRange<UInt32>? { count == 0 ? nil : firstUID...(firstUID + UInt32(count) - 1) }

    /// The run's layout, measured on first use (under the run's own lock, not the store's).
    func measured() -> Layout {
        layout.withLock { layout in
            if let layout { return layout }
            var random = SeekableRandom(seed: recipe.seed)
            var measured = Layout(draws: [], sizes: [])
            measured.draws.reserveCapacity(recipe.count)
            measured.sizes.reserveCapacity(recipe.count)
            for index in 0..<recipe.count {
                measured.draws.append(random.draws)
                var counter = CountOutput()
                let seen = recipe.write(index: index, random: &random, into: &counter)
                measured.sizes.append(UInt32(counter.count) | (seen ? Layout.seenBit : 0))
            }
            layout = measured
            return measured
        }
    }

    /// Message `index`'s bytes (CRLF line ends): from the cache of recent reads, else made now.
    func bytes(at index: Int) -> [UInt8] {
        if let cached = cache?.bytes(of: self, at: index) { return cached }
        let bytes = make(index)
        cache?.insert(bytes, of: self, at: index)
        return bytes
    }

    /// Message `index`'s bytes, made now from the seed.
    func make(_ index: Int) -> [UInt8] {
        let layout = measured()
        let size = Int(layout.sizes[index] & ~Layout.seenBit)
        var random = SeekableRandom(seed: recipe.seed, draws: layout.draws[index])
        var out = ByteOutput(capacity: size)
        _ = recipe.write(index: index, random: &random, into: &out)
        return out.bytes
    }

    func size(at index: Int) -> Int { Int(measured().sizes[index] & ~Layout.seenBit) }

    /// One shared set for every generated message that starts out read.
    private static let seen: Set<String> = ["\\Seen"]

    /// Message `index` as the store lists it before anything changed it.
    func message(at index: Int, layout: Layout) -> StoredMessage {
        StoredMessage(
            uid: firstUID + UInt32(index),
            flags: layout.sizes[index] & Layout.seenBit != 0 ? Self.seen : [],
            internalDate: recipe.date(of: index),
            body: .generated(GeneratedBody(run: self, index: index, size: Int(layout.sizes[index] & ~Layout.seenBit))))
    }
}

/// A generated message's body: its run and place in it, and its size (known without the bytes).
public struct GeneratedBody: Sendable, Equatable {
    let run: GeneratedRun
    let index: Int
    let size: Int

    /// Same recipe and place, so the same bytes (a kept copy of those bytes is a different body).
    public static func == (a: GeneratedBody, b: GeneratedBody) -> Bool {
        a.index == b.index && (a.run === b.run || a.run.recipe == b.run.recipe)
    }

    /// The bytes, made now from the seed.
    public var bytes: [UInt8] { run.bytes(at: index) }
}
