import Determinism
import ExomockLimits
import Foundation
import IMAPWire
import ListenerSupport
import MailAuthentication
import MailStore
import MicrosoftClouds
import NIOCore
import ScenarioModel

/// Exchange Online's IMAP4 service for one cloud.
///
/// Runtime construction, one per cloud, bound on an implicit-TLS listener (993) and a STARTTLS one (143):
/// ```swift
/// let imap = IMAPServer(store: store, authenticator: cloudAuthenticator, settings: scenario.exchange)
/// let imaps = try await MailListener.bind(host: h, port: 993, tlsMode: .implicit, cloud: cloud, tls: tls,
///                                         server: imap, journal: journal, clock: clock, ids: ids, group: group)
/// ```
/// `beginShutdown()` sends `* BYE` to every open session and closes it. Each connection is a
/// `MailConnectionHandler` (idle limits on the virtual clock, faults, output as the client reads, the
/// STARTTLS fence) around an `IMAPDriver` (framer, session, folder watch).
public final class IMAPServer: MailProtocolServer {
    public let service: MailService = .imap
    public let store: MailStore
    public let authenticator: any MailAuthenticating
    public let settings: ExchangeSettings
    public let sessions: IMAPSessionCounter
    /// The scenario's `faults:` for IMAP in this cloud, applied per command.
    public let faults: MailFaults
    /// How often (real time) idle sessions are looked for.
    let idleCheckInterval: TimeAmount
    private let open = OpenChannels()

    /// - Parameter sessions: the per-mailbox session count to share with other IMAP servers of the same
    ///   scenario (nil: a new one with `settings.imapSessionsPerMailbox`).
    public init(
        store: MailStore, authenticator: any MailAuthenticating, settings: ExchangeSettings,
        sessions: IMAPSessionCounter? = nil, faults: MailFaults = .none, idleCheckInterval: TimeAmount = .seconds(1)
    ) {
        self.idleCheckInterval = idleCheckInterval
        self.faults = faults
        self.store = store
        self.authenticator = authenticator
        self.settings = settings
        self.sessions = sessions ?? IMAPSessionCounter(limit: settings.imapSessionsPerMailbox)
    }

    public func configure(channel: any Channel, context: ConnectionContext) throws {
        let throttle = ThrottlingAuthenticator(authenticator)
        let session = IMAPSession(
            store: store, authenticator: throttle, settings: settings, tlsMode: context.tlsMode, counter: sessions)
        let policy = MailConnectionPolicy(settings: settings, idleCheckInterval: idleCheckInterval, faults: faults)
        let driver = IMAPDriver(session: session, store: store, throttle: throttle)
        try channel.pipeline.syncOperations.addHandler(
            MailConnectionHandler(driver: driver, connection: context, policy: policy, registry: open))
    }

    /// Says `* BYE` on every open connection and closes it. Does not block.
    public func beginShutdown() { open.shutDown() }

    /// Live connections (for tests).
    public var openConnections: Int { open.count }
}
