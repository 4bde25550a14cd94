/// Where SMTP AUTH (client submission) is turned off for a mailbox, if anywhere.
public enum SMTPClientAuthentication: Sendable, Equatable {
    case enabled
    /// `Set-TransportConfig -SmtpClientAuthenticationDisabled $true`, and the mailbox does not override it.
    case disabledForTenant
    /// `Set-CASMailbox -SmtpClientAuthenticationDisabled $true`.
    case disabledForMailbox
}

extension Scenario {
    /// SMTP AUTH for `mailbox`: the mailbox's own setting when it has one, else its tenant's.
    public func smtpClientAuthentication(for mailbox: Mailbox) -> SMTPClientAuthentication {
        if let own = mailbox.smtpClientAuthenticationDisabled { return own ? .disabledForMailbox : .enabled }
        return tenant(forAddress: mailbox.address)?.smtpClientAuthenticationDisabled == true
            ? .disabledForTenant : .enabled
    }

    /// True when `trustee` (a UPN or an app's client id) has Send As on the mailbox `address`.
    public func hasSendAs(trustee: String, on address: String) -> Bool {
        let t = trustee.lowercased()
        return mailbox(address: address)?.sendAs.contains { $0.lowercased() == t } ?? false
    }
}
