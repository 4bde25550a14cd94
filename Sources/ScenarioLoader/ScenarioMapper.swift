import ExomockLimits
import Foundation
import MicrosoftClouds
import ScenarioModel
import Yams

/// Maps the node tree onto `Scenario`, key by key. Each function returns nil when its part could
/// not be read (the reader then holds why); the caller keeps reading the siblings.
enum ScenarioMapper {
    enum Keys {
        static let clock = ["start", "mode"]
        static let tenant = ["id", "name", "cloud", "domains", "smtp_client_authentication_disabled"]
        static let app = [
            "name", "client_id", "tenant", "type", "secrets", "redirect_uris", "delegated_permissions",
            "application_permissions", "admin_consent", "mailbox_access", "certificates", "sign_in_frequency",
            "multi_tenant",
        ]
        static let certificate = ["file"]
        static let secret = ["value", "expires"]
        static let user = [
            "upn", "display_name", "password", "mfa", "enabled", "blocked_by_conditional_access", "mailbox",
            "full_access", "consented_apps", "sign_in_frequency", "mfa_registration_required",
        ]
        static let mailbox = [
            "address", "type", "imap_enabled", "pop_enabled", "folders", "smtp_client_authentication_disabled",
            "send_as",
        ]
        static let folder = ["name", "messages"]
        static let message = ["file", "flags", "generate"]
        static let generate = ["count", "size", "seed"]
        static let lifetimes = [
            "access_token", "refresh_token_inactivity", "refresh_token_max_age", "authorization_code", "device_code",
            "id_token",
        ]
        static let exchange = [
            "basic_auth", "idle_timeout", "server_name", "imap_sessions_per_mailbox", "pop3_maildrop",
            "pop3_sessions_per_mailbox", "pop3_xoauth2_initial_response", "pre_auth_idle_timeout",
        ]
        static let browser = ["signed_in"]
        static let stepActions = [
            "token", "advance", "imap", "pop3", "smtp", "revoke_sessions", "change", "deliver", "wait", "repeat",
        ]
        static let step = ["name", "expect"] + stepActions
        static let expect = ["success", "error", "error_code", "status", "line", "pattern", "timeout", "closed"]
        static let token = [
            "cloud", "tenant", "app", "grant", "user", "scopes", "save_as", "from", "secret", "password", "prompt",
            "login_hint", "domain_hint", "pkce", "consent",
        ]
        static let mail = [
            "cloud", "host", "keep_open", "mailbox", "token", "tls", "auth", "refresh", "read_timeout", "commands",
        ]
        static let smtp = mail + ["from", "to", "subject", "body"]
        static let command = ["send", "expect", "data"]
        static let commandExpect = ["status", "line", "pattern", "exists", "bytes", "closed"]
        static let change = ["kind", "user", "mailbox", "app", "password", "secret", "by"]
        static let deliver = ["mailbox", "folder"] + message
        static let repeatBlock = ["times", "every", "for", "steps"]
    }

    /// Default size of a generated message when `size` is omitted.
    static let defaultGeneratedSize = 2048

