import ExomockLimits
import Foundation
import MicrosoftClouds
import ScenarioModel
import Synchronization

/// What a scope parameter asked for, after parsing: one resource and its permissions, plus the
/// OpenID Connect scopes.
public struct ScopeSet: Sendable, Equatable {
    /// The resource URI the permissions are built on, as the client wrote it (`https://outlook.office.com`).
    public var resource: String
    /// `aud` of tokens for this resource in this cloud.
    public var audience: String
    /// Short permission names (`IMAP.AccessAsUser.All`), or `[".default"]` before expansion.
    public var permissions: [String]
    /// `openid`, `profile`, `email`, `offline_access`, in request order.
    public var oidc: [String]

    public init(resource: String, audience: String, permissions: [String], oidc: [String]) {
        self.resource = resource
        self.audience = audience
        self.permissions = permissions
        self.oidc = oidc
    }

    /// The `scope` value of a token response: fully qualified permissions, then the OIDC scopes granted.
    public var responseScope: String {
        (permissions.map { "\(resource)/\($0)" } + oidc.filter { $0 != "offline_access" && $0 != "openid" }).joined(
            separator: " ")
    }
}

public struct AuthorizationCodeRecord: Sendable, Equatable {
    public var code: String
    public var clientID: String
    public var redirectURI: String
    public var upn: String
    public var tenantID: String
    public var scopes: ScopeSet
    public var nonce: String?
    public var codeChallenge: String?
    public var codeChallengeMethod: String?
    public var issuedAt: Date
    public var redeemed: Bool = false
}

public struct RefreshTokenRecord: Sendable, Equatable {
    public var token: String
    public var clientID: String
    public var upn: String
    public var tenantID: String
    public var cloud: CloudName
    public var scopes: ScopeSet
    /// When this token was issued.
    public var issuedAt: Date
    /// When the user signed in (the chain's first issue); max-age counts from here.
    public var authTime: Date
    public var lastUsed: Date
    /// The user's revocation count when this token was issued: a later "revoke sessions" raises the
    /// count and so revokes it, even at the same virtual instant (the clock need not move between them).
    public var revocationEpoch: Int = 0
}

public struct DeviceCodeRecord: Sendable, Equatable {
    public enum Status: Sendable, Equatable {
        case pending
        case approved(upn: String)
        case declined
        case redeemed
    }
    public var deviceCode: String
    public var userCode: String
    public var clientID: String
    public var tenantSegment: String
    public var scopes: ScopeSet
    public var issuedAt: Date
    public var expiresAt: Date
    public var lastPoll: Date?
    public var status: Status
}

/// An interactive sign-in waiting for the consent page's answer.
public struct PendingConsent: Sendable, Equatable {
    public var id: String
    public var upn: String
    public var parameters: [String: String]
    public var tenantSegment: String
}

/// Insertion-ordered dictionary that forgets its oldest entries past a capacity.
struct BoundedStore<Value: Sendable>: Sendable {
    let capacity: Int
    private(set) var values: [String: Value] = [:]
    private var order: [String] = []
    private var head = 0

    init(capacity: Int) { self.capacity = capacity }

    subscript(key: String) -> Value? {
        get { values[key] }
        set {
            if newValue != nil, values[key] == nil { order.append(key) }
            values[key] = newValue
            evict()
        }
    }

    var count: Int { values.count }

    mutating func removeAll(where predicate: (Value) -> Bool) {
        values = values.filter { !predicate($0.value) }
    }

    private mutating func evict() {
        while values.count > capacity, head < order.count {
            values[order[head]] = nil
            head += 1
        }
        if head > 1024, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}

/// The mutable identity state of one cloud's token service: codes, refresh tokens, device codes,
/// the browser (SSO) session, consents granted on the consent page, revocations and fault counters.
///
/// One instance per cloud (each cloud is its own Entra instance with its own host, so a browser's
/// session cookie, a refresh token or a code from one cloud means nothing to another). All access goes
/// through one `Mutex`; every store is bounded (`Limits.token*`).
public final class IdentityState: Sendable {
    public let cloud: CloudName
    private let state: Mutex<State>

