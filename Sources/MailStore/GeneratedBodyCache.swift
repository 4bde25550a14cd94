import ExomockLimits
import Synchronization

/// The bytes of generated messages read lately, so a client that reads the same messages again (a
/// handler polling its Inbox, a FETCH loop) gets them without making them again. Bounded by
/// `Limits.virtualMailCacheBytes`, in 16 parts by key, each dropping its oldest entries first. One per store.
final class GeneratedBodyCache: Sendable {
    struct Key: Hashable {
        let run: ObjectIdentifier
        let index: Int
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

    private func shard(_ key: Key) -> Shard { shards[(key.index &+ key.run.hashValue) & (Self.shardCount - 1)] }

    func bytes(of run: GeneratedRun, at index: Int) -> [UInt8]? {
        let key = Key(run: ObjectIdentifier(run), index: index)
        return shard(key).state.withLock { $0.entries[key]?.bytes }
    }

    func insert(_ bytes: [UInt8], of run: GeneratedRun, at index: Int) {
        let capacity = shardCapacity
        guard bytes.count <= capacity else { return }
        let key = Key(run: ObjectIdentifier(run), index: index)
        shard(key).state.withLock { state in
            if state.entries[key] != nil { return }
            state.entries[key] = Entry(run: run, bytes: bytes)
            state.order.append(key)
            state.bytes += bytes.count
            while state.bytes > capacity, state.head < state.order.count {
                let oldest = state.order[state.head]
                state.head += 1
                if let gone = state.entries.removeValue(forKey: oldest) { state.bytes -= gone.bytes.count }
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
