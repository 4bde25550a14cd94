import MicrosoftClouds

/// Where something was written in the scenario file (1-based), so the flow runner can say
/// `FILE:LINE: step 'NAME': expected …, got …`.
public struct SourceLocation: Sendable, Equatable, Codable {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
}

/// One step of the client flow a scenario plays (executed by the flow runner, `exomock run`).
public struct FlowStep: Sendable, Equatable, Codable {
    public enum Action: Sendable, Equatable, Codable {
        /// Ask a token endpoint for tokens (through the sign-in page for `authorization_code`).
        case token(TokenStep)
        /// Move the virtual clock.
        case advanceClock(seconds: Double)
        /// Connect to IMAP, authenticate with XOAUTH2 and run commands.
        case imap(MailStep)
        /// Connect to POP3, authenticate with XOAUTH2 and run commands.
        case pop3(MailStep)
        /// Connect to SMTP submission, STARTTLS, authenticate with XOAUTH2, run commands and send a message.
        case smtp(SMTPStep)
        /// Revoke every refresh token of a user (admin "revoke sessions").
        case revokeSessions(user: String)
        /// A live edit a support case needs (password reset, IMAP disabled, consent withdrawn…).
        case change(Change)
        /// Put a new message into a mailbox folder.
        case deliver(Delivery)
        /// Wait real time (a client-side timeout); the virtual clock does not move.
        case wait(seconds: Double)
        /// Run a block of steps several times, or on a virtual-time schedule.
        case repeatSteps(Repeat)
    }
    public var name: String
    public var action: Action
    public var expect: Expectation?
    /// Where the step starts in the file (nil for steps built in code).
    public var location: SourceLocation?

    public init(name: String = "", action: Action, expect: Expectation? = nil, location: SourceLocation? = nil) {
        self.name = name
        self.action = action
        self.expect = expect
        self.location = location
    }

    /// The mail session of an `imap`, `pop3` or `smtp` step.
    public var mailSession: MailStep? {
        switch action {
        case .imap(let m), .pop3(let m): m
        case .smtp(let s): s.session
        default: nil
        }
    }

    /// The action's key in the file (`token`, `imap`, …).
    public var actionKey: String {
        switch action {
        case .token: "token"
        case .advanceClock: "advance"
        case .imap: "imap"
        case .pop3: "pop3"
        case .smtp: "smtp"
        case .revokeSessions: "revoke_sessions"
        case .change: "change"
        case .deliver: "deliver"
        case .wait: "wait"
        case .repeatSteps: "repeat"
        }
    }
}

public struct TokenStep: Sendable, Equatable, Codable {
    public enum Grant: String, Sendable, Codable, CaseIterable {
        case authorizationCode = "authorization_code"
        case refreshToken = "refresh_token"
        case clientCredentials = "client_credentials"
        case password
        case deviceCode = "device_code"
    }
    /// The cloud whose token service is asked (default: the app's cloud).
    public var cloud: CloudName?
    /// Tenant segment as the client sends it: an id, a domain, `organizations` or `common`.
    public var tenant: String
    /// App client id.
    public var app: String
    public var grant: Grant
    /// The user who signs in (delegated grants).
    public var user: String?
    public var scopes: [String]
    /// Name under which later steps refer to the tokens.
    public var saveAs: String?
    /// For `refresh_token`: the name of an earlier step's saved tokens.
    public var from: String?
    /// The client secret to send (default: the app's first secret; public apps send none).
    public var secret: String?
    /// The password typed on the sign-in page or sent in the password grant (default: the user's).
    public var password: String?
    /// Authorize request parameters a browser flow sends: `prompt`, `login_hint`, `domain_hint`.
    public var prompt: String?
    public var loginHint: String?
    public var domainHint: String?
    /// Send a PKCE challenge (S256) with the authorize request and the verifier with the code.
    public var pkce: Bool
    /// On a consent page: accept (true, the default) or cancel (false).
    public var consent: Bool

    public init(
        cloud: CloudName? = nil,
        tenant: String,
        app: String,
        grant: Grant,
        user: String? = nil,
        scopes: [String] = [],
        saveAs: String? = nil,
        from: String? = nil,
        secret: String? = nil,
        password: String? = nil,
        prompt: String? = nil,
        loginHint: String? = nil,
        domainHint: String? = nil,
        pkce: Bool = false,
        consent: Bool = true
    ) {
        self.cloud = cloud
        self.tenant = tenant
        self.app = app
        self.grant = grant
        self.user = user
        self.scopes = scopes
        self.saveAs = saveAs
        self.from = from
        self.secret = secret
        self.password = password
        self.prompt = prompt
        self.loginHint = loginHint
        self.domainHint = domainHint
        self.pkce = pkce
        self.consent = consent
    }
}

