import Determinism
import ExomockLimits
import Foundation
import ScenarioLoader
import Testing

/// Numbers and dates from outside are range-checked where they are parsed (issue 15, "arithmetic on
/// input traps"): RFC 3339 dates by hand, durations without exponents or infinities, clock advances
/// that cannot reach an instant nothing can write.
struct RFC3339Tests {
    static func seconds(_ text: String) -> Double? { Timestamps.parseRFC3339(text)?.timeIntervalSince1970 }

    static func problem(_ text: String) -> String? {
        if case .failure(let problem) = RFC3339.parse(text) { return problem.description }
        return nil
    }

    @Test func readsTheFormsRFC3339Allows() {
        #expect(Self.seconds("2026-01-01T00:00:00Z") == 1_767_225_600)
        #expect(Self.seconds("2026-01-01t00:00:00z") == 1_767_225_600)
        #expect(Self.seconds("2026-01-01 00:00:00Z") == 1_767_225_600)
        #expect(Self.seconds("2026-01-01T09:30:00-05:00") == 1_767_225_600 + 14.5 * 3_600)
        #expect(Self.seconds("2026-01-01T05:30:00+05:30") == 1_767_225_600)
        #expect(Self.seconds("2026-01-01T00:00:00.25Z") == 1_767_225_600.25)
        #expect(Self.seconds("2026-01-01T00:00:00.123456789Z") == 1_767_225_600.123456789)
        #expect(Self.seconds("1970-01-01T00:00:00Z") == 0)
        #expect(Self.seconds("1969-12-31T23:59:59Z") == -1)
        #expect(Self.seconds("0001-01-01T00:00:00Z") == -62_135_596_800)
        #expect(Self.seconds("9999-12-31T23:59:59Z") == 253_402_300_799)
        #expect(Self.seconds("2024-02-29T00:00:00Z") == 1_709_164_800)
        #expect(Self.seconds("2000-02-29T00:00:00Z") == 951_782_400)
    }

    /// Every instant the clock can show, written by `Timestamps.rfc3339`, reads back to itself.
    @Test func readsBackWhatExomockWrites() {
        var random = SplitMix64(seed: 15)
        for _ in 0..<2_000 {
            let seconds = Double(random.next() % 253_402_300_800)
            let date = Date(timeIntervalSince1970: seconds)
            #expect(Timestamps.parseRFC3339(Timestamps.rfc3339(date)) == date, "\(Timestamps.rfc3339(date))")
        }
    }

    @Test func refusesOutOfRangeFieldsAndSaysWhich() {
        #expect(Self.problem("2026-13-01T00:00:00Z") == "the month 13 is out of range 1–12")
        #expect(Self.problem("2026-02-29T00:00:00Z") == "the day 29 is out of range 1–28")
        #expect(Self.problem("1900-02-29T00:00:00Z") == "the day 29 is out of range 1–28")
        #expect(Self.problem("2026-04-31T00:00:00Z") == "the day 31 is out of range 1–30")
        #expect(Self.problem("2026-01-01T24:00:00Z") == "the hour 24 is out of range 0–23")
        #expect(Self.problem("2026-01-01T00:60:00Z") == "the minute 60 is out of range 0–59")
        #expect(Self.problem("2026-01-01T00:00:61Z") == "the second 61 is out of range 0–60")
        #expect(Self.problem("2026-01-01T00:00:00+99:99") == "the offset hour 99 is out of range 0–23")
        #expect(Self.problem("2026-01-01T00:00:00+23:60") == "the offset minute 60 is out of range 0–59")
        #expect(Self.problem("0000-01-01T00:00:00Z") == "the year 0 is out of range 1–9999")
    }

