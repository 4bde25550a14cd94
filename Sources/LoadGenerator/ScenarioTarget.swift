import Exomock
import FlowRunner
import Foundation
import MailClient
import MicrosoftClouds
import NIOSSL
import ScenarioModel

/// Handlers for a mock serving a scenario, with tokens from the mock's own token endpoint:
///
/// - Mail (`imap`, `pop3` and their login-only kinds): app-only tokens (client credentials) when a
///   confidential app has `IMAP.AccessAsApp`/`POP.AccessAsApp` and `mailbox_access`, one token per
///   app, shared by its handlers as MSAL's app-token cache shares it; handler i reads mailbox
///   i mod n of the app's list. Otherwise delegated tokens from the password grant (ROPC) of each
///   user with a password, no MFA and a mailbox.
/// - `refresh`: each handler gets its own refresh token from a password grant (ROPC, scope
///   `IMAP.AccessAsUser.All offline_access`) of user i mod n among the users it can sign in.
public struct ScenarioTarget: Sendable {
    public var scenario: Scenario
    public var ready: ReadyDocument
    /// Use this app (client id) for every grant; nil picks the first that fits.
    public var app: String?
    /// Only these mailboxes (and users); nil: all that fit.
    public var mailboxes: [String]?

    public init(scenario: Scenario, ready: ReadyDocument, app: String? = nil, mailboxes: [String]? = nil) {
        self.scenario = scenario
        self.ready = ready
        self.app = app
        self.mailboxes = mailboxes
    }

    static let imapAppRole = "IMAP.AccessAsApp"
    static let popAppRole = "POP.AccessAsApp"
    static let imapScope = "IMAP.AccessAsUser.All"
    static let popScope = "POP.AccessAsUser.All"
    static let smtpAppRole = "SMTP.SendAsApp"
    static let smtpScope = "SMTP.Send"

    public func make(mix: LoadMix, clients: Int, timeout: Double, name: String) async throws(LoadSetupError)
        -> LoadTarget
    {
        let http: HTTPTransport
        do {
            http = try HTTPTransport(caFile: ready.caFile, timeoutSeconds: timeout, connectionsPerHost: clients)
        } catch { throw LoadSetupError("the mock's CA \(ready.caFile) cannot be used (\(error))") }
        let tls: NIOSSLContext
        do { tls = try MailEndpoint.tlsContext(trusting: ready.caFile) } catch {
            throw LoadSetupError("the mock's CA \(ready.caFile) cannot be used (\(error))")
        }
        do {
            return try await make(mix: mix, clients: clients, http: http, tls: tls, name: name)
        } catch {
            // AsyncHTTPClient insists on a shutdown before its client goes away.
            await http.shutdown()
            throw error
        }
    }

    func make(mix: LoadMix, clients: Int, http: HTTPTransport, tls: NIOSSLContext, name: String)
        async throws(LoadSetupError)
        -> LoadTarget
    {
        let needsIMAP = mix.kinds.contains { $0.usesIMAP }
        let needsPOP = mix.kinds.contains { $0.usesPOP3 }
        let needsSMTP = mix.kinds.contains { $0.usesSMTP }
        var notes: [String] = []
        var mail: [(mailbox: String, token: String)] = []
        var cloud = scenario.clouds[0]
        if needsIMAP || needsPOP || needsSMTP {
            let found = try await mailIdentities(imap: needsIMAP, pop: needsPOP, smtp: needsSMTP, http: http)
            mail = found.pairs
            cloud = found.cloud
            notes.append(found.note)
        }
        var refresh: [RefreshGrant] = []
        if mix.kinds.contains(.refresh) {
            let found = try await refreshGrants(count: clients, http: http)
            refresh = found.grants
            notes.append(found.note)
        }
        let handlers = (0..<clients).map { i in
            let pair = mail.isEmpty ? ("", "") : mail[i % mail.count]
            return SimulatedHandler(
                mailbox: pair.0, accessToken: pair.1, refresh: refresh.isEmpty ? nil : refresh[i % refresh.count])
        }
        func endpoint(_ service: MailService) -> MailEndpoint? {
            guard let l = ready.listener(cloud: cloud, service: service, tls: .implicit) else { return nil }
            return MailEndpoint(
                host: l.host, port: l.port, security: .implicit, serverName: Cloud.named(cloud).outlookHosts[0],
                tls: tls)
        }
        var smtp: MailEndpoint?
        if let l = ready.listener(cloud: cloud, service: .smtp, tls: .starttls) {
            smtp = MailEndpoint(
                host: l.host, port: l.port, security: .starttls, serverName: Cloud.named(cloud).smtpHost, tls: tls)
        }
        return LoadTarget(
            name: name, imap: endpoint(.imap), pop3: endpoint(.pop3), smtp: smtp, http: http, handlers: handlers,
            notes: notes)
    }

