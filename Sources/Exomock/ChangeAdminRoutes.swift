import AdminAPI
import Determinism
import EntraTokens
import ExomockLimits
import Foundation
import Hummingbird
import Journal
import ScenarioModel

/// Applies live changes to a served scenario: the shared `LiveScenario` every token service and mail
/// authenticator reads, plus what a change does to each cloud's identity state (`sign_out` ends every
/// browser session, `withdraw_consent` forgets consents given on the consent page, `reset_password` and
/// `change_password` end the refresh tokens and the browser session Microsoft's revocation table says).
/// Each applied change is journaled as `admin` / `directory.changed`, without password or secret values.
public struct ScenarioChanges: Sendable {
    /// The scenario as it is now.
    public let live: LiveScenario
    let identities: [IdentityState]
    let clock: VirtualClock
    let journal: Journal

    /// Applies `change` now (virtual time); throws, changing nothing, when a field is missing or unknown.
    /// `via` says who asked (`admin` for `POST /changes`, `flow` for a flow step) in the journal.
    @discardableResult
    public func apply(_ change: Change, via: String = "admin") throws(ChangeError) -> AppliedChange {
        let applied = try live.apply(change, at: clock.now())
        switch change.kind {
        case .signOut:
            for identity in identities { identity.clearSSO() }
        case .withdrawConsent:
            if let app = applied.targets["app"] {
                for identity in identities { identity.withdrawConsents(clientID: app) }
            }
        case .resetPassword, .changePassword:
            if let upn = applied.targets["user"], let surface = change.passwordSurface {
                for identity in identities { identity.passwordChanged(upn: upn, surface: surface, at: clock.now()) }
            }
        default:
            break
        }
        var detail = applied.targets
        detail["kind"] = change.kind.rawValue
        detail["via"] = via
        journal.record(cloud: nil, service: .admin, event: .directoryChanged, detail: detail)
        return applied
    }
}

/// `POST /changes`: a live directory or Exchange change, as JSON with `Change`'s field names.
enum ChangeAdminRoutes {
    static let fields = ["kind", "user", "mailbox", "app", "password", "secret", "by"]

    static func contributor(changes: ScenarioChanges) -> AdminAPI.RouteContributor {
        { router in
            router.post("/changes") { request, _ in
                let body = try await request.body.collect(upTo: Limits.httpMaximumBodySize)
                let change: Change
                switch parse(Data(buffer: body)) {
                case .failure(let problem):
                    return AdminJSON.error(.badRequest, problem.message, fix: problem.fix)
                case .success(let parsed):
                    change = parsed
                }
                do throws(ChangeError) {
                    let applied = try changes.apply(change)
                    var answer = applied.targets
                    answer["applied"] = applied.kind.rawValue
                    return AdminJSON.response(answer)
                } catch {
                    return AdminJSON.error(.badRequest, error.description, fix: error.fix)
                }
            }
        }
    }

    struct Problem: Error, Equatable {
        var message: String
        var fix: String
    }

    static var kindList: String { Change.Kind.allCases.map(\.rawValue).joined(separator: ", ") }

    /// The change a request body describes, or what is wrong with it.
    static func parse(_ data: Data) -> Result<Change, Problem> {
        let example = #"{"kind": "reset_password", "user": "alice@contoso.onmicrosoft.us", "password": "New-Pa55"}"#
        if let problem = StrictJSON.problem(in: data, keys: fields) {
            return .failure(Problem(message: problem.message, fix: problem.fix))
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            return .failure(Problem(message: "the body must be a JSON object", fix: "Send JSON such as \(example)."))
        }
        var values: [String: String] = [:]
        for (key, value) in object {
            guard let text = value as? String else {
                return .failure(
                    Problem(message: "'\(key)' must be a string", fix: "Quote the value, as in \(example)."))
            }
            values[key] = text
        }
        guard let kindText = values["kind"] else {
            return .failure(Problem(message: "no `kind`", fix: "Add \"kind\": one of \(kindList)."))
        }
        guard let kind = Change.Kind(rawValue: kindText) else {
            return .failure(
                Problem(message: "unknown change kind '\(QuotedInput.shown(kindText))'", fix: "Use one of \(kindList).")
            )
        }
        var by: PasswordChangeSurface?
        if let byText = values["by"] {
            guard let surface = PasswordChangeSurface(rawValue: byText) else {
                let names = PasswordChangeSurface.allCases.filter { $0 != .user }.map(\.rawValue)
                return .failure(
                    Problem(
                        message: "unknown `by` '\(QuotedInput.shown(byText))'",
                        fix: "Use one of \(names.joined(separator: ", "))."))
            }
            by = surface
        }
        return .success(
            Change(
                kind: kind, user: values["user"], mailbox: values["mailbox"], app: values["app"],
                password: values["password"],
                secret: values["secret"], by: by))
    }
}
