import Foundation

/// Generated messages for clients of the mock (a flow's `deliver` step), with the same bytes the
/// store makes for a folder's `generate:` source with the same seed, recipient and size.
public enum GeneratedMail {
    /// `count` messages, dated up to `end`.
    public static func messages(count: Int, size: Int, seed: UInt64, recipient: String, end: Date) -> [[UInt8]] {
        var generator = MessageGenerator(seed: seed, recipient: recipient, approximateSize: size)
        return (0..<count).map { generator.next(index: $0, count: count, end: end).1 }
    }
}
