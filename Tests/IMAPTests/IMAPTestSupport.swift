import Determinism
import ExomockTestSupport
import Foundation
import IMAPServer
import Journal
import ListenerSupport
import MailAuthentication
import MailStore
import MicrosoftClouds
import NIOCore
import NIOSSL
import ScenarioModel
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

let imapMailbox = "helpdesk@contoso.onmicrosoft.us"

/// Grants `good-token` for the help-desk mailbox; other tokens get the failure their name says.
struct TestAuthenticator: MailAuthenticating {
    static let rejections: [String: MailAuthFailure] = [
        "expired-token": .tokenExpired, "wrong-cloud-token": .signatureInvalid, "wrong-aud-token": .wrongAudience,
        "no-scope-token": .missingPermission,
    ]
    /// Tokens that open the help-desk mailbox, and the app (`appid`) each was issued to.
    static let apps = [
        "good-token": "11111111-aaaa-4aaa-8aaa-111111111111", "other-app-token": "22222222-bbbb-4bbb-8bbb-222222222222",
    ]
    static let notConnected: [String: MailAuthFailure] = [
        "no-access-token": .noMailboxAccess, "imap-off-token": .protocolDisabled,
    ]

    func authenticate(_ credentials: XOAUTH2Credentials, service: MailService) -> MailAccessDecision {
        if let app = Self.apps[credentials.token], credentials.user.lowercased() == imapMailbox {
            return .granted(
                MailGrant(
                    mailbox: imapMailbox, principal: "alice@contoso.onmicrosoft.us", appOnly: false, clientID: app))
        }
        if let reason = Self.notConnected[credentials.token] {
            return .authenticatedNotConnected(reason, detail: "test: \(reason.rawValue)")
        }
        let reason = Self.rejections[credentials.token] ?? .signatureInvalid
        return .rejected(reason, detail: "test: \(reason.rawValue)")
    }

    func authenticateBasic(user: String, password: String, service: MailService) -> MailAccessDecision {
        .rejected(.basicAuthDisabled, detail: "test: basic authentication is off")
    }
}

/// A store with the help-desk mailbox: three hand-written messages in the Inbox (one multipart).
func makeIMAPStore(clock: VirtualClock = VirtualClock(start: VirtualClock.defaultStart), generated: Int = 0) throws
    -> MailStore
{
    let scenario = Scenario(
        name: "imap", seed: 11, clouds: [.gccHigh],
        mailboxes: [
            Mailbox(
                address: imapMailbox, kind: .shared,
                folders: generated > 0
                    ? [Folder(name: "Inbox", messages: [.generated(count: generated, size: 40_000, seed: 5)])] : [])
        ])
    let store = try MailStore(scenario: scenario, clock: clock, ids: IdentifierSource(seed: 11))
    for text in sampleIMAPMessages where generated == 0 {
        try store.append(mailbox: imapMailbox, folder: "Inbox", rawMessage: Array(text.utf8))
    }
    return store
}

let sampleIMAPMessages = [
    "From: Alice Admin <alice@contoso.onmicrosoft.us>\r\nTo: helpdesk@contoso.onmicrosoft.us\r\nSubject: [HD-1] printer\r\nDate: Thu, 01 Jan 2026 00:00:00 +0000\r\nMessage-ID: <1@contoso>\r\n\r\nThe printer is on fire.\r\nPlease help.\r\n",
    "From: \"Bob, B.\" <bob@example.com>\r\nTo: helpdesk@contoso.onmicrosoft.us, carol@example.com\r\nCc: dave@example.com\r\nSubject: [HD-2] VPN\r\nDate: Fri, 02 Jan 2026 09:30:00 +0000\r\nMessage-ID: <2@example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b1\"\r\n\r\npreamble\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nVPN down\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>VPN down</p>\r\n--b1--\r\n",
    "From: eve@example.com\r\nSubject: [HD-3] third\r\n\r\nline 1\r\nline 2\r\n",
]
