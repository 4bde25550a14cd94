import ExomockLimits
import Synchronization

/// The bytes of generated messages read lately, so a client that reads the same messages again (a
/// handler polling its Inbox, a FETCH loop) gets them without making them again. Bounded by
/// `Limits.virtualMailCacheBytes`, in 16 parts by key, each dropping its oldest entries first. One per store.
///
/// Scan resistance: a message read again after it left the cache (a re-miss) only takes the oldest
/// entry's place when it has been read clearly more often (`ReadCounts`, at least 2 more reads). A client
/// that reads more mail in a loop than the cache holds (eight 1000-message FETCH loops over 83 MB of
/// mail against 64 MiB) would otherwise push every message out just before it is read again and never
/// hit; with the rule, the cache keeps what it holds and serves that share of the loop. A turned-away
/// re-miss sends the oldest entry to the back, so when the loop narrows, stale entries meet re-misses in
/// turn and go. A message read for the first time always goes in (the oldest goes out), as before.
final class GeneratedBodyCache: Sendable {
    struct Key: Hashable {
        let run: ObjectIdentifier
        let index: Int

        /// A cheap, well-mixed hash (shard choice and read counts); not `Hasher`, which costs more.
        var mixed: UInt64 {
            var x = UInt64(UInt(bitPattern: run)) &+ UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            return x ^ (x >> 31)
        }
    }

    struct Entry {
        /// Held so the run (and so its `ObjectIdentifier`) lives as long as the entry.
        let run: GeneratedRun
        let bytes: [UInt8]
    }

    struct State {
        var entries: [Key: Entry] = [:]
        /// Insertion order; `head` is the oldest still to evict.
        var order: [Key] = []
        var head = 0
        var bytes = 0
        var reads = ReadCounts()
    }

    let capacity: Int
    /// Independent parts, each with its own lock and an equal share of `capacity`: with one lock, eight
    /// IMAP sessions re-reading virtual mail spent a percent of the server's time waiting for it (perf).
    private let shards: [Shard]
    static let shardCount = 16

    final class Shard: Sendable {
        let state = Mutex(State())
    }

    init(capacity: Int = Limits.virtualMailCacheBytes) {
        self.capacity = capacity
        self.shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    private var shardCapacity: Int { capacity / Self.shardCount }

    private func shard(_ hash: UInt64) -> Shard { shards[Int(hash >> 60) & (Self.shardCount - 1)] }

    /// The cached bytes, or nil; counts the read either way (a miss is followed by `insert`).
    func bytes(of run: GeneratedRun, at index: Int) -> [UInt8]? {
        let key = Key(run: ObjectIdentifier(run), index: index)
        let hash = key.mixed
        return shard(hash).state.withLock { state in
            state.reads.count(hash)
            return state.entries[key]?.bytes
        }
    }

    func insert(_ bytes: [UInt8], of run: GeneratedRun, at index: Int) {
        let capacity = shardCapacity
        guard bytes.count <= capacity else { return }
        let key = Key(run: ObjectIdentifier(run), index: index)
        let hash = key.mixed
        shard(hash).state.withLock { state in
            if state.entries[key] != nil { return }
            let reads = state.reads.estimate(hash)
            var admitted = true
            while state.bytes + bytes.count > capacity, state.head < state.order.count {
                let oldest = state.order[state.head]
                guard let gone = state.entries[oldest] else {
                    state.head += 1
                    continue
                }
                // A re-miss replaces the oldest only when read at least 2 times more (see the type's note).
                if reads > 1, reads < state.reads.estimate(oldest.mixed) + 2 {
                    // Turned away; the oldest goes to the back, so the next re-miss meets another entry (a
                    // hot oldest entry must not shield the stale ones behind it for ever).
                    state.order.append(oldest)
                    state.head += 1
                    admitted = false
                    break
                }
                state.head += 1
                state.entries.removeValue(forKey: oldest)
                state.bytes -= gone.bytes.count
            }
            if admitted {
                state.entries[key] = Entry(run: run, bytes: bytes)
                state.order.append(key)
                state.bytes += bytes.count
            }
            // Drop the evicted keys' slots once they are half the list.
            if state.head > 1024, state.head * 2 > state.order.count {
                state.order.removeFirst(state.head)
                state.head = 0
            }
        }
    }

    /// Bytes held (for tests).
    var heldBytes: Int { shards.reduce(0) { total, shard in total + shard.state.withLock { $0.bytes } } }
}

/// About how often each key was read lately: a count-min sketch (4 counters per key in one table of
/// `width` 4-bit counts, the smallest is the estimate), halved every `10 × width` reads so old reads fade.
/// 4 KiB a cache part.
struct ReadCounts {
    static let width = 4096
    static let maximum: UInt8 = 15
    private var counters = [UInt8](repeating: 0, count: width)
    private var reads = 0

    private static func slots(_ hash: UInt64) -> (Int, Int, Int, Int) {
        let mask = UInt64(width - 1)
        return (
            Int(hash & mask), Int((hash >> 12) & mask), Int((hash >> 24) & mask), Int((hash >> 36) & mask)
        )
    }

    func estimate(_ hash: UInt64) -> Int {
        let (a, b, c, d) = Self.slots(hash)
        return Int(min(min(counters[a], counters[b]), min(counters[c], counters[d])))
    }

    /// One more read of `hash` (conservative update: only the smallest counters grow).
    mutating func count(_ hash: UInt64) {
        let (a, b, c, d) = Self.slots(hash)
        let least = min(min(counters[a], counters[b]), min(counters[c], counters[d]))
        if least < Self.maximum {
            if counters[a] == least { counters[a] = least + 1 }
            if counters[b] == least { counters[b] = least + 1 }
            if counters[c] == least { counters[c] = least + 1 }
            if counters[d] == least { counters[d] = least + 1 }
        }
        reads += 1
        if reads >= 10 * Self.width {
            reads = 0
            for i in counters.indices { counters[i] >>= 1 }
        }
    }
}
