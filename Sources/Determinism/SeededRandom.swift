import Synchronization

/// SplitMix64: a small, fast, well-distributed generator whose whole state is one `UInt64`, so a
/// seed fixes every value it will ever produce.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A stable 64-bit hash of a string (FNV-1a), used to derive per-stream seeds.
    public static func hash(_ text: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h &*= 0x0000_0100_0000_01B3
        }
        return h
    }
}

/// Seeded identifiers, one independent stream per purpose ("trace", "correlation", "oid", ...).
///
/// Streams keep ids stable when unrelated components interleave differently: the third trace id of
/// a run is the same whether or not an IMAP login happened in between.
public final class IdentifierSource: Sendable {
    private let seed: UInt64
    private let streams: Mutex<[String: SplitMix64]>

    public init(seed: UInt64) {
        self.seed = seed
        self.streams = Mutex([:])
    }

    /// The next 64 random bits of a stream.
    public func next(_ stream: String) -> UInt64 {
        streams.withLock { streams in
            var generator = streams[stream] ?? SplitMix64(seed: seed ^ SplitMix64.hash(stream))
            let value = generator.next()
            streams[stream] = generator
            return value
        }
    }

    /// The next GUID of a stream, lower case, version-4 shaped (`xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`).
    public func guid(_ stream: String) -> String {
        Self.formatGUID(high: next(stream), low: next(stream))
    }

    /// `count` random bytes of a stream.
    public func bytes(_ stream: String, count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            var word = next(stream)
            for _ in 0..<8 where out.count < count {
                out.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return out
    }

    /// A GUID derived from a name alone (same name and seed, same GUID), for things a scenario
    /// names but gives no id, such as a user's object id.
    public func stableGUID(for name: String) -> String {
        var generator = SplitMix64(seed: seed ^ SplitMix64.hash("stable:" + name))
        return Self.formatGUID(high: generator.next(), low: generator.next())
    }

    static func formatGUID(high: UInt64, low: UInt64) -> String {
        let h = (high & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        let l = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        func hex(_ v: UInt64, _ digits: Int) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: max(0, digits - s.count)) + s
        }
        return
            "\(hex(h >> 32, 8))-\(hex((h >> 16) & 0xFFFF, 4))-\(hex(h & 0xFFFF, 4))-\(hex(l >> 48, 4))-\(hex(l & 0xFFFF_FFFF_FFFF, 12))"
    }
}
