import Determinism
import Foundation
import Synchronization
import Testing

@testable import Journal

/// The journal's observer hook, through which `exomock serve --log-level info` puts decisions on the console,
/// and the console line of each decision kind (never with a secret in it).
struct JournalLoggingTests {
    /// Events an observer saw, in order.
    final class Seen: Sendable {
        let events = Mutex<[JournalEvent]>([])
        var all: [JournalEvent] { events.withLock { $0 } }
        func observer() -> JournalObserver { { event in self.events.withLock { $0.append(event) } } }
    }

    static func journal() -> Journal { Journal(clock: VirtualClock(start: VirtualClock.defaultStart)) }

    @Test("the observer sees every event once it is recorded, stamped; nil removes it")
    func observerSeesEvents() {
        let journal = Self.journal()
        journal.record(cloud: nil, service: .scenario, event: JournalEvent.Name("before"))
        let seen = Seen()
        journal.setObserver(seen.observer())
        let first = journal.record(cloud: "gcc-high", service: .token, connection: "token-1", event: .tokenIssued)
        journal.record(
            cloud: "gcc-high", service: .imap, connection: "imap-1", event: .authFailed, detail: ["reason": "x"]
        )
        journal.setObserver(nil)
        journal.record(cloud: nil, service: .admin, event: JournalEvent.Name("after"))
        #expect(seen.all.map(\.event) == [.tokenIssued, .authFailed])
        #expect(seen.all.first == first)
        #expect(seen.all.map(\.seq) == [2, 3])
        #expect(seen.all.allSatisfy { !$0.time.isEmpty })
    }

    @Test("the observer runs outside the journal's lock: it may read and record")
    func observerMayUseTheJournal() {
        let journal = Self.journal()
        let counts = Mutex<[Int]>([])
        journal.setObserver { event in
            counts.withLock { $0.append(journal.recordedCount) }
            if event.event == .authFailed {
                journal.record(cloud: nil, service: .admin, event: JournalEvent.Name("observed"))
            }
        }
        journal.record(cloud: "gcc-high", service: .imap, event: .authFailed)
        #expect(journal.events().map(\.event.rawValue) == ["auth.failed", "observed"])
        #expect(counts.withLock { $0 } == [1, 2])
    }

    @Test("decisions: refused and throttled tokens, refused logins, not connected, refused connections, faults")
    func decisionKinds() {
        func event(_ name: JournalEvent.Name) -> JournalEvent {
            JournalEvent(cloud: "gcc-high", service: .imap, connection: nil, event: name)
        }
        for name: JournalEvent.Name in [
            .tokenRejected, .tokenThrottled, .discoveryRejected, .authFailed, .authNotConnected,
            .connectionRefused, .faultDisconnect, .faultLatency,
        ] {
            #expect(event(name).isDecision, "\(name)")
        }
        for name: JournalEvent.Name in [
            .tokenIssued, .authSucceeded, .connectionOpened, .clockAdvanced, .scenarioReady,
        ] {
            #expect(!event(name).isDecision, "\(name)")
        }
    }

    @Test("a refused token's console line: cloud, connection, AADSTS code, error, rule, the rest of the detail")
    func tokenRejectedLine() {
        let event = JournalEvent(
            cloud: "gcc-high", service: .token, connection: "token-3", event: .tokenRejected,
            detail: [
                "code": "700082", "error": "invalid_grant", "rule": "refreshTokenInactive", "grant": "refresh_token",
                "client": "0c4e8a2f", "tenant": "contoso.onmicrosoft.us",
            ]
        )
        #expect(
            event.consoleSummary
                == "gcc-high token token-3: token refused: AADSTS700082 invalid_grant (rule refreshTokenInactive) "
                + "client=0c4e8a2f grant=refresh_token tenant=contoso.onmicrosoft.us"
        )
        let throttled = JournalEvent(
            cloud: "worldwide", service: .token, connection: "token-9", event: .tokenThrottled,
            detail: ["code": "429", "retry_after": "30", "rule": "throttled"]
        )
        #expect(
            throttled.consoleSummary
                == "worldwide token token-9: token throttled: HTTP 429, Retry-After 30 s (rule throttled)"
        )
    }

    @Test("a refused or not-connected login's console line names its reason; values with spaces are quoted")
    func loginLines() {
        let failed = JournalEvent(
            cloud: "gcc-high", service: .imap, connection: "imap-2", event: .authFailed,
            detail: ["reason": "token_expired", "detail": "token rejected: expired", "user": "helpdesk@contoso"]
        )
        #expect(
            failed.consoleSummary
                == "gcc-high imap imap-2: login refused: token_expired (token rejected: expired) user=helpdesk@contoso"
        )
        let notConnected = JournalEvent(
            cloud: "gcc-high", service: .imap, connection: "imap-4", event: .authNotConnected,
            detail: ["reason": "no_mailbox_access", "command": "AUTHENTICATE", "note": "two words"]
        )
        #expect(
            notConnected.consoleSummary
                == "gcc-high imap imap-4: authenticated but not connected: no_mailbox_access command=AUTHENTICATE "
                + #"note="two words""#
        )
        let fault = JournalEvent(
            cloud: "china", service: .pop3, connection: "pop3-1", event: .faultDisconnect,
            detail: ["command": "RETR"])
        #expect(fault.consoleSummary == "china pop3 pop3-1: fault injected: disconnect command=RETR")
    }

    @Test("secrets never reach the console line, whatever a service records")
    func secretsRedacted() {
        let event = JournalEvent(
            cloud: "gcc-high", service: .token, connection: "token-1", event: .tokenRejected,
            detail: [
                "code": "7000215", "client_secret": "s3cret", "password": "hunter2", "refresh_token": "0.AAA",
                "Authorization": "Bearer eyJ", "user": "a@b",
            ]
        )
        let line = event.consoleSummary
        for secret in ["s3cret", "hunter2", "0.AAA", "eyJ"] { #expect(!line.contains(secret), "\(line)") }
        #expect(line.contains("client_secret=<redacted>"))
        #expect(line.contains("user=a@b"))
        #expect(event.detail["password"] == "hunter2", "the journal itself keeps what was recorded")
    }
}
