import AdminAPI
import ExomockLimits
import Foundation
import Hummingbird
import Journal
import MailStore

/// Admin routes for mail: deliver a message to a mailbox's Inbox (IDLE sessions hear about it).
enum MailAdminRoutes {
    static func contributor(store: MailStore, journal: Journal) -> AdminAPI.RouteContributor {
        { router in
            router.post("/mailboxes/:address/messages") { request, context in
                guard let address = context.parameters.get("address") else {
                    return AdminJSON.error(.badRequest, "no mailbox address in the path", fix: "POST /mailboxes/{address}/messages with an RFC 5322 body.")
                }
                let body = try await request.body.collect(upTo: Limits.scenarioMaximumMessageSize)
                let raw = Array(buffer: body)
                guard !raw.isEmpty else {
                    return AdminJSON.error(.badRequest, "the message body is empty", fix: "Send the message as RFC 5322 text (headers, blank line, body).")
                }
                do {
                    let (_, uid) = try store.append(toMailbox: address, rawMessage: raw)
                    journal.record(cloud: nil, service: "admin", event: "mail.delivered", detail: ["mailbox": address, "uid": String(uid), "size": String(raw.count)])
                    return AdminJSON.response(["mailbox": address, "folder": "Inbox", "uid": String(uid)], status: .created)
                } catch {
                    return AdminJSON.error(.notFound, "\(error)", fix: "Use the address of a mailbox the scenario declares (GET /scenario lists them).")
                }
            }
        }
    }
}
