import EntraTokens
import ExomockLimits
import ExomockTestSupport
import Foundation
import MailAuthentication
import MailStore
import NIOSSL
import SMTPServer
import ScenarioModel
import Synchronization
import Testing

/// The session and its driver on an EmbeddedChannel: real tokens, the real authenticator, a real store.
@Suite struct SMTPChannelTests {
    let tls: NIOSSLContext

    init() throws {
        let made = try ThrowawayCertificate.make()
        defer { made.remove() }
        tls = try made.serverContext()
    }

    static let banner =
        "220 MN2PR01CA0007.outlook.office365.us Microsoft ESMTP MAIL Service ready at Thu, 1 Jan 2026 00:00:00 +0000\r\n"
    static let ehloAfterTLS =
        "250-MN2PR01CA0007.outlook.office365.us Hello [127.0.0.1]\r\n250-SIZE 157286400\r\n250-PIPELINING\r\n250-DSN\r\n"
        + "250-ENHANCEDSTATUSCODES\r\n250-AUTH LOGIN XOAUTH2\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
    static let fail = "535 5.7.3 Authentication unsuccessful [MN2PR01CA0007.namprd00.prod.outlook.com]\r\n"

    func connected(_ f: SMTPFixture, _ server: SMTPServer? = nil) throws -> EmbeddedSMTP {
        let smtp = try EmbeddedSMTP(server: server ?? f.server(), fixture: f, tls: tls)
        #expect(try smtp.output() == Self.banner)
        let ehlo = try smtp.send("EHLO client.example\r\n")
        #expect(ehlo == Self.ehloAfterTLS)
        return smtp
    }

