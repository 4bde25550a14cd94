import Determinism
import ExomockLimits
import Foundation
import Testing

@testable import Journal

@Suite struct DeterminismTests {
    @Test("same seed, same ids; streams are independent")
    func seededIDs() {
        let a = IdentifierSource(seed: 42)
        let b = IdentifierSource(seed: 42)
        let firstA = a.guid("trace")
        _ = b.guid("oid")  // another stream in between does not shift "trace"
        #expect(firstA == b.guid("trace"))
        #expect(IdentifierSource(seed: 43).guid("trace") != firstA)
        #expect(firstA.count == 36 && firstA[firstA.index(firstA.startIndex, offsetBy: 14)] == "4")
        #expect(a.stableGUID(for: "admin@contoso") == b.stableGUID(for: "admin@contoso"))
    }

    @Test("the virtual clock moves only when told, 90 days at once")
    func virtualClock() {
        let start = Date(timeIntervalSince1970: 1_767_225_600)
        let clock = VirtualClock(start: start)
        #expect(clock.now() == start)
        clock.advance(by: 91 * 86_400)
        #expect(Timestamps.rfc3339(clock.now()) == "2026-04-02T00:00:00Z")
    }

    @Test(
        "durations parse and print",
        arguments: [
            ("90d", 7_776_000.0), ("1h30m", 5_400), ("15m", 900), ("250ms", 0.25), ("3600", 3600), ("2w", 1_209_600),
        ])
    func durations(text: String, seconds: Double) {
        #expect(DurationText.parse(text) == seconds)
    }

    @Test("bad durations are refused", arguments: ["", "d", "90x", "1h30", "-5", "h1"])
    func badDurations(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test("the journal stamps virtual time, numbers events, and stays bounded")
    func journal() {
        let clock = VirtualClock(start: Date(timeIntervalSince1970: 1_767_225_600))
        let journal = Journal(clock: clock, capacity: 3)
        for i in 0..<5 {
            journal.record(cloud: "gcc-high", service: .imap, connection: "imap-1", event: JournalEvent.Name("e\(i)"))
        }
        #expect(journal.events().map(\.seq) == [3, 4, 5])
        #expect(journal.droppedCount == 2)
        #expect(journal.events().first?.time == "2026-01-01T00:00:00Z")
        #expect(
            journal.jsonLines(after: 4)
                == #"{"cloud":"gcc-high","connection":"imap-1","detail":{},"event":"e4","seq":5,"service":"imap","time":"2026-01-01T00:00:00Z"}"#
                + "\n")
    }

    @Test("the journal counts every event by kind, dropped ones too, and bounds the kinds")
    func journalCounts() {
        let journal = Journal(clock: VirtualClock(start: VirtualClock.defaultStart), capacity: 2)
        for _ in 0..<5 { journal.record(cloud: "dod", service: .pop3, event: .authSucceeded) }
        journal.record(cloud: nil, service: .admin, event: .clockAdvanced)
        let counts = journal.eventCounts()
        #expect(counts[Journal.EventKind(cloud: "dod", service: .pop3, event: .authSucceeded)] == 5)
        #expect(counts[Journal.EventKind(cloud: nil, service: .admin, event: .clockAdvanced)] == 1)
        #expect(journal.recordedCount == 6 && journal.events().count == 2)

        for i in 0..<(Limits.journalCountedKinds + 10) {
            journal.record(cloud: nil, service: JournalEvent.Service("x"), event: JournalEvent.Name("e\(i)"))
        }
        let bounded = journal.eventCounts()
        #expect(bounded.count == Limits.journalCountedKinds + 1, "the kinds stop at the limit, plus `other`")
        #expect(bounded[Journal.EventKind(cloud: nil, service: JournalEvent.Service("x"), event: .other)] == 12)
    }

    @Test("a full journal keeps the newest events in order however often it wraps")
    func journalWraps() {
        let journal = Journal(clock: VirtualClock(start: VirtualClock.defaultStart), capacity: 4)
        for total in 1...23 {
            journal.record(cloud: nil, service: .imap, event: JournalEvent.Name("e\(total)"))
            let expected = Array(max(1, total - 3)...total)
            #expect(journal.events().map(\.seq) == expected)
            #expect(journal.events(after: total - 2).map(\.seq) == expected.filter { $0 > total - 2 })
            for after in [-1, 0, total - 5, total - 1, total, total + 3] {
                #expect(journal.events(after: after).map(\.seq) == expected.filter { $0 > after }, "after \(after)")
            }
            #expect(journal.droppedCount == max(0, total - 4))
        }
    }
}
