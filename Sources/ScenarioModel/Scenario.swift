import ExomockLimits
import Foundation
import MicrosoftClouds

/// A scenario: one support ticket, reproducible. Clouds, tenants, apps, users, mailboxes,
/// lifetimes, faults and a client flow with expectations.
///
/// These are plain values. `ScenarioLoader` builds them from YAML (with file, line and column for
/// every field); `Scenario.problems()` checks the rules that span fields (references,
/// duplicates). The format is documented key by key in `docs/scenario-format.md`.
public struct Scenario: Sendable, Equatable, Codable {
    public var version: Int
    public var name: String
    public var description: String
    /// Seeds every id exomock makes (trace, correlation, object ids, token ids, generated mail).
    public var seed: UInt64
    public var clock: ClockSettings
    public var clouds: [CloudName]
    public var tenants: [Tenant] { didSet { indexBox = ScenarioIndexBox() } }
    public var apps: [App] { didSet { indexBox = ScenarioIndexBox() } }
    public var users: [User] { didSet { indexBox = ScenarioIndexBox() } }
    public var mailboxes: [Mailbox] { didSet { indexBox = ScenarioIndexBox() } }
    public var lifetimes: Lifetimes
    public var exchange: ExchangeSettings
    /// UPNs signed in to the mock's browser session (SSO) when the scenario starts.
    public var browserSignedIn: [String]
    public var faults: [Fault]
    public var flow: [FlowStep]
    /// Lookups by UPN, client id, tenant and address (`ScenarioIndex`), built on first use; replaced
    /// whenever the entries it indexes change. Not encoded, not compared.
    var indexBox = ScenarioIndexBox()

    enum CodingKeys: String, CodingKey {
        case version, name, description, seed, clock, clouds, tenants, apps, users, mailboxes, lifetimes, exchange
        case browserSignedIn, faults, flow
    }

    public init(
        version: Int = 1,
        name: String,
        description: String = "",
        seed: UInt64 = 1,
        clock: ClockSettings = ClockSettings(),
        clouds: [CloudName],
        tenants: [Tenant] = [],
        apps: [App] = [],
        users: [User] = [],
        mailboxes: [Mailbox] = [],
        lifetimes: Lifetimes = Lifetimes(),
        exchange: ExchangeSettings = ExchangeSettings(),
        browserSignedIn: [String] = [],
        faults: [Fault] = [],
        flow: [FlowStep] = []
    ) {
        self.version = version
        self.name = name
        self.description = description
        self.seed = seed
        self.clock = clock
        self.clouds = clouds
        self.tenants = tenants
        self.apps = apps
        self.users = users
        self.mailboxes = mailboxes
        self.lifetimes = lifetimes
        self.exchange = exchange
        self.browserSignedIn = browserSignedIn
        self.faults = faults
        self.flow = flow
    }
}

public struct ClockSettings: Sendable, Equatable, Codable {
    public enum Mode: String, Sendable, Codable, CaseIterable {
        /// Time moves only when told (`POST /clock/advance`, a flow's `advance`). The default.
        case virtual
        /// Time starts at `start` and then follows the wall clock, plus any advances. For people
        /// clicking through the login page by hand; never for CI.
        case realtime
    }
    public var start: Date
    public var mode: Mode

    public init(start: Date = Date(timeIntervalSince1970: 1_767_225_600), mode: Mode = .virtual) {
        self.start = start
        self.mode = mode
    }
}

public struct Tenant: Sendable, Equatable, Codable {
    /// Directory (tenant) id, a GUID.
    public var id: String
    public var name: String
    public var cloud: CloudName
    /// Verified domains; the first is the default (`contoso.onmicrosoft.us`).
    public var domains: [String]
    /// `Set-TransportConfig -SmtpClientAuthenticationDisabled`: SMTP AUTH off for the whole tenant
    /// (`535 5.7.139 ... disabled for the Tenant`) unless a mailbox turns it back on.
    public var smtpClientAuthenticationDisabled: Bool

    public init(
        id: String, name: String = "", cloud: CloudName, domains: [String],
        smtpClientAuthenticationDisabled: Bool = false
    ) {
        self.id = id
        self.name = name
        self.cloud = cloud
        self.domains = domains
        self.smtpClientAuthenticationDisabled = smtpClientAuthenticationDisabled
    }
}

