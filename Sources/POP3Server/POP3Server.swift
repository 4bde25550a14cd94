import ExomockLimits
import Foundation
import ListenerSupport
import MailAuthentication
import MailStore
import MicrosoftClouds
import NIOCore
import POP3Wire
import ScenarioModel

/// Exchange Online's POP3 service for one cloud: implicit TLS (995) and STLS (110) listeners call
/// `configure` for each connection (`MailListener.bind`).
///
/// Construction at runtime: one server per cloud, sharing the cloud's `MailStore` and authenticator
/// with IMAP: `POP3Server(store: mailStore, authenticator: cloudAuthenticator, settings: scenario.exchange)`,
/// then `MailListener.bind(... tlsMode: .implicit, server: pop3 ...)` and, for STLS, a second bind with
/// `.starttls` and the same server.
///
/// Each connection is a `MailConnectionHandler` (idle limits on the virtual clock, faults, output as the
/// client reads, the STLS fence) around a `POP3Driver` (the session and its effects).
public final class POP3Server: MailProtocolServer {
    public var service: MailService { .pop3 }

    let store: any MaildropProviding
    let authenticator: any MailAuthenticating
    let settings: ExchangeSettings
    let idleCheckInterval: TimeAmount
    /// The scenario's `faults:` for POP3 in this cloud, applied per command.
    let faults: MailFaults
    private let open = OpenChannels()

    /// - Parameters:
    ///   - store: the cloud's mail store (POP3's maildrop is each mailbox's Inbox).
    ///   - authenticator: the same token checks IMAP uses.
    ///   - settings: greeting server name, basic auth, idle timeout, sessions per maildrop, the one-line
    ///     `AUTH XOAUTH2` answer.
    ///   - idleCheckInterval: how often (real time) idle sessions are looked for.
    public init(
        store: any MaildropProviding,
        authenticator: any MailAuthenticating,
        settings: ExchangeSettings,
        idleCheckInterval: TimeAmount = .seconds(1),
        faults: MailFaults = .none
    ) {
        self.faults = faults
        self.store = store
        self.authenticator = authenticator
        self.settings = settings
        self.idleCheckInterval = idleCheckInterval
    }

    /// How many sessions may hold one maildrop (`exchange.pop3_maildrop`, `pop3_sessions_per_mailbox`).
    var sharing: MaildropSharing {
        switch settings.pop3Maildrop {
        case .exclusive: .exclusive
        case .shared: .shared(limit: settings.pop3SessionsPerMailbox)
        }
    }

    public func configure(channel: any Channel, context: ConnectionContext) throws {
        let configuration = POP3Session.Configuration(
            serverName: settings.serverName,
            basicAuth: settings.basicAuth,
            offersSTLS: context.tlsMode == .starttls,
            xoauth2InitialResponse: settings.pop3XOAUTH2InitialResponse
        )
        let driver = POP3Driver(
            server: self,
            connection: context,
            session: POP3Session(configuration: configuration, tlsActive: context.tlsMode == .implicit)
        )
        let policy = MailConnectionPolicy(settings: settings, idleCheckInterval: idleCheckInterval, faults: faults)
        try channel.pipeline.syncOperations.addHandler(
            MailConnectionHandler(driver: driver, connection: context, policy: policy, registry: open))
    }

    /// Closes every open POP3 session (no UPDATE: pending deletions are discarded, locks released) and
    /// refuses connections that arrive afterwards.
    public func beginShutdown() { open.shutDown() }

    /// Open sessions right now.
    public var openSessionCount: Int { open.count }

    /// The open connections' channels (tests measure what each holds for its client).
    public var openChannels: [any Channel] { open.channels }
}
