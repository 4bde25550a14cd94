import ExomockLimits
import Foundation
import ScenarioLoader
import ScenarioModel
import Testing

/// The scenario's `exchange:` knobs: sessions per mailbox (IMAP, POP3), the POP3 maildrop mode and the
/// answer to a one-line POP3 `AUTH XOAUTH2`, with their defaults and located errors.
@Suite struct ExchangeSettingsLoaderTests {
    static func yaml(_ exchange: String) -> String {
        """
        name: knobs
        clouds: [gcc-high]
        exchange:
        \(exchange)
        """
    }

    static func problems(_ exchange: String) -> [String] {
        ScenarioLoader.problems(yaml: yaml(exchange), fileName: "knobs.yaml")
    }

    @Test("defaults follow the fact sheet: 20 IMAP and 20 shared POP3 sessions, one-line AUTH XOAUTH2 refused")
    func defaults() throws {
        let s = try ScenarioLoader.load(yaml: "name: d\nclouds: [dod]\n", fileName: "d.yaml", baseDirectory: nil)
        #expect(s.exchange.imapSessionsPerMailbox == Limits.imapSessionsPerMailbox)
        #expect(s.exchange.imapSessionsPerMailbox == 20)
        #expect(s.exchange.pop3Maildrop == .shared)
        #expect(s.exchange.pop3SessionsPerMailbox == Limits.pop3SessionsPerMailbox)
        #expect(s.exchange.pop3SessionsPerMailbox == 20)
        #expect(s.exchange.pop3XOAUTH2InitialResponse == .protocolError)
    }

    @Test("every knob reads")
    func everyKnob() throws {
        let s = try ScenarioLoader.load(
            yaml: Self.yaml(
                """
                  imap_sessions_per_mailbox: 16
                  pop3_maildrop: shared
                  pop3_sessions_per_mailbox: 3
                  pop3_xoauth2_initial_response: accept
                """), fileName: "k.yaml", baseDirectory: nil)
        #expect(
            s.exchange
                == ExchangeSettings(
                    imapSessionsPerMailbox: 16, pop3Maildrop: .shared, pop3SessionsPerMailbox: 3,
                    pop3XOAUTH2InitialResponse: .accept))
        let exclusive = try ScenarioLoader.load(
            yaml: Self.yaml("  pop3_maildrop: exclusive"), fileName: "e.yaml", baseDirectory: nil)
        #expect(exclusive.exchange.pop3Maildrop == .exclusive)
    }

    @Test("bad values are located and say how to fix them")
    func badValues() {
        #expect(
            Self.problems("  imap_sessions_per_mailbox: 0") == [
                "knobs.yaml:4:30: exchange.imap_sessions_per_mailbox: 0 is out of range. Use a number from 1 to \(Limits.maximumSessionsPerMailbox)."
            ])
        #expect(
            Self.problems("  pop3_sessions_per_mailbox: \(Limits.maximumSessionsPerMailbox + 1)") == [
                "knobs.yaml:4:30: exchange.pop3_sessions_per_mailbox: \(Limits.maximumSessionsPerMailbox + 1) is out of range. Use a number from 1 to \(Limits.maximumSessionsPerMailbox)."
            ])
        #expect(
            Self.problems("  pop3_sessions_per_mailbox: many").first?.hasPrefix(
                "knobs.yaml:4:30: exchange.pop3_sessions_per_mailbox: ") == true)
        let mode = Self.problems("  pop3_maildrop: locked")
        #expect(mode.count == 1)
        #expect(mode.first?.hasPrefix("knobs.yaml:4:18: exchange.pop3_maildrop: ") == true)
        #expect(mode.first?.contains("shared") == true && mode.first?.contains("exclusive") == true)
        let answer = Self.problems("  pop3_xoauth2_initial_response: maybe")
        #expect(answer.first?.hasPrefix("knobs.yaml:4:34: exchange.pop3_xoauth2_initial_response: ") == true)
        #expect(answer.first?.contains("protocol_error") == true && answer.first?.contains("accept") == true)
        #expect(
            Self.problems("  pop3_maildrop: exclusive\n  pop3_sessions_per_mailbox: 5") == [
                "knobs.yaml:5:30: exchange.pop3_sessions_per_mailbox: applies only to `pop3_maildrop: shared`; an exclusive maildrop holds one session. Remove pop3_sessions_per_mailbox, or set `pop3_maildrop: shared`."
            ])
    }
}
