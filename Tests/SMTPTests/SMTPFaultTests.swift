import ExomockTestSupport
import Journal
import ListenerSupport
import MailAuthentication
import NIOCore
import NIOSSL
import ScenarioModel
import Testing

/// Scenario faults on SMTP commands, as for IMAP and POP3: counted per command name, never by a clock.
@Suite struct SMTPFaultTests {
    let tls: NIOSSLContext

    init() throws {
        let made = try ThrowawayCertificate.make()
        defer { made.remove() }
        tls = try made.serverContext()
    }

    @Test func disconnectAtTheSecondMAILClosesWithoutAReply() throws {
        let f = try SMTPFixture()
        let faults = MailFaults(
            faults: [Fault(service: .smtp, kind: .disconnect, match: "mail", after: 1)], service: .smtp, cloud: nil)
        let smtp = try EmbeddedSMTP(server: f.server(faults: faults), fixture: f, tls: tls)
        _ = try smtp.output()
        try smtp.send("EHLO x\r\n")
        try smtp.send("AUTH XOAUTH2 \(f.xoauth2(SMTPFixture.alice, f.token()))\r\n")
        #expect(try smtp.send("MAIL FROM:<\(SMTPFixture.alice)>\r\n") == "250 2.1.0 Sender OK\r\n")
        #expect(try smtp.send("RSET\r\n") == "250 2.0.0 Resetting\r\n")
        #expect(try smtp.send("MAIL FROM:<\(SMTPFixture.alice)>\r\n") == "")
        #expect(!smtp.channel.isActive)
        #expect(smtp.events("fault.disconnect").first?["command"] == "MAIL")
    }

    @Test func latencyHoldsTheCommandAndWhatFollowsIt() throws {
        let f = try SMTPFixture()
        let faults = MailFaults(
            faults: [Fault(service: .smtp, kind: .latency, match: "NOOP", count: 1, seconds: 2)], service: .smtp,
            cloud: nil)
        let smtp = try EmbeddedSMTP(server: f.server(faults: faults), fixture: f, tls: tls)
        _ = try smtp.output()
        #expect(try smtp.send("NOOP\r\nEHLO x\r\n") == "")
        smtp.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(try smtp.output() == "")
        smtp.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(try smtp.output().hasPrefix("250 2.0.0 OK\r\n250-MN2PR01CA0007"))
        // count: 1 — the next NOOP is not delayed.
        #expect(try smtp.send("NOOP\r\n") == "250 2.0.0 OK\r\n")
        #expect(smtp.events("fault.latency").count == 1)
    }

    @Test func idleOnTheVirtualClockEndsTheSession() throws {
        let f = try SMTPFixture()
        let smtp = try EmbeddedSMTP(server: f.server(settings: ExchangeSettings(idleTimeout: 60)), fixture: f, tls: tls)
        _ = try smtp.output()
        // Real time passing alone changes nothing: idleness is measured on the scenario's clock.
        smtp.channel.embeddedEventLoop.advanceTime(by: .seconds(120))
        #expect(try smtp.output() == "")
        f.clock.advance(by: 61)
        smtp.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(try smtp.output() == "421 4.4.2 Connection timed out\r\n")
        #expect(smtp.events("session.idle_timeout").count == 1)
    }

    @Test func replyAnswersInsteadOfTheCommandAndByeSays421() throws {
        let f = try SMTPFixture()
        let faults = MailFaults(
            faults: [
                Fault(service: .smtp, kind: .reply, match: "MAIL", count: 1, line: "451 4.3.2 Try again later"),
                Fault(service: .smtp, kind: .bye, match: "RCPT"),
            ], service: .smtp, cloud: nil)
        let smtp = try EmbeddedSMTP(server: f.server(faults: faults), fixture: f, tls: tls)
        _ = try smtp.output()
        try smtp.send("EHLO x\r\n")
        try smtp.send("AUTH XOAUTH2 \(f.xoauth2(SMTPFixture.alice, f.token()))\r\n")
        #expect(try smtp.send("MAIL FROM:<\(SMTPFixture.alice)>\r\n") == "451 4.3.2 Try again later\r\n")
        #expect(try smtp.send("MAIL FROM:<\(SMTPFixture.alice)>\r\n") == "250 2.1.0 Sender OK\r\n")
        #expect(
            try smtp.send("RCPT TO:<\(SMTPFixture.bob)>\r\n")
                == "421 4.3.2 Service not available, closing transmission channel\r\n")
        #expect(!smtp.channel.isActive)
    }

    /// Python smtplib sees a `reply` fault's line as its error: `SMTPResponseException` with the code and text.
    @Test func smtplibSeesTheReplyLineAsItsError() async throws {
        let f = try SMTPFixture()
        let faults = MailFaults(
            faults: [Fault(service: .smtp, kind: .reply, match: "MAIL", line: "451 4.3.2 Try again later")],
            service: .smtp, cloud: nil)
        let listeners = try await LiveListeners.bind(
            server: f.server(faults: faults), journal: Journal(clock: f.clock), clock: f.clock)
        do {
            let result = try await runClient(
                "python3",
                [
                    "-c", smtplibScript, "localhost", String(listeners.starttls.port),
                    listeners.certificate.certificatePath, SMTPFixture.alice, f.token(), SMTPFixture.alice,
                    SMTPFixture.bob, "fault", "one",
                ], package: "python3", timeout: 60)
            #expect(
                result.output.contains("AUTH 235 2.7.0 Authentication successful"), "\(result.output) \(result.error)")
            #expect(result.output.hasSuffix("ERROR 451 4.3.2 Try again later\n"), "\(result.output) \(result.error)")
        } catch {
            await listeners.stop()
            throw error
        }
        await listeners.stop()
    }
}
