import MailAuthentication

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
