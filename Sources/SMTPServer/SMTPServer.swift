import ExomockLimits
import Foundation
import ListenerSupport
import MailAuthentication
import MicrosoftClouds
import NIOCore
import SMTPWire
import ScenarioModel

/// Exchange Online's SMTP submission service for one cloud: a STARTTLS listener (587) calls
/// `configure` for each connection (`MailListener.bind`).
///
/// Runtime construction, one per cloud, sharing the cloud's authenticator with IMAP and POP3:
/// `SMTPServer(authenticator: a, delivery: MailStoreDelivery(store: s, outbox: o, authenticator: a),
/// settings: scenario.exchange)`, then `MailListener.bind(... tlsMode: .starttls, server: smtp ...)`.
///
/// Threading: each connection runs on its channel's event loop; the token check and the in-memory
/// delivery run there too, synchronously, which keeps the STARTTLS fence trivially correct (no pipelined
/// byte is read between the `220 2.0.0` and the TLS handler).
public final class SMTPServer: MailProtocolServer {
    public var service: MailService { .smtp }

    let authenticator: any MailAuthenticating
    let delivery: any SMTPDelivering
    let settings: ExchangeSettings
    let idleCheckInterval: TimeAmount
    let maximumMessageSize: Int
    /// The scenario's `faults:` for SMTP in this cloud, applied per command.
    let faults: MailFaults
    let open = OpenChannels()

    /// - Parameters:
    ///   - maximumMessageSize: `DATA` limit (`Limits.smtpMaximumMessageSize`; tests cross smaller ones).
    public init(
        authenticator: any MailAuthenticating,
        delivery: any SMTPDelivering,
        settings: ExchangeSettings,
        idleCheckInterval: TimeAmount = .seconds(1),
        maximumMessageSize: Int = Limits.smtpMaximumMessageSize,
        faults: MailFaults = .none
    ) {
        self.authenticator = authenticator
        self.delivery = delivery
        self.settings = settings
        self.idleCheckInterval = idleCheckInterval
        self.maximumMessageSize = maximumMessageSize
        self.faults = faults
    }

    /// The banner host: the server name under the cloud's Outlook host (`MN2PR01CA0007.outlook.office365.com`).
    static func host(serverName: String, cloud: Cloud) -> String { "\(serverName).\(cloud.outlookHosts[0])" }

    public func configure(channel: any Channel, context: ConnectionContext) throws {
        let client = channel.remoteAddress?.ipAddress ?? "unknown"
        let configuration = SMTPSession.Configuration(
            serverName: settings.serverName, host: Self.host(serverName: settings.serverName, cloud: context.cloud),
            clientAddress: client, basicAuth: settings.basicAuth, offersSTARTTLS: context.tlsMode == .starttls)
        let driver = SMTPDriver(
            server: self, connection: context,
            session: SMTPSession(configuration: configuration, tlsActive: context.tlsMode == .implicit))
        let policy = MailConnectionPolicy(settings: settings, idleCheckInterval: idleCheckInterval, faults: faults)
        try channel.pipeline.syncOperations.addHandler(
            MailConnectionHandler(driver: driver, connection: context, policy: policy, registry: open))
    }

    /// Says `421` on every open session and closes it; refuses connections that arrive afterwards.
    public func beginShutdown() { open.shutDown() }

    /// Open sessions right now.
    public var openSessionCount: Int { open.count }
}