    /// Before: `9999-12-31T23:59:60Z` loaded as an instant past `latestInstant` (the leap second carried it
    /// over), as did offsets at either end. The instant is range-checked after the offset and leap second.
    @Test func refusesInstantsPastEitherEnd() {
        let late = "the instant is after 9999-12-31T23:59:59Z, the latest RFC 3339 can write"
        let early = "the instant is before 0001-01-01T00:00:00Z, the earliest RFC 3339 can write"
        #expect(Self.problem("9999-12-31T23:59:60Z") == late)
        #expect(Self.problem("9999-12-31T23:59:59.5Z") == late)
        #expect(Self.problem("9999-12-31T23:59:59-00:01") == late)
        #expect(Self.problem("0001-01-01T00:00:00+00:01") == early)
        #expect(Self.seconds("9999-12-31T23:59:60+00:01") == Self.seconds("9999-12-31T23:59:00Z"))
        #expect(Self.seconds("9999-12-31T23:59:59Z") == RFC3339.latestInstant.timeIntervalSince1970)
        #expect(Self.seconds("0001-01-01T00:00:00Z") == RFC3339.earliestInstant.timeIntervalSince1970)
        // A leap second elsewhere still reads as the next minute's second 0.
        #expect(Self.seconds("2016-12-31T23:59:60Z") == Self.seconds("2017-01-01T00:00:00Z"))
    }

    @Test func refusesWhatIsNotRFC3339() {
        #expect(Self.problem("10000-01-01T00:00:00Z") == "expected '-' after the year")
        #expect(Self.problem("99999-01-01T00:00:00Z") == "expected '-' after the year")
        #expect(Self.problem("-0001-01-01T00:00:00Z") == "the year must be 4 digits")
        #expect(Self.problem("+2026-01-01T00:00:00Z") == "the year must be 4 digits")
        #expect(Self.problem("2026-01-01T00:00:00") == "the time zone is missing (Z or ±hh:mm)")
        #expect(Self.problem("2026-01-01T00:00:00+0500") == "expected ':' after the offset hour")
        #expect(Self.problem("2026-01-01T00:00:00.Z") == "the fraction after '.' has no digits")
        #expect(Self.problem("2026-01-01T00:00:00Zjunk") == "unexpected text after the time zone")
        #expect(Self.problem("2026-01-01") == "expected 'T' or 't' or ' ' after the date")
        #expect(Self.problem("") == "the year must be 4 digits")
        #expect(Self.problem("２０２６-01-01T00:00:00Z") == "the year must be 4 digits")
        #expect(Self.problem("2026-01-01T00:00:00.1234567890Z") != nil)
        // A fraction thousands of digits long: refused at once, not read into a number.
        let long = "2026-01-01T00:00:00." + String(repeating: "9", count: 5_000) + "Z"
        #expect(Self.problem(long) == "it is longer than an RFC 3339 date-time can be")
        #expect(Timestamps.parseRFC3339(long) == nil)
    }
}

struct DurationTextLimitTests {
    @Test func readsDurations() {
        #expect(DurationText.parse("90d") == 7_776_000.0)
        #expect(DurationText.parse("1h30m") == 5_400.0)
        #expect(DurationText.parse("250ms") == 0.25)
        #expect(DurationText.parse("1.5") == 1.5)
        #expect(DurationText.parse("36500d") == Limits.scenarioMaximumDurationSeconds)
    }

    /// `Double` reads all of these; none is a duration.
    @Test func refusesInfinitiesExponentsAndSigns() {
        for text in [
            "inf", "infinity", "nan", "-5", "+5", "1e3", "1e400", "1e308d", "0x10", "0x1p3", "1..5s", ".", "d",
            "5 d", "٣d", "1e", String(repeating: "9", count: 400), String(repeating: "9", count: 400) + "d",
            "0." + String(repeating: "0", count: 5_000) + "1s",
        ] {
            #expect(DurationText.parse(text) == nil, "\(text.prefix(40))")
        }
    }

