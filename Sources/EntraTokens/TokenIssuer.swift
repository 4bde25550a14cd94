import Crypto
import Determinism
import ExomockLimits
import Foundation
import MicrosoftClouds
import ScenarioModel

/// What a scenario fault does to one request.
public enum FaultAction: Sendable, Equatable {
    case throttle(retryAfter: Int)
    case error(EntraError)
    case latency(seconds: Double)
    case disconnect
    /// A server error: HTTP `status` with Microsoft's JSON error body, `Retry-After` when given.
    case serverError(EntraError, status: Int, retryAfter: Int?)
    /// The real answer cut at half its length, then the connection closes.
    case truncatedBody
    /// Status 200 with a body that is not JSON.
    case malformedJSON
}

/// The token service's rules as values: tenant and client checks, scopes, every grant, device codes,
/// and the authorize decisions. No HTTP here; `EntraTokenService` turns requests into calls and results
/// into responses. Every id comes from `ids`, every instant from `clock`.
public struct TokenIssuer: Sendable {
    public let cloud: Cloud
    /// The served scenario, changes included (`POST /changes`).
    public let live: LiveScenario
    public let minter: TokenMinter
    public let state: IdentityState
    public let clock: VirtualClock
    public let ids: IdentifierSource

    /// Device-code polling interval, seconds (Microsoft: 5).
    public static let deviceCodeInterval = 5

    public init(
        cloud: Cloud, scenario: Scenario, key: CloudSigningKey, state: IdentityState, clock: VirtualClock,
        ids: IdentifierSource
    ) {
        self.init(cloud: cloud, live: LiveScenario(scenario), key: key, state: state, clock: clock, ids: ids)
    }

    public init(
        cloud: Cloud, live: LiveScenario, key: CloudSigningKey, state: IdentityState, clock: VirtualClock,
        ids: IdentifierSource
    ) {
        self.cloud = cloud
        self.live = live
        self.minter = TokenMinter(key: key)
        self.state = state
        self.clock = clock
        self.ids = ids
    }

    /// The scenario as it is now; read it once per decision that needs one consistent view.
    public var scenario: Scenario { live.current }

    var now: Date { clock.now() }
    var nowSeconds: Int { Int(now.timeIntervalSince1970.rounded(.down)) }

    // MARK: Faults

    /// The fault that applies to this request (`match` is compared with the grant type, or the endpoint
    /// name: `authorize`, `devicecode`), counted on the live fault board (`FaultBoard`).
    public func fault(matching name: String) -> FaultAction? {
        let fired = live.faults.fire(cloud: cloud.name, on: name) { fault in
            guard fault.service == .token, !fault.kind.isNetwork else { return false }
            if let c = fault.cloud, c != cloud.name { return false }
            if let m = fault.match, m != name,
                GrantType(parameter: m) == nil || GrantType(parameter: m) != GrantType(parameter: name)
            {
                return false
            }
            return true
        }
        guard let fault = fired?.fault else { return nil }
        return action(for: fault)
    }

    /// What `fault` does to the request it fired on.
    func action(for fault: Fault) -> FaultAction? {
        switch fault.kind {
        case .throttle: return .throttle(retryAfter: Int((fault.seconds ?? 60).rounded(.up)))
        case .aadsts: return .error(EntraError(entry: AADSTSCatalogue.code(fault.code ?? 0)))
        case .latency: return .latency(seconds: fault.seconds ?? 0)
        case .disconnect: return .disconnect
        case .httpStatus:
            let status = fault.status ?? 503
            let error = EntraError(status == 503 ? .transientError : .serverError)
            return .serverError(error, status: status, retryAfter: fault.retryAfter)
        case .truncatedBody: return .truncatedBody
        case .malformedJSON: return .malformedJSON
        // Mail and network kinds: validation keeps them off the token service's request faults.
        case .reply, .bye, .reset, .stall, .closeAfter, .bandwidth, .networkLatency, .slowClose, .tlsRefuse,
            .certificate:
            return nil
        }
    }
}
