import MailAuthentication
import MicrosoftClouds
import Synchronization

extension MailAccessDecision {
    /// A `throttle` fault's effect on a login, as Exchange throttles: the login succeeds on the wire, but
    /// no mailbox is connected (IMAP: `BAD User is authenticated but not connected.` on the next mailbox
    /// command; POP3 and SMTP answer it as a failed login). Unchanged when `throttled` is false or the
    /// login failed anyway.
    public func throttled(if throttled: Bool) -> MailAccessDecision {
        guard throttled, case .granted(let grant) = self else { return self }
        return .authenticatedNotConnected(
            .tooManySessions, detail: "throttle fault: \(grant.mailbox) is throttled (too many logins)")
    }
}

/// An authenticator that applies a `throttle` fault to the next login of one connection (IMAP, POP3 and SMTP
/// drivers log in through it). One per connection, used on its event loop.
public final class ThrottlingAuthenticator: MailAuthenticating {
    private let base: any MailAuthenticating
    private let state = Atomic<Bool>(false)

    public init(_ base: any MailAuthenticating) { self.base = base }

    /// The next login is throttled (set by the connection when a `throttle` fault fires).
    public var armed: Bool {
        get { state.load(ordering: .relaxed) }
        set { state.store(newValue, ordering: .relaxed) }
    }

    public func authenticate(_ credentials: XOAUTH2Credentials, service: MailService) -> MailAccessDecision {
        base.authenticate(credentials, service: service).throttled(if: state.exchange(false, ordering: .relaxed))
    }

    public func authenticateBasic(user: String, password: String, service: MailService) -> MailAccessDecision {
        base.authenticateBasic(user: user, password: password, service: service)
            .throttled(if: state.exchange(false, ordering: .relaxed))
    }

    public func maySend(as address: String, grant: MailGrant) -> Bool { base.maySend(as: address, grant: grant) }
}