    struct State: Sendable {
        var codes = BoundedStore<AuthorizationCodeRecord>(capacity: Limits.tokenOutstandingCodes)
        var refreshTokens = BoundedStore<RefreshTokenRecord>(capacity: Limits.tokenRefreshTokens)
        var deviceCodes = BoundedStore<DeviceCodeRecord>(capacity: Limits.tokenDeviceCodes)
        var userCodes: [String: String] = [:]
        var pendingConsents = BoundedStore<PendingConsent>(capacity: Limits.tokenDeviceCodes)
        var ssoSessions: [String] = []
        var consents: Set<String> = []
        /// Revoke-sessions and password events per user (Microsoft's revocation table, `PasswordRevocationRules`).
        var credentials = CredentialHistory()
        var requestCounter = 0
    }

    /// - Parameter signedIn: UPNs the browser session starts with (the scenario's `browser.signed_in`).
    public init(cloud: CloudName, signedIn: [String] = []) {
        self.cloud = cloud
        var s = State()
        s.ssoSessions = signedIn
        self.state = Mutex(s)
    }

    /// Next request number, from 1 (`token-N` in the journal).
    public func nextRequestNumber() -> Int {
        state.withLock { s in
            s.requestCounter += 1
            return s.requestCounter
        }
    }

    // MARK: SSO session

    /// UPNs signed in to the browser session, most recent last.
    public var ssoSessions: [String] { state.withLock { $0.ssoSessions } }

    public func setSSO(_ upns: [String]) { state.withLock { $0.ssoSessions = upns } }

    public func addSSO(_ upn: String) {
        state.withLock { s in
            s.ssoSessions.removeAll { $0.lowercased() == upn.lowercased() }
            s.ssoSessions.append(upn)
        }
    }

    public func clearSSO() { state.withLock { $0.ssoSessions = [] } }

    // MARK: Consent and revocation

    public func grantConsent(upn: String, clientID: String) {
        _ = state.withLock { $0.consents.insert("\(upn.lowercased())|\(clientID.lowercased())") }
    }

    public func hasConsent(upn: String, clientID: String) -> Bool {
        state.withLock { $0.consents.contains("\(upn.lowercased())|\(clientID.lowercased())") }
    }

    /// `withdraw_consent`: forgets every consent given to the app on the consent page or the device-login page.
    public func withdrawConsents(clientID: String) {
        let suffix = "|\(clientID.lowercased())"
        state.withLock { s in s.consents = s.consents.filter { !$0.hasSuffix(suffix) } }
    }

    /// Admin "revoke sessions": every refresh token of the user issued before `at` stops working
    /// (AADSTS50173), and the user's browser session ends.
    public func revokeSessions(upn: String, at: Date) {
        record(.revokeSessions, upn: upn, at: at)
    }

    /// A password change or reset (`change_password`, `reset_password`): the refresh tokens Microsoft's
    /// revocation table ends for `surface` stop working (AADSTS50173), and the user's browser session (a
    /// password-based cookie) ends.
    public func passwordChanged(upn: String, surface: PasswordChangeSurface, at: Date) {
        record(.password(surface), upn: upn, at: at)
    }

    private func record(_ event: CredentialEvent, upn: String, at: Date) {
        state.withLock { s in
            s.credentials.record(event, upn: upn, at: at)
            if PasswordRevocationRules.revokes(event, .passwordBasedCookie) {
                s.ssoSessions.removeAll { $0.lowercased() == upn.lowercased() }
            }
        }
    }

    /// How many revoking events the user has had (a refresh token records it when issued).
    public func revocationEpoch(upn: String) -> Int { state.withLock { $0.credentials.epoch(upn: upn) } }

    /// The instant of the user's latest revocation of any kind.
    public func tokensValidFrom(upn: String) -> Date? { state.withLock { $0.credentials.latestValidFrom(upn: upn) } }