    func allowed(_ address: String) -> Bool {
        mailboxes.map { list in list.contains { $0.caseInsensitiveCompare(address) == .orderedSame } } ?? true
    }

    func candidateApps() -> [App] {
        scenario.apps.filter { app == nil || $0.clientID.caseInsensitiveCompare(app!) == .orderedSame }
    }

    /// Users the password grant can sign in, with an app whose delegated permissions include `scope`.
    func ropcUsers(scope: String) -> (App, [User])? { ropcUsers(scopes: [scope]) }

    /// Users the password grant can sign in, with an app whose delegated permissions include every one of `scopes`.
    func ropcUsers(scopes: [String]) -> (App, [User])? {
        let users = scenario.users.filter {
            $0.enabled && !$0.mfa && !$0.password.isEmpty && !$0.blockedByConditionalAccess
        }
        for app in candidateApps() where scopes.allSatisfy(app.delegatedPermissions.contains) {
            if app.kind == .confidential, app.secrets.isEmpty { continue }
            let home = scenario.tenant(app.tenant)?.id
            let same = users.filter { scenario.tenant(forAddress: $0.upn)?.id == home }
            if !same.isEmpty { return (app, same) }
        }
        return nil
    }

    func tokenURL(_ app: App) throws(LoadSetupError) -> (String, CloudName) {
        guard let cloud = scenario.tenantCloud(app.tenant),
            let endpoints = ready.clouds.first(where: { $0.name == cloud.rawValue })
        else { throw LoadSetupError("app \(app.clientID): its tenant \(app.tenant) is not served by the mock") }
        return ("\(endpoints.authorityURL)/\(app.tenant)/oauth2/v2.0/token", cloud)
    }

    func mailIdentities(imap: Bool, pop: Bool, smtp: Bool, http: HTTPTransport) async throws(LoadSetupError) -> (
        pairs: [(mailbox: String, token: String)], cloud: CloudName, note: String
    ) {
        let roles =
            (imap ? [Self.imapAppRole] : []) + (pop ? [Self.popAppRole] : []) + (smtp ? [Self.smtpAppRole] : [])
        // Every qualifying app gets its own client-credentials token, and the mailboxes shared out among generated apps
        // (`scale:` `apps:`) spread over all of them: a mailbox is read with the token of the first app that has it.
        var apps: [(app: App, boxes: [String])] = []
        var appsCloud: CloudName?
        var taken = Set<String>()
        for app in candidateApps() where app.kind == .confidential && !app.secrets.isEmpty && app.adminConsent {
            guard roles.allSatisfy(app.applicationPermissions.contains) else { continue }
            let (_, appCloud) = try tokenURL(app)
            guard appsCloud == nil || appsCloud == appCloud else { continue }
            let boxes = app.mailboxAccess.filter { allowed($0) && !taken.contains($0.lowercased()) }
            guard !boxes.isEmpty else { continue }
            appsCloud = appCloud
            taken.formUnion(boxes.map { $0.lowercased() })
            apps.append((app, boxes))
        }
        if let cloud = appsCloud, !apps.isEmpty {
            let tokens = try await Self.grants(
                http,
                try apps.map { entry throws(LoadSetupError) in
                    let form = [
                        ("grant_type", "client_credentials"), ("client_id", entry.app.clientID),
                        ("client_secret", entry.app.secrets[0].value),
                        ("scope", "\(Cloud.named(cloud).scopeResource)/.default"),
                    ]
                    return (try tokenURL(entry.app).0, form, "client credentials for app \(entry.app.clientID)")
                })
            let pairs = zip(apps, tokens).flatMap { entry, token in entry.boxes.map { ($0, token.access) } }
            let who = apps.count == 1 ? "app \(apps[0].app.clientID)" : "\(apps.count) apps"
            return (pairs, cloud, "mail: app-only tokens (client credentials) of \(who) for \(pairs.count) mailbox(es)")
        }
        let scopes = (imap ? [Self.imapScope] : []) + (pop ? [Self.popScope] : []) + (smtp ? [Self.smtpScope] : [])
        guard let (app, users) = ropcUsers(scopes: scopes) else {
            throw LoadSetupError(
                "the scenario has no identity that can read mail: add a confidential app with application_permissions "
                    + "[\(roles.joined(separator: ", "))], admin_consent and mailbox_access, or a user with a password, "
                    + "mfa: false and a mailbox, and an app with \(scopes.joined(separator: ", ")) (docs/load.md)")
        }
        let (url, cloud) = try tokenURL(app)
        let resource = Cloud.named(cloud).scopeResource
        let readers = users.filter { $0.hasMailbox && allowed($0.upn) }
        let scope = scopes.map { "\(resource)/\($0)" }.joined(separator: " ")
        let tokens = try await Self.grants(
            http,
            readers.map { user in
                (url, Self.passwordForm(app: app, user: user, scope: scope), "the password grant of \(user.upn)")
            })
        let pairs = zip(readers, tokens).map { (mailbox: $0.upn, token: $1.access) }
        guard !pairs.isEmpty else {
            throw LoadSetupError("no user the password grant signs in has a mailbox (or is in --mailboxes)")
        }
        return (pairs, cloud, "mail: delegated tokens (password grant, app \(app.clientID)) for \(pairs.count) user(s)")
    }

