import Determinism
import ExomockTestSupport
import Foundation
import IMAPServer
import Journal
import ListenerSupport
import MailAuthentication
import NIOCore
import NIOEmbedded
import ScenarioModel
import Testing

/// Scenario `faults:` with `service: imap`: `disconnect` closes at a matching command without a reply,
/// `latency` holds the command for `seconds` of real time (here the EmbeddedEventLoop's time), both
/// decided by counts (`after`, `count`), never by a clock.
@Suite struct IMAPFaultTests {
    static let login =
        "a AUTHENTICATE XOAUTH2 \(XOAUTH2Credentials(user: imapMailbox, token: "good-token").initialResponse)\r\n"

    static func server(_ faults: [Fault]) throws -> IMAPServer {
        IMAPServer(
            store: try makeIMAPStore(), authenticator: TestAuthenticator(), settings: ExchangeSettings(),
            faults: MailFaults(faults: faults, service: .imap, cloud: .gccHigh))
    }

    @Test func countsDecideWhichCommandsAreHit() {
        let faults = MailFaults(
            faults: [Fault(service: .imap, kind: .disconnect, match: "fetch", after: 2, count: 2)], service: .imap,
            cloud: .gccHigh)
        let hits = ["FETCH", "NOOP", "UID FETCH", "FETCH", "FETCH", "FETCH"].map { faults.action(forCommand: $0) }
        #expect(hits == [nil, nil, nil, .disconnect(afterBytes: nil), .disconnect(afterBytes: nil), nil])
        #expect(MailFaults.matches(nil, command: "ANYTHING"))
        #expect(
            MailFaults.matches("uid fetch", command: "UID FETCH") && !MailFaults.matches("UID FETCH", command: "FETCH"))
    }

    @Test func faultsForOtherServicesOrCloudsAreIgnored() {
        let faults = [
            Fault(service: .pop3, kind: .disconnect), Fault(service: .imap, kind: .disconnect, cloud: .worldwide),
            Fault(service: .token, kind: .throttle),
        ]
        #expect(MailFaults(faults: faults, service: .imap, cloud: .gccHigh).isEmpty)
        #expect(!MailFaults(faults: faults, service: .imap, cloud: .worldwide).isEmpty)
        #expect(!MailFaults(faults: faults, service: .pop3, cloud: .gccHigh).isEmpty)
    }

    @Test func disconnectClosesAtTheMatchingCommandWithoutAReply() throws {
        let server = try Self.server([Fault(service: .imap, kind: .disconnect, match: "SELECT", after: 1, count: 1)])
        let first = try EmbeddedIMAP(server: server)
        _ = try first.output()
        #expect(try first.send(Self.login) == "a OK AUTHENTICATE completed.\r\n")
        #expect(try first.send("b SELECT INBOX\r\n").hasSuffix("b OK [READ-WRITE] SELECT completed.\r\n"))
        // The second SELECT (across connections) is hit: no reply, closed, journaled, slot released.
        #expect(try first.send("c SELECT INBOX\r\nd NOOP\r\n") == "")
        #expect(!first.channel.isActive)
        #expect(first.events.contains { $0.event == .faultDisconnect && $0.detail["command"] == "SELECT" })
        #expect(server.sessions.count(imapMailbox) == 0)
        // count: 1 — the next SELECT goes through.
        let second = try EmbeddedIMAP(server: server)
        _ = try second.output()
        _ = try second.send(Self.login)
        #expect(try second.send("e SELECT INBOX\r\n").hasSuffix("e OK [READ-WRITE] SELECT completed.\r\n"))
    }

    /// `client_id` matches the token's `appid` (`MailGrant.clientID`): one app's session is hit, another's
    /// is not, on the same mailbox and command.
    @Test func clientIDFaultHitsOnlyThatAppsSession() throws {
        let otherApp = TestAuthenticator.apps["other-app-token"]!
        let server = try Self.server([
            Fault(service: .imap, kind: .reply, match: "NOOP", clientID: otherApp.uppercased(), line: "NO Busy")
        ])
        let other = try EmbeddedIMAP(server: server)
        _ = try other.output()
        let otherLogin = XOAUTH2Credentials(user: imapMailbox, token: "other-app-token").initialResponse
        #expect(try other.send("a AUTHENTICATE XOAUTH2 \(otherLogin)\r\n") == "a OK AUTHENTICATE completed.\r\n")
        #expect(try other.send("b NOOP\r\n") == "b NO Busy\r\n")
        let good = try EmbeddedIMAP(server: server)
        _ = try good.output()
        #expect(try good.send(Self.login) == "a OK AUTHENTICATE completed.\r\n")
        #expect(try good.send("b NOOP\r\n") == "b OK NOOP completed.\r\n")
        #expect(try other.send("c NOOP\r\n") == "c NO Busy\r\n")
    }

    @Test func latencyHoldsTheCommandAndEverythingAfterIt() throws {
        let server = try Self.server([Fault(service: .imap, kind: .latency, match: "NOOP", count: 1, seconds: 2)])
        let c = try EmbeddedIMAP(server: server)
        _ = try c.output()
        #expect(try c.send("a NOOP\r\nb ID NIL\r\n") == "")
        #expect(c.events.contains { $0.event == .faultLatency && $0.detail["seconds"] == "2.0" })
        c.channel.embeddedEventLoop.advanceTime(by: .milliseconds(1999))
        #expect(try c.output() == "")
        #expect(try c.send("c NOOP\r\n") == "", "input during the delay waits too")
        c.channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(
            try c.output()
                == "a OK NOOP completed.\r\n* ID (\"name\" \"Microsoft.Exchange.Imap4.Imap4Server\" \"version\" \"15.20\")\r\nb OK ID completed.\r\nc OK NOOP completed.\r\n"
        )
        // count: 1 — later NOOPs are immediate.
        #expect(try c.send("d NOOP\r\n") == "d OK NOOP completed.\r\n")
    }

    @Test func saslResponseLinesAreNotCommands() throws {
        let server = try Self.server([Fault(service: .imap, kind: .disconnect)])
        let c = try EmbeddedIMAP(server: server)
        _ = try c.output()
        // Every command is hit, starting with the first.
        #expect(try c.send("a NOOP\r\n") == "")
        #expect(!c.channel.isActive)
        let faults = MailFaults(
            faults: [Fault(service: .imap, kind: .disconnect, match: "AUTHENTICATE", after: 1)], service: .imap,
            cloud: nil)
        let d = try EmbeddedIMAP(
            server: IMAPServer(
                store: try makeIMAPStore(), authenticator: TestAuthenticator(), settings: ExchangeSettings(),
                faults: faults))
        _ = try d.output()
        #expect(try d.send("a AUTHENTICATE XOAUTH2\r\n") == "+ \r\n")
        // The SASL response is not counted as a command (it would be a second AUTHENTICATE otherwise).
        #expect(
            try d.send(XOAUTH2Credentials(user: imapMailbox, token: "good-token").initialResponse + "\r\n")
                == "a OK AUTHENTICATE completed.\r\n")
        #expect(try d.send("b AUTHENTICATE XOAUTH2\r\n") == "")
        #expect(!d.channel.isActive)
    }

    @Test func replyIsTaggedUnlessUntaggedAndAnUntaggedByeCloses() throws {
        let server = try Self.server([
            Fault(service: .imap, kind: .reply, match: "SELECT", count: 1, line: "NO [UNAVAILABLE] Server busy"),
            Fault(service: .imap, kind: .reply, match: "NOOP", line: "* BYE Server going away"),
        ])
        let c = try EmbeddedIMAP(server: server)
        _ = try c.output()
        #expect(try c.send(Self.login) == "a OK AUTHENTICATE completed.\r\n")
        #expect(try c.send("b SELECT INBOX\r\n") == "b NO [UNAVAILABLE] Server busy\r\n")
        #expect(try c.send("c SELECT INBOX\r\n").hasSuffix("c OK [READ-WRITE] SELECT completed.\r\n"))
        #expect(try c.send("d NOOP\r\ne NOOP\r\n") == "* BYE Server going away\r\n")
        #expect(!c.channel.isActive)
        #expect(server.sessions.count(imapMailbox) == 0, "the slot is released")
    }

    @Test func byeIsExchangesAbruptClose() throws {
        let server = try Self.server([Fault(service: .imap, kind: .bye, match: "FETCH")])
        let c = try EmbeddedIMAP(server: server)
        _ = try c.output()
        _ = try c.send(Self.login + "b SELECT INBOX\r\n")
        #expect(try c.send("c FETCH 1 (FLAGS)\r\n") == "* BYE Connection is closed. 13\r\n")
        #expect(!c.channel.isActive)
    }

    @Test func disconnectWithBytesCutsTheFetchLiteral() throws {
        let plain = try EmbeddedIMAP(server: try Self.server([]))
        _ = try plain.output()
        _ = try plain.send(Self.login + "b EXAMINE INBOX\r\n")
        let whole = try plain.send("c FETCH 1 (BODY.PEEK[])\r\n")
        #expect(whole.hasSuffix(")\r\nc OK FETCH completed.\r\n"))
        let server = try Self.server([Fault(service: .imap, kind: .disconnect, match: "FETCH", bytes: 100)])
        let c = try EmbeddedIMAP(server: server)
        _ = try c.output()
        _ = try c.send(Self.login + "b EXAMINE INBOX\r\n")
        let cut = try c.send("c FETCH 1 (BODY.PEEK[])\r\n")
        #expect(Array(cut.utf8) == Array(whole.utf8.prefix(100)), "the first 100 bytes, inside the literal")
        #expect(cut.contains("{"), "the literal has begun")
        #expect(!c.channel.isActive)
    }

    @Test func throttleAuthenticatesButConnectsNoMailbox() throws {
        let server = try Self.server([Fault(service: .imap, kind: .throttle, match: "AUTHENTICATE", count: 1)])
        let c = try EmbeddedIMAP(server: server)
        _ = try c.output()
        #expect(try c.send(Self.login) == "a OK AUTHENTICATE completed.\r\n")
        let refused = try c.send("b SELECT INBOX\r\n")
        #expect(refused.contains("b BAD User is authenticated but not connected.\r\n"), "\(refused)")
        let next = try EmbeddedIMAP(server: server)
        _ = try next.output()
        _ = try next.send(Self.login)
        #expect(try next.send("b SELECT INBOX\r\n").hasSuffix("b OK [READ-WRITE] SELECT completed.\r\n"))
    }

    @Test func preAuthenticationIdleClosesWithBye() throws {
        var settings = ExchangeSettings()
        settings.preAuthIdleTimeout = 60
        let c = try EmbeddedIMAP(settings: settings)
        _ = try c.output()
        c.clock.advance(by: 60)
        c.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(try c.output() == "* BYE Connection is closed. 13\r\n")
        #expect(!c.channel.isActive)
        #expect(
            c.events.contains {
                $0.event == .connectionBye && $0.detail["reason"]?.hasPrefix("not authenticated") == true
            })
    }
}

