import AdminAPI
import Determinism
import EntraTokenService
import EntraTokens
import ExomockLimits
import Foundation
import Hummingbird
import HummingbirdTLS
import IMAPServer
import Journal
import ListenerSupport
import Logging
import MailAuthentication
import MailStore
import MicrosoftClouds
import NIOCore
import NIOPosix
import NIOSSL
import POP3Server
import Prometheus
import SMTPServer
import ScenarioModel
import ServiceLifecycle
import TestAuthority

/// Everything built for a scenario before it runs.
struct Assembly: Sendable {
    let scenario: Scenario
    let options: ServeOptions
    let clock: VirtualClock
    let journal: Journal
    let ids: IdentifierSource
    let store: MailStore
    let outbox: Outbox
    let changes: ScenarioChanges
    let certificates: CertificateSet
    let mailListeners: [MailListener]
    let services: [any Service]
    let readiness: Readiness
    let httpNames: [String]
    let adminRoutes: [AdminRoute]
    /// The admin API's credential for this run (the ready file's `admin_token`).
    let adminToken: AdminToken

    static func make(scenario: Scenario, options: ServeOptions) async throws -> Assembly {
        let clock =
            scenario.clock.mode == .virtual
            ? VirtualClock(start: scenario.clock.start)
            : VirtualClock(start: scenario.clock.start, followingWallClockFrom: Date())
        let journal = Journal(clock: clock)
        let ids = IdentifierSource(seed: scenario.seed)
        let clouds = scenario.clouds.map(Cloud.named)
        let hostsMode = HostsMode(clouds: clouds)

        let certificates: CertificateSet
        do {
            certificates = try TestAuthority.loadOrCreate(
                directory: options.certificatesDirectory, clouds: scenario.clouds)
        } catch {
            throw ServeError.certificates(reason: "\(error)", directory: options.certificatesDirectory)
        }
        let store = try MailStore(scenario: scenario, clock: clock, ids: ids)
        let outbox = Outbox(clock: clock)
        // One live scenario for every cloud: a change is seen by every token service and authenticator.
        let live = LiveScenario(scenario, clock: clock)
        let identities = scenario.clouds.map { IdentityState(cloud: $0, signedIn: scenario.browserSignedIn) }
        let changes = ScenarioChanges(live: live, identities: identities, clock: clock, journal: journal)
        live.faults.observe { fired in FaultJournal.record(fired, in: journal) }
        // Every connection is a descriptor: lift the soft open-file limit so 10,000+ sessions fit.
        if let fds = FileDescriptorLimit.raiseToHardLimit(),
            let warning = FileDescriptorLimit.warning(soft: fds.soft, hard: fds.hard)
        {
            options.logger.warning("\(warning)")
        }
        let connectionIDs = ConnectionIDs()
        let group = MultiThreadedEventLoopGroup.singleton
        let registry = PrometheusCollectorRegistry()

        var listeners: [MailListener] = []
        var protocolServers: [any MailProtocolServer] = []
        var services: [any Service] = []
        var httpNames: [String] = []
        var adminContributors: [AdminAPI.RouteContributor] = [
            MailAdminRoutes.contributor(store: store, journal: journal),
            ChangeAdminRoutes.contributor(changes: changes),
            MailAdminRoutes.outboxContributor(outbox: outbox),
            FaultAdminRoutes.contributor(live: live, journal: journal),
        ]
        let readiness = Readiness()

        // Per cloud, before anything listens: its signing key, its Exchange login decision and its token
        // service. In `--hosts` mode a cloud's address also serves the clouds that share its names (HostsMode).
        var authenticators: [CloudName: ExchangeAuthenticator] = [:]
        var tokenServices: [CloudName: TokenService] = [:]
        for (cloud, identity) in zip(clouds, identities) {
            let key: CloudSigningKey
            do {
                key = try CloudSigningKey.loadOrCreate(directory: options.certificatesDirectory, cloud: cloud.name)
            } catch {
                throw ServeError.certificates(
                    reason: "the \(cloud.name.rawValue) signing key does not load (\(error))",
                    directory: options.certificatesDirectory)
            }
            let verifier = AccessTokenVerifier(cloud: cloud, key: key, clock: clock)
            authenticators[cloud.name] = ExchangeAuthenticator(cloud: cloud, live: live, verifier: verifier)
            tokenServices[cloud.name] = TokenService(
                cloud: cloud, live: live, key: key, state: identity, journal: journal, clock: clock, ids: ids)
        }
        // One count of IMAP sessions per mailbox across the clouds' servers (`exchange.imap_sessions_per_mailbox`).
        let imapSessions = IMAPSessionCounter(limit: scenario.exchange.imapSessionsPerMailbox)

        do {
            for cloud in clouds {
                let certificate = certificates.server(for: cloud.name)
                let tlsContext: NIOSSLContext
                do {
                    var configuration = try TLSContexts.serverConfiguration(
                        certificateChainPEM: certificate.chainPEM, privateKeyPEM: certificate.privateKeyPEM)
                    // A closing connection waits this long for the peer's close_notify (NIOSSL's 5 s would
                    // outlast the shutdown budget when a client holds its socket and sends nothing).
                    configuration.shutdownTimeout = .milliseconds(Int64(Limits.tlsCloseNotifyTimeoutSeconds * 1000))
                    tlsContext = try NIOSSLContext(configuration: configuration)
                } catch {
                    throw ServeError.certificates(
                        reason: "the \(cloud.name.rawValue) certificate does not load (\(error))",
                        directory: options.certificatesDirectory)
                }
                let serverTLS = ServerTLS(standard: tlsContext) { problem in
                    let faulty = try certificates.faultyServer(CertificateDefect(problem), for: cloud.name)
                    return try TLSContexts.server(
                        certificateChainPEM: faulty.chainPEM, privateKeyPEM: faulty.privateKeyPEM)
                }
                let handshakeTimeout = TimeAmount.nanoseconds(Int64(options.tlsHandshakeTimeoutSeconds * 1e9))
                let authenticator = authenticators[cloud.name]!
                let guests = options.hostsMode ? hostsMode.guests(of: cloud.name) : []
                let mailAuthenticator: any MailAuthenticating =
                    guests.isEmpty
                    ? authenticator
                    : CloudGroupAuthenticator(members: [authenticator] + guests.compactMap { authenticators[$0] })
                let imap = IMAPServer(
                    store: store, authenticator: mailAuthenticator, settings: scenario.exchange, sessions: imapSessions,
                    faults: MailFaults(board: live.faults, service: .imap, cloud: cloud.name))
                let pop3 = POP3Server(
                    store: store, authenticator: mailAuthenticator, settings: scenario.exchange,
                    faults: MailFaults(board: live.faults, service: .pop3, cloud: cloud.name))
                let smtp = SMTPServer(
                    authenticator: mailAuthenticator,
                    delivery: MailStoreDelivery(store: store, outbox: outbox, authenticator: mailAuthenticator),
                    settings: scenario.exchange,
                    faults: MailFaults(board: live.faults, service: .smtp, cloud: cloud.name))
                protocolServers += [imap, pop3, smtp]
                let host = options.hostsMode ? cloud.hostsModeAddress : "127.0.0.1"
                let plan: [(any MailProtocolServer, TLSMode, Int)] = [
                    (imap, .implicit, StandardPorts.imapImplicitTLS), (imap, .starttls, StandardPorts.imapSTARTTLS),
                    (pop3, .implicit, StandardPorts.pop3ImplicitTLS), (pop3, .starttls, StandardPorts.pop3STLS),
                    (smtp, .starttls, StandardPorts.smtpSubmission),
                ]
                for (server, mode, standardPort) in plan {
                    let port = options.hostsMode ? standardPort : 0
                    let what = "\(cloud.name.rawValue) \(server.service.rawValue) (\(mode.rawValue) TLS) listener"
                    do {
                        listeners.append(
                            try await MailListener.bind(
                                host: host, port: port, tlsMode: mode, cloud: cloud, tls: tlsContext, server: server,
                                journal: journal, clock: clock, ids: connectionIDs, group: group,
                                faults: NetworkFaults(board: live.faults, service: server.service, cloud: cloud.name),
                                certificates: serverTLS, tlsHandshakeTimeout: handshakeTimeout
                            )
                        )
                    } catch let error as IOError where error.errnoCode == EADDRINUSE {
                        throw ServeError.portInUse(what: what, host: host, port: port)
                    } catch let error as IOError {
                        throw ServeError.bindFailed(what: what, host: host, port: port, reason: error.description)
                    }
                }

                let tokenService = tokenServices[cloud.name]!
                let routers = ([cloud.name] + guests).map { name in
                    let router = Router()
                    tokenServices[name]!.addRoutes(to: router)
                    return (cloud: name, router: router)
                }
                adminContributors.append { adminRouter in
                    tokenService.addAdminRoutes(to: adminRouter.group("/\(cloud.name.rawValue)"))
                }
                let name = "\(cloud.name.rawValue) token service"
                httpNames.append(name)
                let httpsPort = options.hostsMode ? StandardPorts.https : 0
                let app = Application(
                    router: CloudTokenRouter(routers: routers, live: live),
                    server: .http1WithNetworkFaults(
                        .init(
                            additionalChannelHandlers: [DisconnectFaultHandler(), CloseAfterResponseHandler()],
                            idleTimeout: HTTPRequestGuard.headerReadTimeout),
                        tls: serverTLS, faults: NetworkFaults(board: live.faults, service: .token, cloud: cloud.name),
                        handshakeTimeout: handshakeTimeout
                    ) {
                        journal.record(
                            cloud: cloud.name.rawValue, service: .token, event: .connectionError,
                            detail: ["reason": NetworkTLS.handshakeTimeoutReason(handshakeTimeout)])
                    },
                    configuration: .init(address: .hostname(host, port: httpsPort), serverName: nil),
                    onServerRunning: { channel in
                        await readiness.started(name, port: channel.localAddress?.port ?? httpsPort)
                    },
                    eventLoopGroupProvider: .shared(group),
                    logger: options.logger
                )
                services.append(LabeledService(what: name, host: host, port: httpsPort, base: app))
            }
        } catch {
            for listener in listeners { await listener.close() }
            throw error
        }

        let adminToken = AdminToken.random()
        let admin = AdminAPI(
            scenario: live, clock: clock, journal: journal, registry: registry, contributors: adminContributors,
            token: adminToken)
        httpNames.append("admin API")
        let adminRouter = admin.makeRouter()
        let adminApp = Application(
            router: adminRouter,
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [CloseAfterResponseHandler()],
                    idleTimeout: HTTPRequestGuard.headerReadTimeout)),
            configuration: .init(address: .hostname("127.0.0.1", port: options.adminPort), serverName: nil),
            onServerRunning: { channel in
                await readiness.started("admin API", port: channel.localAddress?.port ?? options.adminPort)
            },
            eventLoopGroupProvider: .shared(group),
            logger: options.logger
        )
        services.append(LabeledService(what: "admin API", host: "127.0.0.1", port: options.adminPort, base: adminApp))
        services.append(MailListenersService(listeners: listeners, servers: protocolServers))
        await readiness.expect(httpNames.count)

        return Assembly(
            scenario: scenario, options: options, clock: clock, journal: journal, ids: ids, store: store,
            outbox: outbox,
            changes: changes,
            certificates: certificates, mailListeners: listeners, services: services, readiness: readiness,
            httpNames: httpNames,
            adminRoutes: adminRouter.routes.map { AdminRoute(method: $0.method.rawValue, path: $0.path.description) },
            adminToken: adminToken
        )
    }

    /// The ready document, once every HTTP server reported its port.
    func finish(httpPorts: [String: Int]) throws -> RunningScenario {
        var clouds: [ReadyDocument.CloudEndpoints] = []
        for name in scenario.clouds {
            let cloud = Cloud.named(name)
            let host = options.hostsMode ? cloud.hostsModeAddress : "127.0.0.1"
            let port = httpPorts["\(name.rawValue) token service"] ?? 0
            let authorityURL = options.hostsMode ? "https://\(cloud.authorityHost)" : "https://\(host):\(port)"
            let listeners = mailListeners.filter { $0.cloud.name == name }.map {
                ReadyDocument.Listener(
                    service: $0.service.rawValue, tls: $0.tlsMode.rawValue, host: $0.host, port: $0.port)
            }
            clouds.append(
                ReadyDocument.CloudEndpoints(
                    name: name.rawValue,
                    authorityURL: authorityURL,
                    authorityHost: cloud.authorityHost,
                    outlookHost: cloud.outlookHosts[0],
                    scopeResource: cloud.scopeResource,
                    listeners: listeners,
                    hostsLines: options.hostsMode
                        ? HostsMode(clouds: scenario.clouds.map(Cloud.named)).line(for: cloud).map { [$0] } ?? [] : nil,
                    smtpHost: cloud.smtpHost
                )
            )
        }
        let ready = ReadyDocument(
            caFile: URL(fileURLWithPath: certificates.caCertificatePath).standardizedFileURL.path,
            adminURL: "http://127.0.0.1:\(httpPorts["admin API"] ?? 0)",
            adminToken: adminToken.value,
            mode: options.hostsMode ? "hosts" : "loopback",
            scenario: scenario.name,
            seed: scenario.seed,
            pid: getpid(),
            clouds: clouds
        )
        return RunningScenario(
            scenario: scenario, ready: ready, clock: clock, journal: journal, store: store, outbox: outbox, ids: ids,
            changes: changes, adminRoutes: adminRoutes)
    }
}

extension CertificateDefect {
    /// The test authority's name for a `certificate` fault's problem.
    init(_ problem: Fault.CertificateProblem) {
        switch problem {
        case .expired: self = .expired
        case .wrongHost: self = .wrongHost
        }
    }
}
