import Determinism
import ExomockTestSupport
import Foundation
import Journal
import ListenerSupport
import MailAuthentication
import MailStore
import MicrosoftClouds
import NIOCore
import NIOSSL
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A small in-memory store for POP3 tests: Inboxes only, with the same maildrop lock as the real store.
final class InMemoryMaildrops: MaildropProviding {
    struct Inbox {
        var uidValidity: UInt32
        var nextUID: UInt32
        var messages: [MaildropMessage]
    }
    private let inboxes = Mutex<[String: Inbox]>([:])
    let locks = MaildropLocks()

    init(_ mailboxes: [String: [String]] = [:], uidValidity: UInt32 = 1_767_225_600) {
        inboxes.withLock { inboxes in
            for (address, texts) in mailboxes {
                var inbox = Inbox(uidValidity: uidValidity, nextUID: 1, messages: [])
                for text in texts {
                    inbox.messages.append(MaildropMessage(uid: inbox.nextUID, content: Array(text.utf8)))
                    inbox.nextUID += 1
                }
                inboxes[address.lowercased()] = inbox
            }
        }
    }

    func uids(_ mailbox: String) -> [UInt32] {
        inboxes.withLock { $0[mailbox.lowercased()]?.messages.map(\.uid) ?? [] }
    }

    func append(_ mailbox: String, _ text: String) {
        inboxes.withLock { inboxes in
            guard var inbox = inboxes[mailbox.lowercased()] else { return }
            inbox.messages.append(MaildropMessage(uid: inbox.nextUID, content: Array(text.utf8)))
            inbox.nextUID += 1
            inboxes[mailbox.lowercased()] = inbox
        }
    }

    func openMaildrop(_ mailbox: String, session: String, sharing: MaildropSharing) -> Result<
        MaildropSnapshot, MaildropOpenFailure
    > {
        guard let inbox = inboxes.withLock({ $0[mailbox.lowercased()] }) else {
            return .failure(.mailboxNotFound(mailbox))
        }
        if let refused = locks.acquire(mailbox, session: session, sharing: sharing) { return .failure(refused) }
        return .success(MaildropSnapshot(uidValidity: inbox.uidValidity, messages: inbox.messages))
    }

    func expungeMaildrop(_ mailbox: String, session: String, uids: [UInt32]) -> Int {
        guard locks.holders(of: mailbox).contains(session) else { return 0 }
        return inboxes.withLock { inboxes in
            guard var inbox = inboxes[mailbox.lowercased()] else { return 0 }
            let before = inbox.messages.count
            let gone = Set(uids)
            inbox.messages.removeAll { gone.contains($0.uid) }
            inboxes[mailbox.lowercased()] = inbox
            return before - inbox.messages.count
        }
    }

    func closeMaildrop(_ mailbox: String, session: String) {
        locks.release(mailbox, session: session)
    }
}

/// Grants one token for one mailbox; rejects every other token with a chosen reason.
struct FakeAuthenticator: MailAuthenticating {
    var goodToken = "good-token"
    var mailbox = "helpdesk@contoso.onmicrosoft.us"
    /// Tokens answered `.authenticatedNotConnected`.
    var notConnectedTokens: [String: MailAuthFailure] = ["no-access-token": .noMailboxAccess]
    /// Tokens rejected with a specific reason; any other token: `.signatureInvalid`.
    var rejections: [String: MailAuthFailure] = ["expired-token": .tokenExpired, "wrong-aud-token": .wrongAudience]
    var basicPassword = "Passw0rd!"

    func authenticate(_ credentials: XOAUTH2Credentials, service: MailService) -> MailAccessDecision {
        if credentials.token == goodToken, credentials.user.lowercased() == mailbox {
            return .granted(MailGrant(mailbox: mailbox, principal: mailbox, appOnly: false))
        }
        if let reason = notConnectedTokens[credentials.token] {
            return .authenticatedNotConnected(reason, detail: "test: \(reason.rawValue)")
        }
        let reason = rejections[credentials.token] ?? .signatureInvalid
        return .rejected(reason, detail: "test: \(reason.rawValue)")
    }

    func authenticateBasic(user: String, password: String, service: MailService) -> MailAccessDecision {
        if user.lowercased() == mailbox, password == basicPassword {
            return .granted(MailGrant(mailbox: mailbox, principal: mailbox, appOnly: false))
        }
        return .rejected(.badPassword, detail: "test: bad password")
    }
}

let testMailbox = "helpdesk@contoso.onmicrosoft.us"

/// Three small CRLF messages; the second has a line starting with "." to exercise byte-stuffing.
let sampleMessages = [
    "From: a@example.com\r\nTo: helpdesk@contoso.onmicrosoft.us\r\nSubject: [HD-1] printer\r\n\r\nThe printer is on fire.\r\nPlease help.\r\n",
    "From: b@example.com\r\nSubject: [HD-2] dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nend\r\n",
    "From: c@example.com\r\nSubject: [HD-3] third\r\n\r\nline 1\r\nline 2\r\nline 3\r\n",
]

func xoauth2(_ token: String, user: String = testMailbox) -> String {
    XOAUTH2Credentials(user: user, token: token).initialResponse
}