/// Real clients against IMAP faults on a live listener.
@Suite(.serialized) struct IMAPFaultClientTests {
    static func live(_ faults: [Fault], generated: Int = 0) async throws -> (LiveListeners, IMAPServer) {
        let clock = VirtualClock(start: VirtualClock.defaultStart)
        let server = IMAPServer(
            store: try makeIMAPStore(clock: clock, generated: generated), authenticator: TestAuthenticator(),
            settings: ExchangeSettings(), faults: MailFaults(faults: faults, service: .imap, cloud: nil))
        return (try await LiveListeners.bind(server: server, journal: Journal(clock: clock), clock: clock), server)
    }

    /// Python imaplib: XOAUTH2, then (with a sixth argument `select`) SELECT INBOX; prints what its user sees.
    static let imaplibScript = #"""
        import imaplib, ssl, sys
        host, port, cafile, user, token = sys.argv[1:6]
        select = sys.argv[6:] == ["select"]
        M = imaplib.IMAP4_SSL(host, int(port), ssl_context=ssl.create_default_context(cafile=cafile))
        try:
            M.authenticate("XOAUTH2", lambda _: ("user=%s\x01auth=Bearer %s\x01\x01" % (user, token)).encode())
            print("AUTH OK")
            if select:
                M.select("INBOX")
                print("SELECT OK")
            M.logout()
        except imaplib.IMAP4.abort as e:
            print("ABORT", e)
        except imaplib.IMAP4.error as e:
            print("ERROR", e)
        """#

    /// Python imaplib raises `imaplib.IMAP4.error` with the `reply` fault's text.
    @Test func imaplibSeesTheReplyLineAsItsError() async throws {
        try await withTimeLimit(60) {
            let (listeners, _) = try await Self.live([
                Fault(
                    service: .imap, kind: .reply, match: "AUTHENTICATE", count: 1,
                    line: "NO [UNAVAILABLE] Server busy, try later.")
            ])
            do {
                let arguments = [
                    "-c", Self.imaplibScript, "localhost", String(listeners.implicit.port),
                    listeners.certificate.certificatePath, imapMailbox, "good-token",
                ]
                let first = try await runClient("python3", arguments, package: "python3")
                #expect(
                    first.output == "ERROR [UNAVAILABLE] Server busy, try later.\n", "\(first.output) \(first.error)")
                let second = try await runClient("python3", arguments, package: "python3")
                #expect(second.output == "AUTH OK\n", "count: 1: \(second.output) \(second.error)")
            } catch {
                await listeners.stop()
                throw error
            }
            await listeners.stop()
        }
    }

    /// Python imaplib against Exchange's abrupt close (`bye`) at SELECT and against a `throttle` fault at
    /// login (AUTHENTICATE succeeds, SELECT gets `BAD User is authenticated but not connected.`): what a mail
    /// handler's log shows.
    @Test(
        arguments: [
            (Fault(service: .imap, kind: .bye, match: "SELECT"), "AUTH OK\nABORT "),
            (
                Fault(service: .imap, kind: .throttle, match: "AUTHENTICATE"),
                "AUTH OK\nERROR SELECT command error: BAD [b'User is authenticated but not connected.']\n"
            ),
        ])
    func imaplibSeesByeAndThrottle(fault: Fault, expected: String) async throws {
        try await withTimeLimit(60) {
            let (listeners, _) = try await Self.live([fault])
            do {
                let result = try await runClient(
                    "python3",
                    [
                        "-c", Self.imaplibScript, "localhost", String(listeners.implicit.port),
                        listeners.certificate.certificatePath, imapMailbox, "good-token", "select",
                    ],
                    package: "python3")
                #expect(result.output.hasPrefix(expected), "\(result.output) \(result.error)")
                if fault.kind == .bye {
                    #expect(result.output.contains("Connection is closed. 13"), "\(result.output)")
                }
            } catch {
                await listeners.stop()
                throw error
            }
            await listeners.stop()
        }
    }

    static let jakartaCutProgram = #"""
        import jakarta.mail.*;
        import java.io.*;
        import java.security.KeyStore;
        import java.security.cert.*;
        import java.util.*;
        import javax.net.ssl.*;