public struct ClientSecret: Sendable, Equatable, Codable {
    public var value: String
    /// When it stops working (AADSTS7000222 after this instant); nil: never.
    public var expires: Date?

    public init(value: String, expires: Date? = nil) {
        self.value = value
        self.expires = expires
    }
}

/// A certificate registered on an app (Certificates & secrets → Certificates): the public half only.
/// A client proves it holds the private key with a signed client assertion.
public struct AppCertificate: Sendable, Equatable, Codable {
    /// The certificate in PEM form (`-----BEGIN CERTIFICATE-----`), as read from the scenario's file.
    public var pem: String
    /// Where it came from, for messages (`certs/handler.pem`).
    public var file: String

    public init(pem: String, file: String) {
        self.pem = pem
        self.file = file
    }
}

public struct App: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case confidential
        case `public`
        /// A single-page app: a public client whose refresh tokens live a fixed 24 hours (AADSTS700084).
        case spa
    }
    public var name: String
    /// Application (client) id, a GUID.
    public var clientID: String
    /// Home tenant id: the app is registered there, and so in that tenant's cloud.
    public var tenant: String
    public var kind: Kind
    public var secrets: [ClientSecret]
    /// Exact redirect URIs registered for the app.
    public var redirectURIs: [String]
    /// Delegated permissions by short name (`IMAP.AccessAsUser.All`, `offline_access`).
    public var delegatedPermissions: [String]
    /// Application permissions (`IMAP.AccessAsApp`).
    public var applicationPermissions: [String]
    /// Whether an administrator consented for the whole tenant.
    public var adminConsent: Bool
    /// Mailboxes the app's service principal has FullAccess to (`Add-MailboxPermission`).
    public var mailboxAccess: [String]
    /// Certificates the app accepts client assertions (`private_key_jwt`) signed by.
    public var certificates: [AppCertificate]
    /// A Conditional Access sign-in frequency that applies to this app: its refresh tokens die this long
    /// after the user signed in (AADSTS70043); nil: none.
    /// Accounts in any organizational directory may sign in (`multi_tenant: true`); false (the portal's
    /// default, "this organizational directory only"): a user of another tenant gets AADSTS50020.
    public var multiTenant: Bool = false
    public var signInFrequency: Double?

    public init(
        name: String,
        clientID: String,
        tenant: String,
        kind: Kind = .confidential,
        secrets: [ClientSecret] = [],
        redirectURIs: [String] = [],
        delegatedPermissions: [String] = [],
        applicationPermissions: [String] = [],
        adminConsent: Bool = false,
        mailboxAccess: [String] = [],
        certificates: [AppCertificate] = [],
        signInFrequency: Double? = nil
    ) {
        self.name = name
        self.clientID = clientID
        self.tenant = tenant
        self.kind = kind
        self.secrets = secrets
        self.redirectURIs = redirectURIs
        self.delegatedPermissions = delegatedPermissions
        self.applicationPermissions = applicationPermissions
        self.adminConsent = adminConsent
        self.mailboxAccess = mailboxAccess
        self.certificates = certificates
        self.signInFrequency = signInFrequency
    }

    /// Permission names a scenario may grant, by kind.
    public static let knownDelegatedPermissions: [String] = [
        "IMAP.AccessAsUser.All", "POP.AccessAsUser.All", "SMTP.Send", "EWS.AccessAsUser.All",
        "offline_access", "openid", "profile", "email", "User.Read", "Mail.Read",
    ]
    public static let knownApplicationPermissions: [String] = [
        "IMAP.AccessAsApp", "POP.AccessAsApp", "SMTP.SendAsApp", "full_access_as_app", "Mail.Read",
    ]
}