    static func scenario(_ root: Node, _ r: inout NodeReader) -> Scenario? {
        guard let f = r.mapping(root, "", keys: ScenarioLoader.topLevelKeys, what: "a scenario") else { return nil }
        var ok = true
        func check<T>(_ value: T?) -> T? {
            if value == nil { ok = false }
            return value
        }

        var version = 1
        if let node = f["version"] { version = check(r.int(node, "version", minimum: 0, maximum: 1_000)) ?? 1 }
        let name = r.required(f, "name").flatMap { r.string($0, "name") }
        if name == nil { ok = false }
        var description = ""
        if let node = f["description"] { description = check(r.string(node, "description")) ?? "" }
        var seed: UInt64 = 1
        if let node = f["seed"] { seed = check(r.unsigned64(node, "seed")) ?? 1 }
        var clock = ClockSettings()
        if let node = f["clock"] { clock = check(self.clock(node, "clock", &r)) ?? clock }
        var clouds: [CloudName] = []
        if let node = r.required(f, "clouds") {
            clouds =
                check(
                    list(node, "clouds", example: "`[gcc-high]`", &r) { item, path, r in
                        r.choice(item, path, CloudName.self, what: "cloud")
                    }) ?? []
        } else {
            ok = false
        }
        var tenants: [Tenant] = []
        if let node = f["tenants"] { tenants = check(list(node, "tenants", example: "`- id: ...`", &r, tenant)) ?? [] }
        var apps: [App] = []
        if let node = f["apps"] { apps = check(list(node, "apps", example: "`- name: ...`", &r, app)) ?? [] }
        var users: [User] = []
        if let node = f["users"] { users = check(list(node, "users", example: "`- upn: ...`", &r, user)) ?? [] }
        var mailboxes: [Mailbox] = []
        if let node = f["mailboxes"] {
            mailboxes = check(list(node, "mailboxes", example: "`- address: ...`", &r, mailbox)) ?? []
        }
        var scale: [ScaleBlock] = []
        if let node = f["scale"] {
            let declared = ScaleMapper.Declared(tenants: tenants, apps: apps, users: users, mailboxes: mailboxes)
            scale = check(ScaleMapper.scale(node, "scale", &r, declared: declared)) ?? []
        }
        var lifetimes = Lifetimes()
        if let node = f["lifetimes"] { lifetimes = check(self.lifetimes(node, "lifetimes", &r)) ?? lifetimes }
        var exchange = ExchangeSettings()
        if let node = f["exchange"] { exchange = check(self.exchange(node, "exchange", &r)) ?? exchange }
        var signedIn: [String] = []
        if let node = f["browser"] { signedIn = check(browser(node, "browser", &r)) ?? [] }
        var faults: [Fault] = []
        if let node = f["faults"] {
            faults = check(list(node, "faults", example: "`- service: token`", &r, fault)) ?? []
        }
        var flow: [FlowStep] = []
        if let node = f["flow"] { flow = check(list(node, "flow", example: "`- token: {...}`", &r, step)) ?? [] }

        guard ok, let name else { return nil }
        var scenario = Scenario(
            version: version, name: name, description: description, seed: seed, clock: clock, clouds: clouds,
            tenants: tenants, apps: apps, users: users, mailboxes: mailboxes, lifetimes: lifetimes, exchange: exchange,
            browserSignedIn: signedIn, faults: faults, flow: flow
        )
        scenario.expand(scale)
        return scenario
    }

    /// A list whose every element reads; nil if the list or any element does not.
    static func list<T>(
        _ node: Node, _ path: String, example: String, _ r: inout NodeReader,
        _ element: (Node, String, inout NodeReader) -> T?
    ) -> [T]? {
        guard let items = r.list(node, path, example: example) else { return nil }
        var values: [T] = []
        var ok = true
        for (item, itemPath) in items {
            if r.overNodeLimit { return nil }
            if let value = element(item, itemPath, &r) { values.append(value) } else { ok = false }
        }
        return ok ? values : nil
    }

    /// Reads optional fields into `target`, tracking failures.
    struct OptionalFields {
        var ok = true
        mutating func read<T>(_ node: Node?, into target: inout T, _ reader: (Node) -> T?) {
            guard let node else { return }
            if let value = reader(node) { target = value } else { ok = false }
        }
        /// For a field whose model value is itself optional (nil: not given).
        mutating func readOptional<T>(_ node: Node?, into target: inout T?, _ reader: (Node) -> T?) {
            guard let node else { return }
            if let value = reader(node) { target = value } else { ok = false }
        }
    }

    static func clock(_ node: Node, _ path: String, _ r: inout NodeReader) -> ClockSettings? {
        guard let f = r.mapping(node, path, keys: Keys.clock, what: "clock") else { return nil }
        var clock = ClockSettings()
        var o = OptionalFields()
        o.read(f["start"], into: &clock.start) { r.date($0, f.path("start")) }
        o.read(f["mode"], into: &clock.mode) {
            r.choice($0, f.path("mode"), ClockSettings.Mode.self, what: "clock mode")
        }
        return o.ok ? clock : nil
    }

    static func tenant(_ node: Node, _ path: String, _ r: inout NodeReader) -> Tenant? {
        guard let f = r.mapping(node, path, keys: Keys.tenant, what: "tenant") else { return nil }
        let id = r.required(f, "id").flatMap { r.string($0, f.path("id")) }
        let cloud = r.required(f, "cloud").flatMap { r.choice($0, f.path("cloud"), CloudName.self, what: "cloud") }
        let domains = r.required(f, "domains").flatMap {
            r.strings($0, f.path("domains"), example: "`[contoso.onmicrosoft.us]`")
        }
        var name = ""
        var smtpAuthDisabled = false
        var o = OptionalFields()
        o.read(f["name"], into: &name) { r.string($0, f.path("name")) }
        o.read(f["smtp_client_authentication_disabled"], into: &smtpAuthDisabled) {
            r.bool($0, f.path("smtp_client_authentication_disabled"))
        }
        guard o.ok, let id, let cloud, let domains else { return nil }
        return Tenant(
            id: id, name: name, cloud: cloud, domains: domains, smtpClientAuthenticationDisabled: smtpAuthDisabled)
    }