/// A live edit to the directory or Exchange, as an admin would make it during a support case.
public struct Change: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// An administrator (or the user, through self-service) resets `user`'s password to `password`;
        /// `by` says where, which decides the refresh tokens that die (`PasswordChangeSurface`).
        case resetPassword = "reset_password"
        /// `user` changes their own password to `password` (knowing the old one).
        case changePassword = "change_password"
        /// `Set-CASMailbox -ImapEnabled $false` / `$true` on `mailbox`.
        case disableIMAP = "disable_imap"
        case enableIMAP = "enable_imap"
        /// `Set-CASMailbox -PopEnabled $false` / `$true` on `mailbox`.
        case disablePOP = "disable_pop"
        case enablePOP = "enable_pop"
        /// `Set-CASMailbox -SmtpClientAuthenticationDisabled $true` / `$false` on `mailbox` (its own setting,
        /// which wins over the tenant's `Set-TransportConfig`).
        case disableSMTPAuth = "disable_smtp_auth"
        case enableSMTPAuth = "enable_smtp_auth"
        /// `Add-RecipientPermission -Identity mailbox -Trustee user -AccessRights SendAs`.
        case addSendAs = "add_send_as"
        /// `Remove-MailboxPermission`: `user` (or `app`) loses FullAccess to `mailbox`.
        case removeFullAccess = "remove_full_access"
        /// `app`'s client secrets expire now.
        case expireSecret = "expire_secret"
        /// `app` gets `secret` as its only secret.
        case rotateSecret = "rotate_secret"
        /// `app` loses its admin consent and every user consent.
        case withdrawConsent = "withdraw_consent"
        /// `user` must do MFA from now on.
        case requireMFA = "mfa_on"
        /// The browser's SSO session signs every account out.
        case signOut = "sign_out"
    }
    public var kind: Kind
    public var user: String?
    public var mailbox: String?
    public var app: String?
    public var password: String?
    public var secret: String?
    /// `reset_password` only: where the reset was made (default `entra_admin_center`).
    public var by: PasswordChangeSurface?

    public init(
        kind: Kind, user: String? = nil, mailbox: String? = nil, app: String? = nil, password: String? = nil,
        secret: String? = nil, by: PasswordChangeSurface? = nil
    ) {
        self.kind = kind
        self.user = user
        self.mailbox = mailbox
        self.app = app
        self.password = password
        self.secret = secret
        self.by = by
    }

    /// Where this change's password change happened, for the revocation rules; nil for other kinds.
    public var passwordSurface: PasswordChangeSurface? {
        switch kind {
        case .resetPassword: by ?? .entraAdminCenter
        case .changePassword: .user
        default: nil
        }
    }

    /// The keys each kind needs besides `kind`.
    public var requiredKeys: [String] {
        switch kind {
        case .resetPassword, .changePassword: ["user", "password"]
        case .disableIMAP, .enableIMAP, .disablePOP, .enablePOP, .disableSMTPAuth, .enableSMTPAuth: ["mailbox"]
        case .addSendAs: ["mailbox", "user"]
        case .removeFullAccess: ["mailbox"]
        case .expireSecret, .withdrawConsent: ["app"]
        case .rotateSecret: ["app", "secret"]
        case .requireMFA: ["user"]
        case .signOut: []
        }
    }
}

/// A message put into a mailbox folder during the flow.
public struct Delivery: Sendable, Equatable, Codable {
    public var mailbox: String
    public var folder: String
    /// The message: a file (absolute once loaded) or generated mail.
    public var message: MessageSource

    public init(mailbox: String, folder: String = "Inbox", message: MessageSource) {
        self.mailbox = mailbox
        self.folder = folder
        self.message = message
    }
}

/// A block of steps run `times` times, or every `every` seconds of virtual time for `duration`
/// (the clock advances by `every` after each round, so a 15-minute poll for 90 days is 8,640 rounds).
public struct Repeat: Sendable, Equatable, Codable {
    public var times: Int?
    public var every: Double?
    public var duration: Double?
    public var steps: [FlowStep]

    public init(times: Int? = nil, every: Double? = nil, duration: Double? = nil, steps: [FlowStep]) {
        self.times = times
        self.every = every
        self.duration = duration
        self.steps = steps
    }

    /// How many rounds the block runs.
    public var rounds: Int {
        if let times { return times }
        guard let every, let duration, every > 0 else { return 0 }
        return Int((duration / every).rounded(.down))
    }
}

/// What a step must produce.
public struct Expectation: Sendable, Equatable, Codable {
    /// The step succeeds (true) or fails (false).
    public var success: Bool?
    /// OAuth `error` (`invalid_grant`).
    public var error: String?
    /// AADSTS code in `error_codes` (700082).
    public var errorCode: Int?
    /// The HTTP status of the token service's last answer (`429`).
    public var status: Int?
    /// A line the server must send (exact, as on the wire without CRLF; IMAP tags written as `TAG`).
    public var line: String?
    /// A regular expression one line the server sent must match.
    public var pattern: String?
    /// The client's read timeout fires (no answer within the step's `read_timeout`).
    public var timeout: Bool?
    /// The server closes the connection.
    public var closed: Bool?

    public init(
        success: Bool? = nil, error: String? = nil, errorCode: Int? = nil, status: Int? = nil, line: String? = nil,
        pattern: String? = nil, timeout: Bool? = nil, closed: Bool? = nil
    ) {
        self.success = success
        self.error = error
        self.errorCode = errorCode
        self.status = status
        self.line = line
        self.pattern = pattern
        self.timeout = timeout
        self.closed = closed
    }

    /// True when the step is expected to fail in any way.
    public var expectsFailure: Bool {
        success == false || error != nil || errorCode != nil || timeout == true || closed == true
            || (status.map { $0 >= 400 } ?? false)
    }
}
