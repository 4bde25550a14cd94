import ExomockLimits
import Testing

@testable import LoadGenerator

@Suite struct LoadMixTests {
    @Test func weightsSpreadEvenly() throws {
        let mix = try LoadMix.parse("refresh=1,imap=4,pop3=1")
        #expect(mix.kinds == [.refresh, .imap, .pop3])
        let cycle = mix.sequence
        #expect(cycle.count == 6)
        #expect(cycle.filter { $0 == .imap }.count == 4)
        #expect(cycle.filter { $0 == .refresh }.count == 1)
        // Never two of the light kinds in a row at the start: imap leads.
        #expect(cycle.first == .imap)
    }

    @Test func badMixesSayWhatToWrite() {
        #expect(throws: LoadOptionError.self) { try LoadMix.parse("graph=1") }
        #expect(throws: LoadOptionError.self) { try LoadMix.parse("imap=0") }
        #expect(throws: LoadOptionError.self) { try LoadMix.parse("imap=-1") }
        #expect(throws: LoadOptionError.self) { try LoadMix.parse("imap=1,imap=2") }
        do {
            _ = try LoadMix.parse("imap=\(Limits.loadMaximumMixWeight + 1)")
            Issue.record("a mix over the weight limit was accepted")
        } catch {
            #expect(error.description.contains("same ratios"))
        }
        #expect((try? LoadMix.parse("imap=\(Limits.loadMaximumMixWeight)")) != nil)
    }
}