    static func app(_ node: Node, _ path: String, _ r: inout NodeReader) -> App? {
        guard let f = r.mapping(node, path, keys: Keys.app, what: "app") else { return nil }
        let name = r.required(f, "name").flatMap { r.string($0, f.path("name")) }
        let clientID = r.required(f, "client_id").flatMap { r.string($0, f.path("client_id")) }
        let tenant = r.required(f, "tenant").flatMap { r.string($0, f.path("tenant")) }
        guard let name, let clientID, let tenant else {
            // Still read the rest, so its problems are reported too.
            _ = readAppOptionals(f, into: App(name: "", clientID: "", tenant: ""), &r)
            return nil
        }
        return readAppOptionals(f, into: App(name: name, clientID: clientID, tenant: tenant), &r)
    }

    /// The optional keys of an app (and of a `scale` apps entry, whose keys are a subset) into `start`.
    static func readAppOptionals(_ f: Fields, into start: App, _ r: inout NodeReader) -> App? {
        var app = start
        var o = OptionalFields()
        o.read(f["type"], into: &app.kind) { r.choice($0, f.path("type"), App.Kind.self, what: "app type") }
        o.read(f["secrets"], into: &app.secrets) { list($0, f.path("secrets"), example: "`- value: ...`", &r, secret) }
        o.read(f["redirect_uris"], into: &app.redirectURIs) {
            r.strings($0, f.path("redirect_uris"), example: "`[http://localhost:8080/callback]`")
        }
        o.read(f["delegated_permissions"], into: &app.delegatedPermissions) {
            r.strings($0, f.path("delegated_permissions"), example: "`[IMAP.AccessAsUser.All, offline_access]`")
        }
        o.read(f["application_permissions"], into: &app.applicationPermissions) {
            r.strings($0, f.path("application_permissions"), example: "`[IMAP.AccessAsApp]`")
        }
        o.read(f["admin_consent"], into: &app.adminConsent) { r.bool($0, f.path("admin_consent")) }
        o.read(f["mailbox_access"], into: &app.mailboxAccess) {
            r.strings($0, f.path("mailbox_access"), example: "`[helpdesk@contoso.onmicrosoft.us]`")
        }
        o.read(f["certificates"], into: &app.certificates) {
            list($0, f.path("certificates"), example: "`- file: certs/handler.pem`", &r, certificate)
        }
        o.readOptional(f["sign_in_frequency"], into: &app.signInFrequency) {
            r.duration($0, f.path("sign_in_frequency"))
        }
        o.read(f["multi_tenant"], into: &app.multiTenant) { r.bool($0, f.path("multi_tenant")) }
        return o.ok ? app : nil
    }

    static func secret(_ node: Node, _ path: String, _ r: inout NodeReader) -> ClientSecret? {
        guard let f = r.mapping(node, path, keys: Keys.secret, what: "client secret") else { return nil }
        let value = r.required(f, "value").flatMap { r.string($0, f.path("value")) }
        var expires: Date?
        var o = OptionalFields()
        o.readOptional(f["expires"], into: &expires) { r.date($0, f.path("expires")) }
        guard o.ok, let value else { return nil }
        return ClientSecret(value: value, expires: expires)
    }

    /// An app certificate: its `file` for now; `CertificateFiles` reads it once the scenario has mapped.
    static func certificate(_ node: Node, _ path: String, _ r: inout NodeReader) -> AppCertificate? {
        guard let f = r.mapping(node, path, keys: Keys.certificate, what: "app certificate") else { return nil }
        guard let file = r.required(f, "file").flatMap({ r.string($0, f.path("file")) }) else { return nil }
        return AppCertificate(pem: "", file: file)
    }

    static func user(_ node: Node, _ path: String, _ r: inout NodeReader) -> User? {
        guard let f = r.mapping(node, path, keys: Keys.user, what: "user") else { return nil }
        let upn = r.required(f, "upn").flatMap { r.string($0, f.path("upn")) }
        let password = r.required(f, "password").flatMap { r.string($0, f.path("password")) }
        var user = User(upn: upn ?? "", password: password ?? "")
        var o = OptionalFields()
        o.read(f["display_name"], into: &user.displayName) { r.string($0, f.path("display_name")) }
        o.read(f["mfa"], into: &user.mfa) { r.bool($0, f.path("mfa")) }
        o.read(f["mfa_registration_required"], into: &user.mfaRegistrationRequired) {
            r.bool($0, f.path("mfa_registration_required"))
        }
        o.read(f["enabled"], into: &user.enabled) { r.bool($0, f.path("enabled")) }
        o.read(f["blocked_by_conditional_access"], into: &user.blockedByConditionalAccess) {
            r.bool($0, f.path("blocked_by_conditional_access"))
        }
        o.read(f["mailbox"], into: &user.hasMailbox) { r.bool($0, f.path("mailbox")) }
        o.read(f["full_access"], into: &user.fullAccess) {
            r.strings($0, f.path("full_access"), example: "`[helpdesk@contoso.onmicrosoft.us]`")
        }
        o.read(f["consented_apps"], into: &user.consentedApps) {
            r.strings($0, f.path("consented_apps"), example: "`[11111111-2222-3333-4444-555555555555]`")
        }
        o.readOptional(f["sign_in_frequency"], into: &user.signInFrequency) {
            r.duration($0, f.path("sign_in_frequency"))
        }
        guard o.ok, upn != nil, password != nil else { return nil }
        return user
    }

