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
        self.init(
            cloud: cloud, live: LiveScenario(scenario, clock: clock), key: key, state: state, clock: clock, ids: ids)
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
    /// name: `authorize`, `devicecode`; `user` with the grant's user, `client_id` with the request's),
    /// decided by the live fault board's one rule (`FaultBoard.fire`).
    public func fault(matching name: String, user: String? = nil, clientID: String? = nil) -> FaultAction? {
        let occurrence = FaultBoard.Occurrence(cloud: cloud.name, on: name, user: user, clientID: clientID)
        let fired = live.faults.fire(occurrence) { fault in
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

    /// The user a token request is for, as a fault's `user` matches it: the password grant's `username`, the
    /// refresh token's or the authorization code's user, the approved device code's user (nil otherwise).
    /// Reading it redeems nothing.
    public func faultUser(form: [String: String]) -> String? {
        switch GrantType(parameter: form["grant_type"] ?? "") {
        case .password: return form["username"]
        case .refreshToken: return form["refresh_token"].flatMap { state.refreshToken($0)?.upn }
        case .authorizationCode: return form["code"].flatMap { state.code($0)?.upn }
        case .deviceCode:
            guard case .approved(let upn) = form["device_code"].flatMap({ state.deviceCode($0)?.status }) else {
                return nil
            }
            return upn
        default: return nil
        }
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