        public class IMAPCutFetch {
        \#(JakartaMail.trustOnlyMethod)

            public static void main(String[] a) throws Exception {
                String host = a[0]; int port = Integer.parseInt(a[1]); String ca = a[2]; String user = a[3]; String token = a[4];
                Properties p = new Properties();
                p.put("mail.imaps.auth.mechanisms", "XOAUTH2");
                p.put("mail.imaps.sasl.enable", "false");
                p.put("mail.imaps.ssl.socketFactory", trustOnly(ca));
                p.put("mail.imaps.socketFactory.fallback", "false");
                p.put("mail.imaps.partialfetch", "false");
                p.put("mail.imaps.connectiontimeout", "20000");
                p.put("mail.imaps.timeout", "20000");
                Session session = Session.getInstance(p);
                session.setDebugOut(System.err);
                session.setDebug(true);
                Store store = session.getStore("imaps");
                store.connect(host, port, user, token);
                Folder inbox = store.getFolder("INBOX");
                inbox.open(Folder.READ_ONLY);
                try {
                    Message m = inbox.getMessage(1);
                    ByteArrayOutputStream bos = new ByteArrayOutputStream();
                    m.writeTo(bos);
                    System.out.println("FETCHED " + bos.size());
                } catch (Exception e) {
                    System.out.println("EXCEPTION " + e.getClass().getName() + ": " + e.getMessage());
                }
            }
        }
        """#

    /// A FETCH cut in the middle of its literal (`disconnect` with `bytes`): Jakarta Mail reports the folder
    /// closed under it, as a mail handler sees it when Exchange drops the connection mid-message.
    @Test func jakartaMailSeesTheFolderClosedWhenFetchIsCutMidLiteral() async throws {
        try await withTimeLimit(150) {
            let (listeners, _) = try await Self.live(
                [Fault(service: .imap, kind: .disconnect, match: "FETCH", bytes: 4096)], generated: 1)
            do {
                let classpath = try JakartaMail.classpath(className: "IMAPCutFetch", source: Self.jakartaCutProgram)
                let r = try await runClient(
                    "java",
                    [
                        "-cp", classpath, "IMAPCutFetch", "localhost", String(listeners.implicit.port),
                        listeners.certificate.certificatePath, imapMailbox, "good-token",
                    ], package: "default-jre-headless", timeout: 90)
                #expect(
                    r.output.hasPrefix("EXCEPTION jakarta.mail.FolderClosedException"),
                    "\(r.output) \(r.error.suffix(2000))")
                #expect(r.error.contains("BODY[]"), "Jakarta fetched the body")
            } catch {
                await listeners.stop()
                throw error
            }
            await listeners.stop()
        }
    }
}
