import ExomockLimits
import MailClient
import Testing

@testable import LoadGenerator

@Suite struct LoadRecordTests {
    @Test func errorsAreClassedByCodeLineTimeoutAndReset() {
        #expect(
            ErrorClass.token(status: 400, errorCodes: [50126], error: "invalid_grant").text
                == "token: AADSTS50126 (invalid_grant)")
        #expect(ErrorClass.token(status: 429, errorCodes: [], error: nil).text == "token: HTTP 429")
        let refused = CommandOutcome(
            sent: "A1 AUTHENTICATE XOAUTH2 ****", lines: ["A1 NO AUTHENTICATE failed."], status: "NO")
        #expect(ErrorClass.mail(.imap, refused).text == "imap: NO AUTHENTICATE failed.")
        let pop = CommandOutcome(sent: "RETR 1", lines: ["-ERR Protocol error."], status: "-ERR")
        #expect(ErrorClass.mail(.pop3, pop).text == "pop3: -ERR Protocol error.")
        #expect(ErrorClass.mail(.imap, CommandOutcome(sent: nil, ending: .timedOut(seconds: 1))) == .timeout(.imap))
        #expect(ErrorClass.mail(.pop3, CommandOutcome(sent: nil, ending: .closed)) == .reset(.pop3))
        #expect(
            ErrorClass.mail(.imap, thrown: MailClientError.connectFailed("127.0.0.1:1: refused")) == .connect(.imap))
        let long = CommandOutcome(sent: nil, lines: ["A1 NO " + String(repeating: "x", count: 500)], status: "NO")
        #expect(ErrorClass.mail(.imap, long).text.count <= "imap: ".count + Limits.loadErrorLineLength + 1)
    }

    @Test func errorClassesStopAtTheLimitAndTheRestCountAsOther() {
        let recorder = LoadRecorder()
        let classes = Limits.loadMaximumErrorClasses + 6
        for i in 0..<classes {
            recorder.record(
                .imap, .failed(ErrorClass("imap: NO request \(i)")), latency: .milliseconds(1), counted: true)
        }
        let imap = recorder.totals()[.imap]!
        #expect(imap.errors == classes)
        #expect(imap.errorClasses.count == Limits.loadMaximumErrorClasses + 1)
        #expect(imap.errorClasses[.other] == 6)
    }

    @Test func warmUpOperationsShowInProgressButNotInTheTotals() {
        let recorder = LoadRecorder()
        recorder.record(.refresh, OperationResult(bytes: 10), latency: .milliseconds(3), counted: false)
        recorder.record(.refresh, OperationResult(bytes: 10), latency: .milliseconds(5), counted: true)
        #expect(recorder.totals()[.refresh]?.ops == 1)
        #expect(recorder.takeInterval()[.refresh]?.ops == 2)
        #expect(recorder.takeInterval().isEmpty)
        // Latency past the histogram's range is kept as its highest value, not dropped.
        recorder.record(.imap, OperationResult(), latency: .seconds(7200), counted: true)
        #expect(recorder.totals()[.imap]?.latency.totalCount == 1)
    }

    @Test func imapAnswersAreRead() {
        #expect(IMAPText.exists("* 1000 EXISTS") == 1000)
        #expect(IMAPText.exists("* 3 RECENT") == nil)
        #expect(IMAPText.uid("* 4 FETCH (UID 17)") == 17)
        #expect(IMAPText.uid("A3 OK UID FETCH completed.") == nil)
        #expect(POP3Text.statCount("+OK 12 123456") == 12)
    }
}