    static func lifetimes(_ node: Node, _ path: String, _ r: inout NodeReader) -> Lifetimes? {
        guard let f = r.mapping(node, path, keys: Keys.lifetimes, what: "lifetimes") else { return nil }
        var l = Lifetimes()
        var o = OptionalFields()
        o.read(f["access_token"], into: &l.accessToken) { r.duration($0, f.path("access_token")) }
        o.read(f["refresh_token_inactivity"], into: &l.refreshTokenInactivity) {
            r.duration($0, f.path("refresh_token_inactivity"))
        }
        if let node = f["refresh_token_max_age"] {
            if node.null != nil {
                r.record(f.path("refresh_token_max_age"), node)
                l.refreshTokenMaxAge = nil
            } else {
                o.readOptional(node, into: &l.refreshTokenMaxAge) { r.duration($0, f.path("refresh_token_max_age")) }
            }
        }
        o.read(f["authorization_code"], into: &l.authorizationCode) { r.duration($0, f.path("authorization_code")) }
        o.read(f["device_code"], into: &l.deviceCode) { r.duration($0, f.path("device_code")) }
        o.read(f["id_token"], into: &l.idToken) { r.duration($0, f.path("id_token")) }
        return o.ok ? l : nil
    }

    static func exchange(_ node: Node, _ path: String, _ r: inout NodeReader) -> ExchangeSettings? {
        guard let f = r.mapping(node, path, keys: Keys.exchange, what: "exchange settings") else { return nil }
        var e = ExchangeSettings()
        var o = OptionalFields()
        o.read(f["basic_auth"], into: &e.basicAuth) { r.bool($0, f.path("basic_auth")) }
        o.read(f["idle_timeout"], into: &e.idleTimeout) { r.duration($0, f.path("idle_timeout")) }
        o.read(f["pre_auth_idle_timeout"], into: &e.preAuthIdleTimeout) {
            r.duration($0, f.path("pre_auth_idle_timeout"))
        }
        o.read(f["server_name"], into: &e.serverName) { r.string($0, f.path("server_name")) }
        o.read(f["imap_sessions_per_mailbox"], into: &e.imapSessionsPerMailbox) {
            r.int($0, f.path("imap_sessions_per_mailbox"), minimum: 1, maximum: Limits.maximumSessionsPerMailbox)
        }
        o.read(f["pop3_maildrop"], into: &e.pop3Maildrop) {
            r.choice($0, f.path("pop3_maildrop"), ExchangeSettings.POP3Maildrop.self, what: "POP3 maildrop mode")
        }
        o.read(f["pop3_sessions_per_mailbox"], into: &e.pop3SessionsPerMailbox) {
            r.int($0, f.path("pop3_sessions_per_mailbox"), minimum: 1, maximum: Limits.maximumSessionsPerMailbox)
        }
        o.read(f["pop3_xoauth2_initial_response"], into: &e.pop3XOAUTH2InitialResponse) {
            r.choice(
                $0, f.path("pop3_xoauth2_initial_response"), ExchangeSettings.POP3InitialResponse.self,
                what: "answer to a one-line AUTH XOAUTH2")
        }
        if e.pop3Maildrop == .exclusive, let node = f["pop3_sessions_per_mailbox"], e.pop3SessionsPerMailbox != 1 {
            r.report(
                f.path("pop3_sessions_per_mailbox"), at: node.mark,
                "applies only to `pop3_maildrop: shared`; an exclusive maildrop holds one session",
                "Remove pop3_sessions_per_mailbox, or set `pop3_maildrop: shared`.")
            return nil
        }
        return o.ok ? e : nil
    }

    static func browser(_ node: Node, _ path: String, _ r: inout NodeReader) -> [String]? {
        guard let f = r.mapping(node, path, keys: Keys.browser, what: "browser settings") else { return nil }
        var signedIn: [String] = []
        var o = OptionalFields()
        o.read(f["signed_in"], into: &signedIn) {
            r.strings($0, f.path("signed_in"), example: "`[admin@contoso.onmicrosoft.us]`")
        }
        return o.ok ? signedIn : nil
    }
}