    /// Before: `5.m` read as 5 minutes and `1h1h` as 2 hours.
    @Test func refusesTrailingDotsAndRepeatedOrUnorderedUnits() {
        for text in ["5.m", "5.", "1.h30m", "1h1h", "1m1m", "1s1s", "1ms1ms", "30m1h", "1s1m", "250ms1s", "1d1w"] {
            #expect(DurationText.parse(text) == nil, "\(text)")
        }
        let all: Double = 604_800 + 172_800 + 10_800 + 240 + 5.25
        #expect(DurationText.parse("1w2d3h4m5s250ms") == all)
        #expect(DurationText.parse("1.5m") == 90)
        #expect(DurationText.parse("1m30s") == 90)
        #expect(DurationText.parse("1s250ms") == 1.25)
    }

    @Test func formatNeverTraps() {
        #expect(DurationText.format(seconds: .infinity) == "infs")
        #expect(DurationText.format(seconds: 1e300) == "1e+300s")
        #expect(DurationText.format(seconds: 91 * 86_400) == "91d")
    }
}

struct ClockAdvanceLimitTests {
    static let year = 365.0 * 86_400

    @Test func refusesAmountsFromOutsideAndLeavesTheClockAlone() throws {
        let clock = VirtualClock(start: VirtualClock.defaultStart)
        let limit = Limits.scenarioMaximumDurationSeconds
        for amount in [Double.nan, .infinity, -.infinity, -1, 1e308, limit + 1] {
            #expect(throws: VirtualClock.AdvanceError.self) { try clock.advance(checked: amount, atMost: limit).get() }
            #expect(clock.now() == VirtualClock.defaultStart)
        }
        #expect(throws: VirtualClock.AdvanceError.tooLong(maximum: limit)) {
            try clock.advance(checked: limit + 1, atMost: limit).get()
        }
        #expect(try clock.advance(checked: limit, atMost: limit).get() == clock.now())
    }

    @Test func stopsAtTheLastInstantRFC3339CanWrite() throws {
        let clock = VirtualClock(start: try #require(Timestamps.parseRFC3339("9990-01-01T00:00:00Z")))
        let limit = Limits.scenarioMaximumDurationSeconds
        #expect(throws: VirtualClock.AdvanceError.pastLatestInstant) {
            try clock.advance(checked: 11 * Self.year, atMost: limit).get()
        }
        let last = try clock.advance(checked: RFC3339.latestInstant.timeIntervalSince(clock.now()), atMost: limit).get()
        #expect(Timestamps.rfc3339(last) == "9999-12-31T23:59:59Z")
        #expect(throws: VirtualClock.AdvanceError.pastLatestInstant) {
            try clock.advance(checked: 1, atMost: limit).get()
        }
    }
}

/// The scenario loader reports extreme dates and durations where they are written.
struct ScenarioNumberLimitTests {
    static func problems(_ yaml: String) -> [String] {
        ScenarioLoader.problems(yaml: yaml, fileName: "t.yaml")
    }

    static func clock(_ start: String) -> [String] {
        problems("name: x\nclouds: [gcc]\nclock: {start: '\(start)'}\n")
    }

