import MicrosoftClouds
import NIOCore
import NIOSSL
import ScenarioModel
import Synchronization

/// What a network fault does to one connection: an effect below TLS, or a TLS fault.
public enum NetworkFault: Sendable, Equatable {
    /// Reset, stall, close after N bytes, bandwidth, latency, slow close (`NetworkFaultHandler`).
    case wire(NetworkEffect)
    /// The TLS handshake fails: a fatal `handshake_failure` alert, then close (`TLSRefuseHandler`).
    case tlsRefuse
    /// TLS with a certificate from the test CA that is expired, or for another host name.
    case certificate(Fault.CertificateProblem)

    /// The network fault a scenario fault describes; nil for kinds that are not network faults.
    public init?(_ fault: Fault) {
        switch fault.kind {
        case .reset: self = .wire(.reset(afterBytes: fault.bytes))
        case .stall: self = .wire(.stall(afterBytes: fault.bytes))
        case .closeAfter: self = .wire(.closeAfter(bytes: fault.bytes ?? 0))
        case .bandwidth: self = .wire(.bandwidth(bytesPerSecond: fault.bytesPerSecond ?? 1))
        case .networkLatency: self = .wire(.latency(seconds: fault.seconds ?? 0))
        case .slowClose: self = .wire(.slowClose(seconds: fault.seconds ?? 0))
        case .tlsRefuse: self = .tlsRefuse
        case .certificate: self = .certificate(fault.certificate ?? .expired)
        case .throttle, .latency, .disconnect, .aadsts, .httpStatus, .truncatedBody, .malformedJSON, .reply, .bye:
            return nil
        }
    }
}

/// The live network faults (`FaultBoard`) of one service in one cloud: decided once per connection, at
/// accept, by the board's one counting rule (`after`, `count`, window, probability), so a fault added over
/// the admin API applies to the next connection. Each firing is journaled by the board's observer as
/// `fault.fired`, `on` naming the connection.
public final class NetworkFaults: Sendable {
    let board: FaultBoard?
    let service: Fault.Service
    let cloud: CloudName?

    /// No network faults.
    public static let none = NetworkFaults(board: nil, service: .imap, cloud: nil)

    init(board: FaultBoard?, service: Fault.Service, cloud: CloudName?) {
        self.board = board
        self.service = service
        self.cloud = cloud
    }

    /// The network faults on `board` for `service` in `cloud`.
    public convenience init(board: FaultBoard, service: Fault.Service, cloud: CloudName?) {
        self.init(board: board as FaultBoard?, service: service, cloud: cloud)
    }

    /// The network faults on `board` for the mail service `service` in `cloud`.
    public convenience init(board: FaultBoard, service: MailService, cloud: CloudName?) {
        let faultService: Fault.Service =
            switch service {
            case .imap: .imap
            case .pop3: .pop3
            case .smtp: .smtp
            }
        self.init(board: board as FaultBoard?, service: faultService, cloud: cloud)
    }

    /// Decides the fault for a connection just accepted (named `connection` in the journal), counting it.
    public func forNewConnection(named connection: String) -> NetworkFault? {
        guard let board else { return nil }
        let service = self.service
        let cloud = self.cloud
        let fired = board.fire(cloud: cloud, on: connection) { fault in
            guard fault.kind.isNetwork, fault.service == service else { return false }
            if let c = fault.cloud, let cloud, c != cloud { return false }
            return true
        }
        return fired.flatMap { NetworkFault($0.fault) }
    }
}

/// One cloud's TLS contexts: its real certificate's, and, made on first use, those a `certificate`
/// fault presents (a leaf from the same test CA that is expired, or valid for another host name).
public final class ServerTLS: Sendable {
    public let standard: NIOSSLContext
    let mint: (@Sendable (Fault.CertificateProblem) throws -> NIOSSLContext)?
    let minted = Mutex<[Fault.CertificateProblem: NIOSSLContext]>([:])

    /// `mint` makes the context for a certificate problem (nil: certificate faults present `standard`).
    public init(
        standard: NIOSSLContext, mint: (@Sendable (Fault.CertificateProblem) throws -> NIOSSLContext)? = nil
    ) {
        self.standard = standard
        self.mint = mint
    }

    /// The context to present for `problem` (nil: the real certificate).
    public func context(for problem: Fault.CertificateProblem?) throws -> NIOSSLContext {
        guard let problem, let mint else { return standard }
        if let made = minted.withLock({ $0[problem] }) { return made }
        let made = try mint(problem)
        return minted.withLock { minted in
            if let other = minted[problem] { return other }
            minted[problem] = made
            return made
        }
    }
}

/// How one connection does TLS: with this context, or by refusing the handshake.
public enum ConnectionTLS: Sendable {
    case context(NIOSSLContext)
    case refuse

    /// For a connection under `fault` (nil: none) on a listener with `tls`.
    public init(fault: NetworkFault?, tls: ServerTLS) throws {
        switch fault {
        case .tlsRefuse: self = .refuse
        case .certificate(let problem): self = .context(try tls.context(for: problem))
        case .wire, nil: self = .context(tls.standard)
        }
    }
}