public struct User: Sendable, Equatable, Codable {
    /// User principal name; its domain names the tenant.
    public var upn: String
    public var displayName: String
    public var password: String
    /// Multi-factor authentication required: password grants fail with AADSTS50076.
    public var mfa: Bool
    /// Conditional Access wants multi-factor authentication but the user has not registered a method:
    /// password and refresh grants fail with AADSTS50079 (`mfa_registration_required`).
    public var mfaRegistrationRequired: Bool = false
    /// Account enabled; a disabled one fails with AADSTS50057.
    public var enabled: Bool
    /// Conditional Access blocks token issuance for this user (AADSTS53003).
    public var blockedByConditionalAccess: Bool
    /// Whether the user has a mailbox of their own (created with Exchange's default folders).
    public var hasMailbox: Bool
    /// Other mailboxes this user may open (FullAccess), by address.
    public var fullAccess: [String]
    /// Apps (by client id) this user consented to for themselves.
    public var consentedApps: [String]
    /// A Conditional Access sign-in frequency that applies to this user: their refresh tokens die this
    /// long after they signed in (AADSTS70043); nil: none.
    public var signInFrequency: Double?

    public init(
        upn: String,
        displayName: String = "",
        password: String,
        mfa: Bool = false,
        enabled: Bool = true,
        blockedByConditionalAccess: Bool = false,
        hasMailbox: Bool = true,
        fullAccess: [String] = [],
        consentedApps: [String] = [],
        signInFrequency: Double? = nil
    ) {
        self.upn = upn
        self.displayName = displayName
        self.password = password
        self.mfa = mfa
        self.enabled = enabled
        self.blockedByConditionalAccess = blockedByConditionalAccess
        self.hasMailbox = hasMailbox
        self.fullAccess = fullAccess
        self.consentedApps = consentedApps
        self.signInFrequency = signInFrequency
    }

    /// The domain part of the UPN, lower-cased.
    public var domain: String { upn.split(separator: "@").last.map { $0.lowercased() } ?? "" }
}

public struct Mailbox: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case user
        case shared
    }
    /// Primary SMTP address (`helpdesk@contoso.onmicrosoft.us`).
    public var address: String
    public var kind: Kind
    /// `Set-CASMailbox -ImapEnabled`.
    public var imapEnabled: Bool
    /// `Set-CASMailbox -PopEnabled`.
    public var popEnabled: Bool
    /// Folders beyond (or filling) Exchange's defaults: Inbox, Drafts, Sent Items, Deleted Items,
    /// Junk Email, Archive.
    public var folders: [Folder]
    /// `Set-CASMailbox -SmtpClientAuthenticationDisabled`: true or false overrides the tenant's
    /// setting for this mailbox; nil follows the tenant.
    public var smtpClientAuthenticationDisabled: Bool?
    /// `Add-RecipientPermission -AccessRights SendAs`: the UPNs of users and the client ids of apps
    /// that may send mail as this mailbox.
    public var sendAs: [String]

    public init(
        address: String,
        kind: Kind = .user,
        imapEnabled: Bool = true,
        popEnabled: Bool = true,
        folders: [Folder] = [],
        smtpClientAuthenticationDisabled: Bool? = nil,
        sendAs: [String] = []
    ) {
        self.address = address
        self.kind = kind
        self.imapEnabled = imapEnabled
        self.popEnabled = popEnabled
        self.folders = folders
        self.smtpClientAuthenticationDisabled = smtpClientAuthenticationDisabled
        self.sendAs = sendAs
    }

    public var domain: String { address.split(separator: "@").last.map { $0.lowercased() } ?? "" }

    /// Exchange Online's default folders, in the order `LIST` shows them.
    public static let defaultFolderNames = ["Archive", "Deleted Items", "Drafts", "Inbox", "Junk Email", "Sent Items"]
}

public struct Folder: Sendable, Equatable, Codable {
    public var name: String
    public var messages: [MessageSource]

    public init(name: String, messages: [MessageSource] = []) {
        self.name = name
        self.messages = messages
    }
}

/// Where a folder's messages come from.
public enum MessageSource: Sendable, Equatable, Codable {
    /// An RFC 5322 `.eml` file; `path` is absolute once loaded (resolved against the scenario file).
    case file(path: String, flags: [String])
    /// `count` generated messages of about `size` bytes each, from `seed`.
    case generated(count: Int, size: Int, seed: UInt64)
}

