import Foundation
import ScenarioModel

/// An event that can end a user's refresh tokens and browser sessions.
public enum CredentialEvent: Sendable, Equatable {
    /// The password changed (`change_password`, `reset_password`), at one of the surfaces Microsoft's table lists.
    case password(PasswordChangeSurface)
    /// "Revoke sessions" (`Revoke-MgUserSignInSession`, admin or user): every token of every kind.
    case revokeSessions
}

/// A column of Microsoft's refresh-token revocation table: what kind of credential a session holds.
public enum SessionCredential: String, Sendable, Equatable, CaseIterable {
    /// The browser's sign-in cookie, from a sign-in with a password.
    case passwordBasedCookie
    /// A refresh token issued to a public client (device code, a public or SPA app's code) after a
    /// sign-in with a password.
    case passwordBasedToken
    /// The browser's cookie from a sign-in without a password (Windows Hello, FIDO2).
    case nonPasswordBasedCookie
    /// A public client's refresh token from a sign-in without a password.
    case nonPasswordBasedToken
    /// A refresh token issued to a confidential client (one that authenticated with a secret or a certificate).
    case confidentialClientToken

    /// The column of a refresh token. Every exomock sign-in is password-based (the sign-in page, the
    /// password grant and the device-login page all take the password), so a public client's token is
    /// always `passwordBasedToken`.
    public static func refreshToken(confidentialClient: Bool) -> SessionCredential {
        confidentialClient ? .confidentialClientToken : .passwordBasedToken
    }
}

/// Microsoft's "Token revocation" table (learn.microsoft.com/entra/identity-platform/refresh-tokens; the
/// revision with one row per admin portal, as mirrored at docs.azure.cn/en-us/entra/identity-platform/refresh-tokens):
///
/// | Change | Password cookie | Password token | Non-password cookie | Non-password token | Confidential client token |
/// |---|---|---|---|---|---|
/// | Password changed by user, user does SSPR, admin resets in the Azure portal | Revoked | Revoked | Stays alive | Stays alive | Stays alive |
/// | Admin resets in the Entra admin center or the M365 admin center | Revoked | Revoked | Stays alive | Revoked | Revoked |
/// | Revoke sessions (user or admin) | Revoked | Revoked | Revoked | Revoked | Revoked |
public enum PasswordRevocationRules {
    /// Whether `event` ends a session holding `credential`.
    public static func revokes(_ event: CredentialEvent, _ credential: SessionCredential) -> Bool {
        switch event {
        case .revokeSessions:
            return true
        case .password(let surface):
            switch credential {
            case .passwordBasedCookie, .passwordBasedToken: return true
            case .nonPasswordBasedCookie: return false
            case .nonPasswordBasedToken, .confidentialClientToken:
                return surface == .entraAdminCenter || surface == .m365AdminCenter
            }
        }
    }
}

/// Per user, the credential events that revoke each kind of session: only the latest matters (a token
/// is revoked when any later event revokes its kind, and the latest such event is the latest of all), so
/// the history holds one entry per user and kind however many events happen.
public struct CredentialHistory: Sendable, Equatable {
    /// One revoking event: its sequence number for the user and its instant (`TokensValidFrom`).
    public struct Revocation: Sendable, Equatable {
        public var epoch: Int
        public var validFrom: Date

        public init(epoch: Int, validFrom: Date) {
            self.epoch = epoch
            self.validFrom = validFrom
        }
    }

    private var epochs: [String: Int] = [:]
    private var latest: [String: [SessionCredential: Revocation]] = [:]

    public init() {}

    /// How many credential events the user has had; a refresh token records it when issued.
    public func epoch(upn: String) -> Int { epochs[upn.lowercased()] ?? 0 }

    /// Records `event` for the user at `at`.
    public mutating func record(_ event: CredentialEvent, upn: String, at: Date) {
        let key = upn.lowercased()
        let epoch = (epochs[key] ?? 0) + 1
        epochs[key] = epoch
        for credential in SessionCredential.allCases
        where PasswordRevocationRules.revokes(event, credential) {
            latest[key, default: [:]][credential] = Revocation(epoch: epoch, validFrom: at)
        }
    }

    /// The instant of the user's latest revoking event of any kind (`TokensValidFrom`), if any.
    public func latestValidFrom(upn: String) -> Date? {
        latest[upn.lowercased()]?.values.map(\.validFrom).max()
    }

    /// The revocation that ends a session of kind `credential`, issued at epoch `issuedEpoch` to a sign-in
    /// at `authTime`, or nil when it lives: a later event (a higher epoch, even at the same virtual instant)
    /// or one after the sign-in revoked its kind.
    public func revocation(
        upn: String, credential: SessionCredential, issuedEpoch: Int, authTime: Date
    ) -> Revocation? {
        guard let last = latest[upn.lowercased()]?[credential] else { return nil }
        return last.epoch > issuedEpoch || authTime < last.validFrom ? last : nil
    }
}
