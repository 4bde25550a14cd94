import Determinism
import ExomockLimits
import MailStore
import Testing

@Suite struct OutboxTests {
    @Test func theOldestGoPastTheCapacity() {
        let outbox = Outbox(clock: VirtualClock(start: VirtualClock.defaultStart))
        for n in 1...(Limits.smtpOutboxCapacity + 1) {
            outbox.add(
                cloud: "worldwide", mailbox: "a@b", from: "a@b", recipients: ["x\(n)@example.com"], messageID: "m\(n)",
                content: [65])
        }
        let kept = outbox.messages
        #expect(kept.count == Limits.smtpOutboxCapacity)
        #expect(kept.first?.sequence == 2 && kept.last?.sequence == Limits.smtpOutboxCapacity + 1)
        #expect(kept.first?.accepted == "2026-01-01T00:00:00Z")
    }
}
