import AdminAPI
import Determinism
import ExomockLimits
import Foundation
import Hummingbird
import Journal
import MailStore

/// Admin routes for mail: deliver a message to a mailbox's Inbox, or to `?folder=NAME` (IDLE sessions on
/// that folder hear about it).
enum MailAdminRoutes {
    /// `GET /outbox`: mail submitted over SMTP to addresses outside the scenario, oldest first.
    static func outboxContributor(outbox: Outbox) -> AdminAPI.RouteContributor {
        { router in
            router.get("/outbox") { _, _ in AdminJSON.response(outbox.messages) }
        }
    }

    static func contributor(store: MailStore, journal: Journal) -> AdminAPI.RouteContributor {
        { router in
            router.post("/mailboxes/:address/messages") { request, context in
                guard let address = context.parameters.get("address") else {
                    return AdminJSON.error(
                        .badRequest, "no mailbox address in the path",
                        fix: "POST /mailboxes/{address}/messages with an RFC 5322 body.")
                }
                let body = try await request.body.collect(upTo: Limits.scenarioMaximumMessageSize)
                let raw = Array(buffer: body)
                guard !raw.isEmpty else {
                    return AdminJSON.error(
                        .badRequest, "the message body is empty",
                        fix: "Send the message as RFC 5322 text (headers, blank line, body).")
                }
                let asked = request.uri.queryParameters.get("folder") ?? "Inbox"
                let folders: [FolderInfo]
                do {
                    folders = try store.folders(of: address)
                } catch {
                    return AdminJSON.error(
                        .notFound, "\(error)",
                        fix: "Use the address of a mailbox the scenario declares (GET /scenario lists them).")
                }
                guard let folder = folders.first(where: { $0.name.lowercased() == asked.lowercased() })?.name else {
                    let names = folders.map(\.name).joined(separator: ", ")
                    return AdminJSON.error(
                        .notFound, "mailbox \(QuotedInput.shown(address)) has no folder '\(QuotedInput.shown(asked))'",
                        fix: "Use ?folder= with one of: \(names) (or leave it out for the Inbox).")
                }
                do {
                    let (_, uid) = try store.append(toMailbox: address, folder: folder, rawMessage: raw)
                    journal.record(
                        cloud: nil, service: .admin, event: .mailDelivered,
                        detail: ["mailbox": address, "folder": folder, "uid": String(uid), "size": String(raw.count)])
                    return AdminJSON.response(Delivered(mailbox: address, folder: folder, uid: uid), status: .created)
                } catch {
                    return AdminJSON.error(
                        .notFound, "\(error)",
                        fix: "Use a mailbox and folder the scenario has (GET /scenario lists them); "
                            + "folders may have been deleted or renamed over IMAP.")
                }
            }
        }
    }
}

/// `POST /mailboxes/{address}/messages`'s answer: the UID is a JSON number, as IMAP's is.
struct Delivered: Encodable {
    var mailbox: String
    var folder: String
    var uid: UInt32
}
