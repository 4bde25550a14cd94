import Foundation

/// Byte sizes as scenarios write them: `2KiB`, `10KB`, `1MiB`, `512B`, or a bare number of bytes.
/// Decimal units (`KB`, `MB`, `GB`) are powers of 1000, binary units (`KiB`, `MiB`, `GiB`) of 1024.
public enum SizeText {
    static let units: [(suffix: String, bytes: Int)] = [
        ("KiB", 1024), ("MiB", 1024 * 1024), ("GiB", 1024 * 1024 * 1024),
        ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1),
    ]

    /// Bytes for a size string, or nil when it is not one (negative, fractional bytes, unknown unit,
    /// or too large for `Int`).
    public static func parse(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        for (suffix, bytes) in units where trimmed.hasSuffix(suffix) {
            let number = trimmed.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)
            return scaled(number, by: bytes)
        }
        return scaled(trimmed, by: 1)
    }

    private static func scaled(_ number: String, by unit: Int) -> Int? {
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
            let value = Double(number), value.isFinite, value >= 0
        else { return nil }
        let bytes = value * Double(unit)
        guard bytes < Double(Int.max), bytes == bytes.rounded() else { return nil }
        return Int(bytes)
    }
}
