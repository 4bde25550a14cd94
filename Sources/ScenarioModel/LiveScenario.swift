import Determinism
import Foundation
import Synchronization

/// The scenario as it is now, while it is served: the directory and Exchange settings a `Change`
/// (`POST /changes`, a flow's `change` step) edits. One per served scenario, shared by every cloud's
/// token service and mail authenticator, which read `current` on each request.
///
/// Only the scenario value lives here. What a change does to the per-cloud identity state (`sign_out`
/// clears the browser sessions, `withdraw_consent` forgets consents given on the consent page) is done by
/// whoever owns that state (the runtime's change applier).
public final class LiveScenario: Sendable {
    private let state: Mutex<LiveSnapshot>
    /// The faults in force: the scenario's `faults:`, plus and minus those the admin API adds and removes.
    public let faults: FaultBoard

    /// `clock` is the served scenario's virtual clock (faults' `from` and `until`); nil: a clock of
    /// its own at the scenario's start.
    public init(_ scenario: Scenario, clock: VirtualClock? = nil) {
        self.state = Mutex(LiveSnapshot(scenario))
        self.faults = FaultBoard(
            scenario.faults, seed: scenario.seed, clock: clock ?? VirtualClock(start: scenario.clock.start))
    }

    /// The scenario with every change applied so far.
    public var current: Scenario { state.withLock { $0.scenario } }

    /// The scenario with its mailbox index, one consistent view for one decision (a login).
    public var snapshot: LiveSnapshot { state.withLock { $0 } }