    @Test func datesOutOfRangeAreLocated() {
        #expect(
            Self.clock("10000-01-01T00:00:00Z") == [
                "t.yaml:3:16: clock.start: '10000-01-01T00:00:00Z' is not an RFC 3339 date-time: expected '-' after the year. Write date, time and zone, e.g. 2026-01-01T00:00:00Z or 2026-01-01T09:30:00-05:00."
            ])
        #expect(Self.clock("-2026-01-01T00:00:00Z").first?.contains("the year must be 4 digits") == true)
        #expect(Self.clock("2026-01-01T00:00:00+99:99").first?.contains("the offset hour 99 is out of range") == true)
        let long = "2026-01-01T00:00:00." + String(repeating: "1", count: 3_000) + "Z"
        #expect(
            Self.clock(long).first?.hasPrefix(
                "t.yaml:3:16: clock.start: '2026-01-01T00:00:00.11111111111111111...' is not an RFC 3339 date-time: it is longer"
            ) == true, "\(Self.clock(long))")
        #expect(Self.clock("9999-12-31T23:59:59Z") == [])
        #expect(
            Self.clock("9999-12-31T23:59:60Z") == [
                "t.yaml:3:16: clock.start: '9999-12-31T23:59:60Z' is not an RFC 3339 date-time: the instant is after 9999-12-31T23:59:59Z, the latest RFC 3339 can write. Write date, time and zone, e.g. 2026-01-01T00:00:00Z or 2026-01-01T09:30:00-05:00."
            ])
    }

    /// Before: a NUL (or a line break) in a quoted value reached `exomock check`'s output raw.
    @Test func quotedValuesHaveControlCharactersEscaped() {
        let found = Self.problems("name: x\nclouds: [gcc]\nclock: {start: \"2026-01-01T00:00:00\\0Z\\r\\n\"}\n")
        #expect(
            found == [
                #"t.yaml:3:16: clock.start: '2026-01-01T00:00:00\u{0}Z\u{d}\u{a}' is not an RFC 3339 date-time: the time zone must be Z or ±hh:mm. Write date, time and zone, e.g. 2026-01-01T00:00:00Z or 2026-01-01T09:30:00-05:00."#
            ], "\(found)")
        #expect(found.allSatisfy { !$0.unicodeScalars.contains { $0.value < 0x20 } })
    }

    @Test func durationsOutOfRangeAreLocated() {
        for text in ["inf", "1e308d", "0x10", String(repeating: "9", count: 400) + "d"] {
            let found = Self.problems("name: x\nclouds: [gcc]\nlifetimes: {access_token: '\(text)'}\n")
            #expect(found.count == 1 && found[0].hasPrefix("t.yaml:3:27: lifetimes.access_token: '"), "\(found)")
            #expect(found.first?.contains("is not a duration") == true, "\(found)")
        }
    }

    /// `generate: {count: 1000, size: 35MiB}` asked for 35 GiB; `check` passed it and serve grew without bound.
    @Test func generatedMailOverTheFolderLimitIsLocated() {
        func folder(_ entries: String) -> [String] {
            Self.problems(
                """
                name: x
                clouds: [gcc]
                mailboxes: [{address: a@b.c, folders: [{name: Inbox, messages: [\(entries)]}]}]
                """)
        }
        let limit = Limits.scenarioMaximumGeneratedFolderBytes
        #expect(
            folder("{generate: {count: 1000, size: 35MiB}}") == [
                "t.yaml:3:76: mailboxes[0].folders[0].messages[0].generate: count × size is 36700160000 bytes of generated mail for one folder; the limit is \(limit) bytes (2GiB). Generate fewer or smaller messages, or spread them over more folders or mailboxes (Limits.scenarioMaximumGeneratedFolderBytes)."
            ])
        #expect(folder("{generate: {count: 1024, size: 2MiB}}").allSatisfy { !$0.contains("count × size") })
        #expect(folder("{generate: {count: 1025, size: 2MiB}}").first?.contains("count × size") == true)
        // Two entries, each within the limit, together over it.
        let both = folder("{generate: {count: 1024, size: 2MiB}}, {generate: {count: 1, size: 1}}")
        #expect(
            both.first?.hasPrefix("t.yaml:3:64: mailboxes[0].folders[0].messages: count × size is") == true, "\(both)")
        // A scale entry's inbox, per mailbox.
        let scaled = Self.problems(
            """
            name: x
            clouds: [gcc]
            tenants: [{id: 8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a, cloud: gcc, domains: [b.c]}]
            scale: [{shared_mailboxes: 2, address: 's{n}@b.c', inbox: {count: 100, size: 35MiB}}]
            """)
        #expect(scaled.first?.contains("scale[0].inbox: count × size is") == true, "\(scaled)")
    }
}