    func refreshGrants(count: Int, http: HTTPTransport) async throws(LoadSetupError) -> (
        grants: [RefreshGrant], note: String
    ) {
        guard let (app, users) = ropcUsers(scope: Self.imapScope) ?? ropcUsers(scope: Self.popScope) else {
            throw LoadSetupError(
                "'refresh' needs a user the password grant can sign in (a password, mfa: false, enabled) and an app "
                    + "with delegated IMAP.AccessAsUser.All or POP.AccessAsUser.All: add them or drop refresh from --mix"
            )
        }
        let (url, cloud) = try tokenURL(app)
        let permission = app.delegatedPermissions.contains(Self.imapScope) ? Self.imapScope : Self.popScope
        let scope = "\(Cloud.named(cloud).scopeResource)/\(permission) offline_access"
        let secret = app.kind == .confidential ? app.secrets.first?.value : nil
        // Every handler its own refresh token, as every mail handler has.
        let answers = try await Self.grants(
            http,
            (0..<count).map { i in
                let user = users[i % users.count]
                return (url, Self.passwordForm(app: app, user: user, scope: scope), "the password grant of \(user.upn)")
            })
        var grants: [RefreshGrant] = []
        grants.reserveCapacity(count)
        for (i, answer) in answers.enumerated() {
            guard let refresh = answer.refresh else {
                throw LoadSetupError(
                    "the password grant of \(users[i % users.count].upn) gave no refresh token; ask for offline_access")
            }
            grants.append(
                RefreshGrant(tokenURL: url, clientID: app.clientID, secret: secret, scope: scope, refreshToken: refresh)
            )
        }
        return (
            grants,
            "refresh: \(count) refresh token(s) from password grants of \(users.count) user(s), app \(app.clientID)"
        )
    }

    static func passwordForm(app: App, user: User, scope: String) -> [(String, String)] {
        var form = [
            ("grant_type", "password"), ("client_id", app.clientID), ("username", user.upn),
            ("password", user.password),
            ("scope", scope),
        ]
        if app.kind == .confidential, let secret = app.secrets.first?.value { form.append(("client_secret", secret)) }
        return form
    }

    /// Posts the grants made while setting up, a few at a time, and answers them in order; the first failure stops it.
    static func grants(_ http: HTTPTransport, _ requests: [(url: String, form: [(String, String)], what: String)])
        async throws(LoadSetupError) -> [(access: String, refresh: String?)]
    {
        var answers: [(access: String, refresh: String?)] = []
        answers.reserveCapacity(requests.count)
        var next = 0
        while next < requests.count {
            let batch = next..<min(requests.count, next + 16)
            let results = await withTaskGroup(
                of: (Int, Result<(access: String, refresh: String?), LoadSetupError>).self
            ) { group in
                for i in batch {
                    let request = requests[i]
                    group.addTask {
                        do throws(LoadSetupError) {
                            return (
                                i, .success(try await Self.grant(http, request.url, request.form, what: request.what))
                            )
                        } catch { return (i, .failure(error)) }
                    }
                }
                var out: [(Int, Result<(access: String, refresh: String?), LoadSetupError>)] = []
                for await r in group { out.append(r) }
                return out.sorted { $0.0 < $1.0 }
            }
            for (_, result) in results { answers.append(try result.get()) }
            next = batch.upperBound
        }
        return answers
    }

    /// Posts a grant made while setting up; anything but a token stops the run with the answer.
    static func grant(_ http: HTTPTransport, _ url: String, _ form: [(String, String)], what: String)
        async throws(LoadSetupError) -> (
            access: String, refresh: String?
        )
    {
        let answer: HTTPAnswer
        do { answer = try await http.request(.POST, url, form: form) } catch {
            throw LoadSetupError("\(what): no answer from the token endpoint (\(error))")
        }
        guard answer.status == 200, let json = answer.json, let access = json["access_token"] as? String else {
            throw LoadSetupError(
                "\(what) failed: HTTP \(answer.status) \(answer.body.prefix(300)); fix the scenario or pick another --app"
            )
        }
        return (access, json["refresh_token"] as? String)
    }
}