    /// Applies `change` at virtual time `now` and says what it changed, or throws without changing
    /// anything when a field is missing or names nothing in the scenario.
    ///
    /// - `reset_password`, `change_password`: the user's password is now `password` (password grant, sign-in
    ///   page, basic auth). The refresh tokens and browser sessions Microsoft ends are identity state: the
    ///   runtime's change applier revokes them by `PasswordRevocationRules`.
    /// - `disable_imap` … `enable_pop`: `Set-CASMailbox -ImapEnabled/-PopEnabled` on the mailbox (a user's
    ///   implicit mailbox becomes a declared one).
    /// - `remove_full_access`: the mailbox leaves the user's `full_access` and/or the app's `mailbox_access`.
    /// - `expire_secret`: every secret of the app expires at `now` (AADSTS7000222 from then on).
    /// - `rotate_secret`: the app's only secret is `secret`, without expiry.
    /// - `withdraw_consent`: no admin consent, and no user lists the app among their consented apps.
    /// - `mfa_on`: the user must do MFA (AADSTS50076 on the password grant).
    /// - `sign_out`: nothing in the scenario (the browser sessions are identity state).
    @discardableResult
    public func apply(_ change: Change, at now: Date) throws(ChangeError) -> AppliedChange {
        let result: Result<AppliedChange, ChangeError> = state.withLock { snapshot in
            var edited = snapshot.scenario
            do throws(ChangeError) {
                let applied = try edited.apply(change, at: now)
                snapshot = LiveSnapshot(edited)
                return .success(applied)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

/// The live scenario and what is derived from it once per change rather than on every login: every
/// mailbox (declared, or a user's own) by lower-cased address, and every FullAccess grant, so a login
/// costs O(1) however many mailboxes the scenario generates (`scale:`).
public struct LiveSnapshot: Sendable {
    public let scenario: Scenario
    private let mailboxes: [String: Mailbox]
    /// `principal + "\n" + address`, lower-cased, for each user's `full_access` and app's `mailbox_access`
    /// (of the first user or app with that UPN or client id, as `scenario.user`/`scenario.app` find).
    private let grants: Set<String>

    init(_ scenario: Scenario) {
        self.scenario = scenario
        _ = scenario.index  // built here, once per change, rather than by the first login after it
        var index: [String: Mailbox] = [:]
        for user in scenario.users where user.hasMailbox {
            index[user.upn.lowercased()] = Mailbox(address: user.upn, kind: .user)
        }
        for mailbox in scenario.mailboxes { index[mailbox.address.lowercased()] = mailbox }
        self.mailboxes = index
        var grants = Set<String>()
        var seen = Set<String>()
        for user in scenario.users where seen.insert(user.upn.lowercased()).inserted {
            for address in user.fullAccess { grants.insert(Self.grantKey(user.upn, address)) }
        }
        seen = []
        for app in scenario.apps where seen.insert(app.clientID.lowercased()).inserted {
            for address in app.mailboxAccess { grants.insert(Self.grantKey(app.clientID, address)) }
        }
        self.grants = grants
    }

    static func grantKey(_ principal: String, _ address: String) -> String {
        principal.lowercased() + "\n" + address.lowercased()
    }

    /// The same answer as `scenario.mailbox(address:)`, from the index.
    public func mailbox(address: String) -> Mailbox? { mailboxes[address.lowercased()] }

    /// Whether the user (by UPN) or app (by client id) has FullAccess on the mailbox: the same answer as
    /// looking in `scenario.user(principal)?.fullAccess` or `scenario.app(clientID:)?.mailboxAccess`.
    public func hasFullAccess(_ principal: String, on address: String) -> Bool {
        grants.contains(Self.grantKey(principal, address))
    }
}

/// What a change did, for answers and the journal: its kind and the canonical names of its targets.
/// Passwords and secrets are never carried: their `targets` entry is `(set)`.
public struct AppliedChange: Sendable, Equatable {
    public var kind: Change.Kind
    /// `user`, `mailbox`, `app` as the scenario spells them; `password`/`secret`: `(set)`.
    public var targets: [String: String]

    public init(kind: Change.Kind, targets: [String: String]) {
        self.kind = kind
        self.targets = targets
    }
}

/// Why a change could not be applied; `fix` says what to send instead.
public enum ChangeError: Error, Sendable, Equatable, CustomStringConvertible {
    case missingField(kind: Change.Kind, field: String)
    case needsUserOrApp
    case unknownUser(String)
    case unknownMailbox(String)
    case unknownApp(String)
    case noSuchPermission(mailbox: String, principal: String)
    case publicClient(app: String)
    case byNotAllowed(kind: Change.Kind)

    public var description: String {
        switch self {
        case .missingField(let kind, let field): "change '\(kind.rawValue)' needs `\(field)`"
        case .needsUserOrApp: "change 'remove_full_access' needs `user` or `app`: whose FullAccess to remove"
        case .unknownUser(let upn): "user '\(QuotedInput.shown(upn))' is not in the scenario"
        case .unknownMailbox(let address): "mailbox '\(QuotedInput.shown(address))' does not exist"
        case .unknownApp(let id): "no app has client id '\(QuotedInput.shown(id))'"
        case .noSuchPermission(let mailbox, let principal):
            "\(QuotedInput.shown(principal)) has no FullAccess on \(QuotedInput.shown(mailbox)) to remove"
        case .publicClient(let app): "app '\(QuotedInput.shown(app))' is a public client: it has no client secrets"
        case .byNotAllowed(let kind):
            "change '\(kind.rawValue)' takes no `by`: only `reset_password` says where it was made"
        }
    }

    public var fix: String {
        switch self {
        case .missingField(let kind, let field):
            "Add `\(field)`; '\(kind.rawValue)' takes "
                + Change(kind: kind).requiredKeys.map { "`\($0)`" }.joined(separator: ", ") + "."
        case .needsUserOrApp: "Add `user` (a UPN) or `app` (a client id) that has FullAccess on the mailbox."
        case .unknownUser: "Use a UPN from the scenario's `users` (GET /scenario lists them)."
        case .unknownMailbox: "Use a mailbox the scenario declares, or a user's own mailbox (GET /scenario lists them)."
        case .unknownApp: "Use the `client_id` of an app under the scenario's `apps`."
        case .noSuchPermission:
            "Name a user whose `full_access`, or an app whose `mailbox_access`, lists the mailbox."
        case .publicClient: "Use a confidential app (`type: confidential`)."
        case .byNotAllowed:
            "Remove `by`, or use `reset_password` with `by`: "
                + PasswordChangeSurface.allCases.filter { $0 != .user }.map(\.rawValue).joined(separator: ", ") + "."
        }
    }
}

extension Scenario {
    mutating func apply(_ change: Change, at now: Date) throws(ChangeError) -> AppliedChange {
        if change.by != nil, change.kind != .resetPassword { throw .byNotAllowed(kind: change.kind) }
        for key in change.requiredKeys where Self.field(key, of: change) == nil {
            throw .missingField(kind: change.kind, field: key)
        }
        var targets: [String: String] = [:]
        switch change.kind {
        case .resetPassword, .changePassword:
            let i = try userIndex(change.user)
            users[i].password = change.password ?? ""
            targets = ["user": users[i].upn, "password": "(set)"]
            if let surface = change.passwordSurface { targets["by"] = surface.rawValue }
        case .requireMFA:
            let i = try userIndex(change.user)
            users[i].mfa = true
            targets = ["user": users[i].upn]
        case .disableIMAP, .enableIMAP, .disablePOP, .enablePOP:
            let i = try declaredMailboxIndex(change.mailbox)
            switch change.kind {
            case .disableIMAP: mailboxes[i].imapEnabled = false
            case .enableIMAP: mailboxes[i].imapEnabled = true
            case .disablePOP: mailboxes[i].popEnabled = false
            default: mailboxes[i].popEnabled = true
            }
            targets = ["mailbox": mailboxes[i].address]
        case .disableSMTPAuth, .enableSMTPAuth:
            let i = try declaredMailboxIndex(change.mailbox)
            mailboxes[i].smtpClientAuthenticationDisabled = change.kind == .disableSMTPAuth
            targets = ["mailbox": mailboxes[i].address]
        case .addSendAs:
            let i = try declaredMailboxIndex(change.mailbox)
            let upn = change.user ?? ""
            if !mailboxes[i].sendAs.contains(where: { $0.lowercased() == upn.lowercased() }) {
                mailboxes[i].sendAs.append(upn)
            }
            targets = ["mailbox": mailboxes[i].address, "user": upn]
        case .removeFullAccess:
            targets = try removeFullAccess(change)
        case .expireSecret:
            let i = try confidentialAppIndex(change.app)
            for s in apps[i].secrets.indices {
                apps[i].secrets[s].expires = min(apps[i].secrets[s].expires ?? now, now)
            }
            targets = ["app": apps[i].clientID]
        case .rotateSecret:
            let i = try confidentialAppIndex(change.app)
            apps[i].secrets = [ClientSecret(value: change.secret ?? "")]
            targets = ["app": apps[i].clientID, "secret": "(set)"]
        case .withdrawConsent:
            let i = try appIndex(change.app)
            let id = apps[i].clientID.lowercased()
            apps[i].adminConsent = false
            for u in users.indices { users[u].consentedApps.removeAll { $0.lowercased() == id } }
            targets = ["app": apps[i].clientID]
        case .signOut:
            break
        }
        return AppliedChange(kind: change.kind, targets: targets)
    }

    static func field(_ key: String, of change: Change) -> String? {
        let value: String? =
            switch key {
            case "user": change.user
            case "mailbox": change.mailbox
            case "app": change.app
            case "password": change.password
            case "secret": change.secret
            default: nil
            }
        guard let value, !value.isEmpty else { return nil }
        return value
    }

    private func userIndex(_ upn: String?) throws(ChangeError) -> Int {
        guard let i = userPosition(upn ?? "") else { throw .unknownUser(upn ?? "") }
        return i
    }

    private func appIndex(_ id: String?) throws(ChangeError) -> Int {
        guard let i = appPosition(id ?? "") else { throw .unknownApp(id ?? "") }
        return i
    }

    private func confidentialAppIndex(_ id: String?) throws(ChangeError) -> Int {
        let i = try appIndex(id)
        guard apps[i].kind == .confidential else { throw .publicClient(app: apps[i].clientID) }
        return i
    }

    /// The index of the mailbox under `mailboxes`, declaring a user's implicit mailbox first.
    private mutating func declaredMailboxIndex(_ address: String?) throws(ChangeError) -> Int {
        guard let found = mailbox(address: address ?? "") else { throw .unknownMailbox(address ?? "") }
        if let i = declaredMailboxPosition(found.address) { return i }
        mailboxes.append(found)
        return mailboxes.count - 1
    }

    private mutating func removeFullAccess(_ change: Change) throws(ChangeError) -> [String: String] {
        let user = Self.field("user", of: change)
        let app = Self.field("app", of: change)
        guard user != nil || app != nil else { throw .needsUserOrApp }
        guard let mailbox = mailbox(address: change.mailbox ?? "") else { throw .unknownMailbox(change.mailbox ?? "") }
        let key = mailbox.address.lowercased()
        var targets = ["mailbox": mailbox.address]
        // Check both principals before editing either, so a failed change changes nothing.
        var u: Int?
        var a: Int?
        if let user { u = try userIndex(user) }
        if let app { a = try appIndex(app) }
        if let u, !users[u].fullAccess.contains(where: { $0.lowercased() == key }) {
            throw .noSuchPermission(mailbox: mailbox.address, principal: users[u].upn)
        }
        if let a, !apps[a].mailboxAccess.contains(where: { $0.lowercased() == key }) {
            throw .noSuchPermission(mailbox: mailbox.address, principal: "app \(apps[a].clientID)")
        }
        if let u {
            users[u].fullAccess.removeAll { $0.lowercased() == key }
            targets["user"] = users[u].upn
        }
        if let a {
            apps[a].mailboxAccess.removeAll { $0.lowercased() == key }
            targets["app"] = apps[a].clientID
        }
        return targets
    }
}
