import Determinism
import Foundation
import MicrosoftClouds
import ScenarioModel

/// The device code flow: `POST /devicecode` and `grant_type=urn:ietf:params:oauth:grant-type:device_code`.
extension TokenIssuer {
    // MARK: Device code

    /// `POST /devicecode`: the device code response, in Microsoft's order.
    public func startDeviceCode(form: [String: String], tenantSegment: String) -> Result<CanonicalJSON, EntraError> {
        let tenant: TenantSelection
        switch resolveTenant(tenantSegment, clientID: form["client_id"]) {
        case .success(let t): tenant = t
        case .failure(let e): return .failure(e)
        }
        let app: App
        switch resolveApp(clientID: form["client_id"], tenant: tenant) {
        case .success(let a): app = a
        case .failure(let e): return .failure(e)
        }
        let scopes: ScopeSet
        switch parseScopes(form["scope"], tenant: tenant) {
        case .success(let s): scopes = s
        case .failure(let e): return .failure(e)
        }
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        let userCode = String(ids.bytes("user-code", count: 9).map { alphabet[Int($0) % alphabet.count] })
        let deviceCode = opaque("device-code", prefix: "DAQABAAEAAAD")
        let lifetime = Int(scenario.lifetimes.deviceCode)
        state.storeDeviceCode(
            DeviceCodeRecord(
                deviceCode: deviceCode, userCode: userCode, clientID: app.clientID, tenantSegment: tenantSegment,
                scopes: scopes,
                issuedAt: now, expiresAt: now.addingTimeInterval(Double(lifetime)), lastPoll: nil, status: .pending))
        var f = OrderedFields()
        f.add("user_code", userCode)
        f.add("device_code", deviceCode)
        f.add("verification_uri", cloud.deviceLoginURL)
        f.add("expires_in", lifetime)
        f.add("interval", Self.deviceCodeInterval)
        f.add(
            "message",
            "To sign in, use a web browser to open the page \(cloud.deviceLoginURL) and enter the code \(userCode) to authenticate."
        )
        return .success(f.json)
    }

    func pollDeviceCode(form: [String: String], app: App) -> Result<TokenGrant, EntraError> {
        guard let deviceCode = form["device_code"], !deviceCode.isEmpty else {
            return .failure(EntraError(.missingParameter, ["parameter": "device_code"]))
        }
        guard let record = state.pollDeviceCode(deviceCode, at: now),
            record.clientID.lowercased() == app.clientID.lowercased()
        else {
            return .failure(EntraError(.deviceCodeUnknown))
        }
        if now >= record.expiresAt { return .failure(EntraError(.deviceExpired)) }
        switch record.status {
        case .redeemed: return .failure(EntraError(.codeRedeemed))
        case .declined: return .failure(EntraError(.deviceDeclined))
        case .pending:
            if let last = record.lastPoll, now.timeIntervalSince(last) < Double(Self.deviceCodeInterval) {
                return .failure(EntraError(.deviceSlowDown))
            }
            return .failure(EntraError(.devicePending))
        case .approved(let upn):
            guard let user = scenario.user(upn) else { return .failure(EntraError(.deviceCodeUnknown)) }
            let tenant: TenantSelection = (try? resolveTenant(record.tenantSegment).get()) ?? .multi("organizations")
            if let e = checkUser(user, tenant: tenant, app: app) { return .failure(e) }
            switch grantDelegated(record.scopes, app: app, user: user) {
            case .failure(let e): return .failure(e)
            case .success(let granted):
                return .success(
                    issueDelegated(app: app, user: user, scopes: granted, nonce: nil, authTime: now, amr: amr(user)))
            }
        }
    }
}
