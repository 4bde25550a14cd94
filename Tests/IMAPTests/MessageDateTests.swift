import Determinism
import Foundation
import Testing

@testable import MailStore

/// Generated messages' `Date:` header against Foundation's own RFC 5322 formatting, across years,
/// leap days and instants before 1970.
@Suite struct MessageDateTests {
    @Test func rfc5322DateMatchesDateFormatter() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        var t = -2_000_000_000.0
        while t < 4_000_000_000 {
            let date = Date(timeIntervalSince1970: t)
            #expect(MessageGenerator.rfc5322Date(date) == formatter.string(from: date), "at \(t)")
            t += 7_777_777.5
        }
        let leapDay = Date(timeIntervalSince1970: 1_709_164_800)  // 2024-02-29
        #expect(MessageGenerator.rfc5322Date(leapDay) == "Thu, 29 Feb 2024 00:00:00 +0000")
    }
}

/// Generated mail is part of the determinism promise (same seed, same bytes): these digests pin the
/// generator's output, so a speed-up or refactor that changes a single byte fails here.
@Suite struct GeneratedMailGoldenTests {
    static func digest(seed: UInt64, size: Int, count: Int) -> (UInt64, Int) {
        var generator = MessageGenerator(
            seed: seed, recipient: "helpdesk@contoso.onmicrosoft.us", approximateSize: size)
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a 64
        var bytes = 0
        for index in 0..<count {
            let (date, raw, seen) = generator.next(index: index, count: count, end: VirtualClock.defaultStart)
            for b in raw + Array("\(date.timeIntervalSince1970)\(seen)".utf8) {
                hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3
            }
            bytes += raw.count
        }
        return (hash, bytes)
    }

    @Test func generatorOutputIsPinned() {
        let small = Self.digest(seed: 1, size: 2048, count: 30)
        let large = Self.digest(seed: 7, size: 40_000, count: 10)
        #expect(small == (12_611_437_564_980_384_262, 68_340))
        #expect(large == (15_485_192_296_847_548_950, 406_870))
    }
}