    @Test func twoStepXOAUTH2ThenSendDeliversToInboxSentItemsAndOutbox() throws {
        let f = try SMTPFixture()
        // An IMAP IDLE session on Bob's Inbox hears of the delivery through the store's notifications.
        let heard = Mutex(0)
        let watch = f.store.subscribe(mailbox: SMTPFixture.bob, folder: "Inbox") { _ in heard.withLock { $0 += 1 } }
        defer { f.store.unsubscribe(watch) }
        let smtp = try connected(f)
        #expect(try smtp.send("AUTH XOAUTH2\r\n") == "334 \r\n")
        #expect(
            try smtp.send(f.xoauth2(SMTPFixture.alice, f.token()) + "\r\n") == "235 2.7.0 Authentication successful\r\n"
        )
        #expect(try smtp.send("MAIL FROM:<\(SMTPFixture.alice)> SIZE=200\r\n") == "250 2.1.0 Sender OK\r\n")
        #expect(try smtp.send("RCPT TO:<\(SMTPFixture.bob)>\r\n") == "250 2.1.5 Recipient OK\r\n")
        #expect(try smtp.send("RCPT TO:<customer@example.com>\r\n") == "250 2.1.5 Recipient OK\r\n")
        #expect(try smtp.send("DATA\r\n") == "354 Start mail input; end with <CRLF>.<CRLF>\r\n")
        let queued = try smtp.send(testMessage + ".\r\n")
        #expect(queued == "250 2.0.0 OK <m1@contoso> [Hostname=MN2PR01CA0007.namprd00.prod.outlook.com]\r\n")
        #expect(try f.subjects(SMTPFixture.bob) == ["[HD-7] reply"])
        #expect(heard.withLock { $0 } == 1)
        let inbox = try f.store.snapshot(mailbox: SMTPFixture.bob, folder: "Inbox").messages
        #expect(String(decoding: inbox[0].raw, as: UTF8.self).hasSuffix("Hello.\r\n.dot line\r\n"))  // unstuffed
        let sent = try f.store.snapshot(mailbox: SMTPFixture.alice, folder: "Sent Items").messages
        #expect(sent.count == 1 && sent[0].hasFlag("\\Seen"))
        #expect(f.outbox.messages.map(\.recipients) == [["customer@example.com"]])
        #expect(f.outbox.messages.first?.from == SMTPFixture.alice)
        #expect(smtp.events("smtp.accepted").first?["local"] == "1")
        #expect(try smtp.send("QUIT\r\n") == "221 2.0.0 Service closing transmission channel\r\n")
        #expect(!smtp.channel.isActive)
    }

    @Test func oneLineXOAUTH2AndAppOnlyTokenSendingAsTheSharedMailbox() throws {
        let f = try SMTPFixture()
        let smtp = try connected(f)
        let token = f.token(nil, roles: ["SMTP.SendAsApp"])
        #expect(
            try smtp.send("AUTH XOAUTH2 \(f.xoauth2(SMTPFixture.helpdesk, token))\r\n")
                == "235 2.7.0 Authentication successful\r\n")
        // Pipelined, as PIPELINING allows.
        #expect(
            try smtp.send("MAIL FROM:<\(SMTPFixture.helpdesk)>\r\nRCPT TO:<\(SMTPFixture.alice)>\r\nDATA\r\n")
                == "250 2.1.0 Sender OK\r\n250 2.1.5 Recipient OK\r\n354 Start mail input; end with <CRLF>.<CRLF>\r\n")
        #expect(
            try smtp.send("Subject: hi\r\n\r\nx\r\n.\r\n").hasPrefix(
                "250 2.0.0 OK <smtp-1.1@MN2PR01CA0007.namprd00.prod.outlook.com>"))
        #expect(try f.subjects(SMTPFixture.alice) == ["hi"])
        #expect(try f.subjects(SMTPFixture.helpdesk, "Sent Items") == ["hi"])
    }

    @Test func failuresEndWithExchangesLines() throws {
        let f = try SMTPFixture()
        let other = try CloudSigningKey.generate(cloud: .gccHigh)
        let cases: [(String, String, String)] = [
            (SMTPFixture.alice, f.token(lifetime: -10), "token_expired"),
            (SMTPFixture.alice, f.token(scp: ["IMAP.AccessAsUser.All"]), "missing_permission"),
            (SMTPFixture.alice, f.token(key: other), "signature_invalid"),
            (SMTPFixture.helpdesk, f.token(SMTPFixture.bob), "no_mailbox_access"),  // Bob has no Send As on it
            ("nobody@contoso.onmicrosoft.us", f.token(), "mailbox_not_found"),
        ]
        for (user, token, reason) in cases {
            let smtp = try connected(f)
            #expect(try smtp.send("AUTH XOAUTH2 \(f.xoauth2(user, token))\r\n") == Self.fail, "\(reason)")
            #expect(smtp.events("auth.failed").first?["reason"] == reason)
            // Not authenticated: no mail.
            #expect(
                try smtp.send("MAIL FROM:<\(user)>\r\n")
                    == "530 5.7.57 Client not authenticated to send mail. [MN2PR01CA0007.namprd00.prod.outlook.com]\r\n"
            )
        }
        let smtp = try connected(f)
        #expect(try smtp.send("AUTH XOAUTH2 bm90IGEgc2FzbCBzdHJpbmc=\r\n") == Self.fail)
        #expect(try smtp.send("AUTH LOGIN\r\n") == "334 VXNlcm5hbWU6\r\n")
        #expect(try smtp.send("YWxpY2U=\r\n") == "334 UGFzc3dvcmQ6\r\n")
        #expect(
            try smtp.send("cGFzcw==\r\n")
                == "535 5.7.139 Authentication unsuccessful, basic authentication is disabled. [MN2PR01CA0007.namprd00.prod.outlook.com]\r\n"
        )
        #expect(
            try smtp.send("AUTH PLAIN AGEAYg==\r\n")
                == "504 5.7.4 Unrecognized authentication type [MN2PR01CA0007.namprd00.prod.outlook.com]\r\n")
    }

    @Test func smtpAuthDisabledForTheTenantOrTheMailbox() throws {
        let f = try SMTPFixture()
        let tenant = try connected(f)
        #expect(
            try tenant.send(
                "AUTH XOAUTH2 \(f.xoauth2(SMTPFixture.carol, f.token(SMTPFixture.carol, tenant: SMTPFixture.otherTenantID)))\r\n"
            )
                == "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. "
                + "Visit https://aka.ms/smtp_auth_disabled for more information. [MN2PR01CA0007.namprd00.prod.outlook.com]\r\n"
        )
        #expect(tenant.events("auth.failed").first?["reason"] == "smtp_auth_disabled_tenant")
        let mailbox = try connected(f)
        #expect(
            try mailbox.send("AUTH XOAUTH2 \(f.xoauth2(SMTPFixture.noSMTP, f.token(SMTPFixture.noSMTP)))\r\n")
                .hasPrefix(
                    "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox."))
    }

    @Test func sendAsIsCheckedAndRefusedAtTheEndOfData() throws {
        let f = try SMTPFixture()
        // Alice has Send As on the help desk: allowed.
        let alice = try connected(f)
        try alice.send("AUTH XOAUTH2 \(f.xoauth2(SMTPFixture.alice, f.token()))\r\n")
        try alice.send("MAIL FROM:<\(SMTPFixture.helpdesk)>\r\nRCPT TO:<\(SMTPFixture.bob)>\r\nDATA\r\n")
        #expect(try alice.send("Subject: as helpdesk\r\n\r\n.\r\n").hasPrefix("250 2.0.0 OK"))
        // Bob has none: MAIL FROM is accepted, the message is refused after DATA, as Exchange does.
        let bob = try connected(f)
        try bob.send("AUTH XOAUTH2 \(f.xoauth2(SMTPFixture.bob, f.token(SMTPFixture.bob)))\r\n")
        #expect(try bob.send("MAIL FROM:<\(SMTPFixture.helpdesk)>\r\n") == "250 2.1.0 Sender OK\r\n")
        try bob.send("RCPT TO:<\(SMTPFixture.alice)>\r\nDATA\r\n")
        #expect(
            try bob.send("Subject: spoof\r\n\r\n.\r\n")
                == "554 5.2.252 SendAsDenied; bob@contoso.onmicrosoft.us not allowed to send as helpdesk@contoso.onmicrosoft.us; "
                + "STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message due to "
                + "a permanent exception with message [BeginDiagnosticData]Cannot submit message.\r\n")
        #expect(try f.subjects(SMTPFixture.alice) == [])
        #expect(bob.events("smtp.refused").first?["reason"] == "send_as_denied")
    }

    @Test func sequenceAndSyntaxErrorsNeverCrash() throws {
        let f = try SMTPFixture()
        let smtp = try EmbeddedSMTP(server: f.server(), fixture: f, tls: tls)
        _ = try smtp.output()
        #expect(try smtp.send("MAIL FROM:<a@b.c>\r\n") == "503 5.5.2 Send hello first\r\n")
        #expect(
            try smtp.send("FOO bar\r\n")
                == "500 5.3.3 Unrecognized command 'FOO' [MN2PR01CA0007.namprd00.prod.outlook.com]\r\n")
        #expect(
            try smtp.send("EHLO x\nNOOP\r\n")
                == "500 5.5.2 Command lines must end with CRLF, not a bare LF\r\n250 2.0.0 OK\r\n")
        try smtp.send("EHLO x\r\n")
        #expect(try smtp.send("RCPT TO:<a@b.c>\r\n") == "503 5.5.2 Need mail command\r\n")
        #expect(try smtp.send("DATA\r\n") == "503 5.5.2 Need mail command\r\n")
        #expect(
            try smtp.send("MAIL FROM:nobrackets\r\n")
                == "501 5.1.7 Invalid address [MN2PR01CA0007.namprd00.prod.outlook.com]\r\n")
        #expect(
            try smtp.send("NOOP " + String(repeating: "x", count: Limits.smtpMaximumLineLength) + "\r\n")
                == "500 5.5.6 Line too long; the limit is \(Limits.smtpMaximumLineLength) bytes\r\n")
        #expect(try smtp.send("AUTH XOAUTH2\r\n*\r\n") == "334 \r\n501 5.7.0 Authentication canceled\r\n")
        #expect(smtp.channel.isActive)
    }

    @Test func limitsOnRecipientsAndSizeAreCrossed() throws {
        let f = try SMTPFixture()
        let smtp = try connected(f, f.server(maximumMessageSize: 64))
        try smtp.send("AUTH XOAUTH2 \(f.xoauth2(SMTPFixture.alice, f.token()))\r\n")
        #expect(
            try smtp.send("MAIL FROM:<\(SMTPFixture.alice)> SIZE=\(Limits.smtpAdvertisedMessageSize + 1)\r\n")
                == "552 5.3.4 Message size exceeds fixed maximum message size\r\n")
        try smtp.send("MAIL FROM:<\(SMTPFixture.alice)>\r\n")
        let rcpts = (0..<Limits.smtpMaximumRecipients).map { "RCPT TO:<r\($0)@example.com>\r\n" }.joined()
        let answers = try smtp.send(rcpts)
        #expect(answers.components(separatedBy: "250 2.1.5 Recipient OK\r\n").count - 1 == Limits.smtpMaximumRecipients)
        #expect(try smtp.send("RCPT TO:<one.more@example.com>\r\n") == "452 4.5.3 Too many recipients\r\n")
        try smtp.send("DATA\r\n")
        #expect(
            try smtp.send(String(repeating: "z", count: 100) + "\r\n.\r\n")
                == "552 5.3.4 Message size exceeds fixed maximum message size\r\n")
        #expect(f.outbox.messages.isEmpty)
        // The session goes on: a smaller message fits.
        try smtp.send("MAIL FROM:<\(SMTPFixture.alice)>\r\nRCPT TO:<x@example.com>\r\nDATA\r\n")
        #expect(try smtp.send("Subject: s\r\n\r\n.\r\n").hasPrefix("250 2.0.0 OK"))
        // A bare LF inside the message: read to its end, refused.
        try smtp.send("MAIL FROM:<\(SMTPFixture.alice)>\r\nRCPT TO:<x@example.com>\r\nDATA\r\n")
        #expect(try smtp.send("a\n.\nb\r\n.\r\n").hasPrefix("550 5.6.11 "))
    }

    @Test func plaintextPipelinedAfterSTARTTLSIsDiscarded() throws {
        let f = try SMTPFixture()
        let smtp = try EmbeddedSMTP(server: f.server(), fixture: f, tlsMode: .starttls, tls: tls)
        _ = try smtp.output()
        #expect(
            try smtp.send("EHLO x\r\n")
                == "250-MN2PR01CA0007.outlook.office365.us Hello [127.0.0.1]\r\n250-SIZE 157286400\r\n250-PIPELINING\r\n250-DSN\r\n"
                + "250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
        #expect(
            try smtp.send("AUTH XOAUTH2\r\n")
                == "504 5.7.4 Unrecognized authentication type [MN2PR01CA0007.namprd00.prod.outlook.com]\r\n")
        #expect(
            try smtp.send("MAIL FROM:<a@b.c>\r\n")
                == "451 5.7.3 STARTTLS is required to send mail [MN2PR01CA0007.namprd00.prod.outlook.com]\r\n")
        // The injection: a command pipelined behind STARTTLS in the same packet is never answered.
        let out = try smtp.send("STARTTLS\r\nAUTH XOAUTH2 \(f.xoauth2(SMTPFixture.alice, f.token()))\r\n")
        #expect(out == "220 2.0.0 SMTP server ready\r\n")
        #expect(smtp.events("auth.succeeded").isEmpty)
        #expect(smtp.events("tls.started").count == 1)
        #expect(smtp.events("tls.discarded").first?["bytes"].flatMap(Int.init) ?? 0 > 100)
    }
}