    /// The revocation that ended `record` (issued to a confidential client or not), or nil when it lives.
    public func revocation(of record: RefreshTokenRecord, confidentialClient: Bool) -> CredentialHistory.Revocation? {
        state.withLock { s in
            s.credentials.revocation(
                upn: record.upn, credential: .refreshToken(confidentialClient: confidentialClient),
                issuedEpoch: record.revocationEpoch, authTime: record.authTime)
        }
    }

    // MARK: Codes

    public func storeCode(_ record: AuthorizationCodeRecord) { state.withLock { $0.codes[record.code] = record } }

    public enum CodeLookup: Sendable, Equatable {
        case unknown
        case alreadyRedeemed(AuthorizationCodeRecord)
        case found(AuthorizationCodeRecord)
    }

    /// The code's record without redeeming it (a fault's `user` match reads the code's user).
    public func code(_ code: String) -> AuthorizationCodeRecord? { state.withLock { $0.codes[code] } }

    /// Looks a code up and marks it redeemed in the same step, so two concurrent redemptions cannot both win.
    public func redeemCode(_ code: String) -> CodeLookup {
        state.withLock { s in
            guard var record = s.codes[code] else { return .unknown }
            if record.redeemed { return .alreadyRedeemed(record) }
            record.redeemed = true
            s.codes[code] = record
            return .found(record)
        }
    }

    // MARK: Refresh tokens

    public func storeRefreshToken(_ record: RefreshTokenRecord) {
        state.withLock { $0.refreshTokens[record.token] = record }
    }

    public func refreshToken(_ token: String) -> RefreshTokenRecord? { state.withLock { $0.refreshTokens[token] } }

    /// Marks a refresh token used now (its inactivity window restarts).
    public func touchRefreshToken(_ token: String, at: Date) {
        state.withLock { s in
            if var record = s.refreshTokens[token] {
                record.lastUsed = at
                s.refreshTokens[token] = record
            }
        }
    }

    public var refreshTokenCount: Int { state.withLock { $0.refreshTokens.count } }

    // MARK: Device codes

    public func storeDeviceCode(_ record: DeviceCodeRecord) {
        state.withLock { s in
            s.deviceCodes[record.deviceCode] = record
            s.userCodes[record.userCode.uppercased()] = record.deviceCode
            if s.userCodes.count > Limits.tokenDeviceCodes * 2 {
                s.userCodes = s.userCodes.filter { s.deviceCodes[$0.value] != nil }
            }
        }
    }

    public func deviceCode(_ deviceCode: String) -> DeviceCodeRecord? { state.withLock { $0.deviceCodes[deviceCode] } }

    public func deviceCode(userCode: String) -> DeviceCodeRecord? {
        state.withLock { s in s.userCodes[userCode.uppercased()].flatMap { s.deviceCodes[$0] } }
    }

    /// Records a poll and returns the record as it was before this poll.
    public func pollDeviceCode(_ deviceCode: String, at: Date) -> DeviceCodeRecord? {
        state.withLock { s in
            guard var record = s.deviceCodes[deviceCode] else { return nil }
            let before = record
            record.lastPoll = at
            if case .approved = record.status { record.status = .redeemed }
            s.deviceCodes[deviceCode] = record
            return before
        }
    }

    /// Approves (with the signed-in user) or declines a pending device code by its user code.
    /// Returns false when no pending code has that user code.
    @discardableResult
    public func decideDeviceCode(userCode: String, approvedBy upn: String?) -> Bool {
        state.withLock { s in
            guard let key = s.userCodes[userCode.uppercased()], var record = s.deviceCodes[key],
                record.status == .pending
            else {
                return false
            }
            record.status = upn.map { .approved(upn: $0) } ?? .declined
            s.deviceCodes[key] = record
            return true
        }
    }

    // MARK: Interactive flows

    public func storePendingConsent(_ pending: PendingConsent) {
        state.withLock { $0.pendingConsents[pending.id] = pending }
    }

    public func takePendingConsent(_ id: String) -> PendingConsent? {
        state.withLock { s in
            let value = s.pendingConsents[id]
            s.pendingConsents[id] = nil
            return value
        }
    }
}
