import ExomockLimits
import MailAuthentication
import NIOCore
import ScenarioModel

/// The parts of a mail connection's behaviour that a scenario sets, the same for IMAP, POP3 and SMTP.
///
/// Idle limits are measured in **virtual** time (`ConnectionContext.clock`): a test (or
/// `POST /clock/advance`) that moves the clock past a limit sees the session closed within one
/// `idleCheckInterval` of real time, or at once when its next command arrives; a CI run that never moves
/// the clock never loses a session to a slow machine.
public struct MailConnectionPolicy: Sendable {
    /// Idle time (virtual seconds) before the protocol's autologout; 0 turns it off.
    public var idleTimeout: Double
    /// Idle time (virtual seconds) before a connection that has not logged in is closed; 0 turns it off.
    public var preAuthenticationIdleTimeout: Double
    /// How often (real time) idle sessions are looked for.
    public var idleCheckInterval: TimeAmount
    /// Bytes of output produced per write (`Limits.mailOutputChunkBytes`).
    public var outputChunkBytes: Int
    /// The scenario's and the admin API's faults for this protocol in this cloud.
    public var faults: MailFaults

    public init(
        idleTimeout: Double,
        preAuthenticationIdleTimeout: Double,
        idleCheckInterval: TimeAmount = .seconds(1),
        outputChunkBytes: Int = Limits.mailOutputChunkBytes,
        faults: MailFaults = .none
    ) {
        self.idleTimeout = idleTimeout
        self.preAuthenticationIdleTimeout = preAuthenticationIdleTimeout
        self.idleCheckInterval = idleCheckInterval
        self.outputChunkBytes = max(1, outputChunkBytes)
        self.faults = faults
    }

    /// The policy a scenario's `exchange:` settings give, the same for IMAP, POP3 and SMTP.
    public init(settings: ExchangeSettings, idleCheckInterval: TimeAmount, faults: MailFaults) {
        self.init(
            idleTimeout: settings.idleTimeout, preAuthenticationIdleTimeout: settings.preAuthIdleTimeout,
            idleCheckInterval: idleCheckInterval, faults: faults)
    }

    /// The idle limit in force: the pre-authentication one until a login succeeds (the smaller of the
    /// two when both are set), 0 when none applies.
    func idleLimit(authenticated: Bool) -> (seconds: Double, preAuthentication: Bool) {
        guard !authenticated, preAuthenticationIdleTimeout > 0 else { return (idleTimeout, false) }
        if idleTimeout > 0, idleTimeout <= preAuthenticationIdleTimeout { return (idleTimeout, false) }
        return (preAuthenticationIdleTimeout, true)
    }
}
