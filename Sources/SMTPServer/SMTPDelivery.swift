import Foundation
import Journal
import ListenerSupport
import MailAuthentication
import MailStore

/// Where accepted SMTP messages go. The driver calls it at the end of DATA; the answer becomes the
/// reply (`250 2.0.0 OK`, `554 5.2.252 SendAsDenied`).
public protocol SMTPDelivering: Sendable {
    func deliver(_ submission: SMTPSubmission, connection: ConnectionContext, diagnosticHost: String)
        -> SMTPDeliveryOutcome
}

/// Exchange Online's submission, in the mock: Send As checked, each recipient with a mailbox in the
/// scenario gets the message in its Inbox (IMAP IDLE hears it, POP3 sees it), the sender's mailbox gets
/// a read copy in Sent Items, and every other address puts the message in the outbox (`GET /outbox`).
public struct MailStoreDelivery: SMTPDelivering {
    public let store: MailStore
    public let outbox: Outbox
    public let authenticator: any MailAuthenticating

    public init(store: MailStore, outbox: Outbox, authenticator: any MailAuthenticating) {
        self.store = store
        self.outbox = outbox
        self.authenticator = authenticator
    }

    public func deliver(_ submission: SMTPSubmission, connection: ConnectionContext, diagnosticHost: String)
        -> SMTPDeliveryOutcome
    {
        guard authenticator.maySend(as: submission.from, grant: submission.grant) else { return .sendAsDenied }
        let messageID =
            Self.messageID(in: submission.content)
            ?? "\(connection.connectionID).\(submission.sequence)@\(diagnosticHost)"
        var seen = Set<String>()
        let recipients = submission.recipients.filter { seen.insert($0.lowercased()).inserted }
        var local = 0
        var external: [String] = []
        for recipient in recipients {
            guard let mailbox = store.mailbox(recipient) else {
                external.append(recipient)
                continue
            }
            do {
                let (_, uid) = try store.append(
                    toMailbox: mailbox.address, folder: "Inbox", rawMessage: submission.content)
                local += 1
                connection.record(
                    .smtpDelivered,
                    ["mailbox": mailbox.address, "folder": "Inbox", "uid": String(uid), "message_id": messageID])
            } catch {
                return .failed("\(error)")
            }
        }
        do {
            let content = MailStore.normalizeLineEnds(submission.content)
            let (_, uid) = try store.append(
                mailbox: submission.grant.mailbox, folder: "Sent Items", rawMessage: content, flags: ["\\Seen"])
            connection.record(
                .smtpDelivered,
                [
                    "mailbox": submission.grant.mailbox, "folder": "Sent Items", "uid": String(uid),
                    "message_id": messageID,
                ])
        } catch {
            connection.record(.smtpSentCopyFailed, ["mailbox": submission.grant.mailbox, "detail": "\(error)"])
        }
        if !external.isEmpty {
            let sequence = outbox.add(
                cloud: connection.cloud.name.rawValue, mailbox: submission.grant.mailbox, from: submission.from,
                recipients: external,
                messageID: messageID, content: submission.content)
            connection.record(
                .smtpOutbox,
                ["recipients": external.joined(separator: ","), "sequence": String(sequence), "message_id": messageID])
        }
        return .delivered(messageID: messageID, local: local, outbound: external.count)
    }

    /// The `Message-ID` header's value without its angle brackets, if the header block has one.
    static func messageID(in content: [UInt8]) -> String? {
        // Bytes, not Characters: "\r\n" is one Character, so a String split at "\n" would not split.
        for rawLine in content.prefix(64 * 1024).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        {
            let line = String(
                decoding: rawLine.last == UInt8(ascii: "\r") ? rawLine.dropLast() : rawLine, as: UTF8.self)
            if line.isEmpty { return nil }
            guard line.lowercased().hasPrefix("message-id:") else { continue }
            let value = line.dropFirst("message-id:".count).trimmingCharacters(in: .whitespaces)
            let bare = value.trimmingCharacters(in: CharacterSet(charactersIn: "<>"))
            return bare.isEmpty ? nil : bare
        }
        return nil
    }
}