/// Token and code lifetimes, in seconds. Defaults are Microsoft's.
public struct Lifetimes: Sendable, Equatable, Codable {
    /// Access tokens (Microsoft: random 60–90 min; exomock: fixed, default 1 h, so runs repeat).
    public var accessToken: Double
    /// A refresh token unused for this long dies (AADSTS700082). Microsoft: 90 days.
    public var refreshTokenInactivity: Double
    /// A Conditional Access sign-in frequency for every user and app: a refresh token dies this long
    /// after its first issue, however used (AADSTS70043); nil: until revoked. `users[].sign_in_frequency`
    /// and `apps[].sign_in_frequency` set it for one user or app; the shortest that applies wins.
    public var refreshTokenMaxAge: Double?
    /// Authorization codes (Microsoft: about 10 min).
    public var authorizationCode: Double
    /// Device codes (Microsoft: 15 min, `expires_in` 900).
    public var deviceCode: Double
    /// ID tokens.
    public var idToken: Double

    public init(
        accessToken: Double = 3600,
        refreshTokenInactivity: Double = 90 * 86_400,
        refreshTokenMaxAge: Double? = nil,
        authorizationCode: Double = 600,
        deviceCode: Double = 900,
        idToken: Double = 3600
    ) {
        self.accessToken = accessToken
        self.refreshTokenInactivity = refreshTokenInactivity
        self.refreshTokenMaxAge = refreshTokenMaxAge
        self.authorizationCode = authorizationCode
        self.deviceCode = deviceCode
        self.idToken = idToken
    }
}

/// How the Exchange Online side behaves where tenants differ.
public struct ExchangeSettings: Sendable, Equatable, Codable {
    /// Basic authentication (LOGIN, AUTHENTICATE PLAIN, USER/PASS) on; Microsoft turned it off.
    public var basicAuth: Bool
    /// Idle time before IMAP/POP3 auto-logout (UNCONFIRMED for Exchange Online; default 30 min,
    /// RFC 3501's minimum).
    public var idleTimeout: Double
    /// Idle time (virtual seconds) before a mail connection that has not logged in is closed
    /// (`exchange.pre_auth_idle_timeout`; 0 turns it off). Exchange closes unauthenticated connections;
    /// its value is UNCONFIRMED (`Limits.mailPreAuthenticationIdleSeconds`, on-premises' default 60 s).
    public var preAuthIdleTimeout: Double = Limits.mailPreAuthenticationIdleSeconds
    /// Server name whose UTF-16LE base64 is shown in greetings (`MN2PR01CA0007`).
    public var serverName: String
    /// IMAP sessions one mailbox may have at once (Microsoft: 20; another source says 16: UNCONFIRMED).
    public var imapSessionsPerMailbox: Int
    /// How POP3 sessions share a maildrop.
    public var pop3Maildrop: POP3Maildrop
    /// POP3 sessions one mailbox may have at once with a `shared` maildrop (Microsoft: 20).
    public var pop3SessionsPerMailbox: Int
    /// The answer to a one-line POP3 `AUTH XOAUTH2 <initial response>`.
    public var pop3XOAUTH2InitialResponse: POP3InitialResponse

    /// `shared`: up to `pop3SessionsPerMailbox` sessions at once; `exclusive`: RFC 1939's lock, one session.
    public enum POP3Maildrop: String, Sendable, Equatable, Codable, CaseIterable {
        case shared
        case exclusive
    }

    /// `protocolError`: `-ERR Protocol error.` (reported for Exchange Online, one source: UNCONFIRMED);
    /// `accept`: the initial response is taken.
    public enum POP3InitialResponse: String, Sendable, Equatable, Codable, CaseIterable {
        case protocolError = "protocol_error"
        case accept
    }

    public init(
        basicAuth: Bool = false, idleTimeout: Double = 1800, serverName: String = "MN2PR01CA0007",
        imapSessionsPerMailbox: Int = Limits.imapSessionsPerMailbox, pop3Maildrop: POP3Maildrop = .shared,
        pop3SessionsPerMailbox: Int = Limits.pop3SessionsPerMailbox,
        pop3XOAUTH2InitialResponse: POP3InitialResponse = .protocolError
    ) {
        self.basicAuth = basicAuth
        self.idleTimeout = idleTimeout
        self.serverName = serverName
        self.imapSessionsPerMailbox = imapSessionsPerMailbox
        self.pop3Maildrop = pop3Maildrop
        self.pop3SessionsPerMailbox = pop3SessionsPerMailbox
        self.pop3XOAUTH2InitialResponse = pop3XOAUTH2InitialResponse
    }
}
