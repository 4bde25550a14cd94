import Determinism
import EntraTokens
import ExomockLimits
import Foundation
import Hummingbird
import Journal
import MicrosoftClouds
import ScenarioModel

/// The token service's admin routes (sessions, browser SSO, device-code decisions).
extension TokenService {

    /// Admin routes (plain HTTP on loopback, mounted by the runtime under its admin API):
    /// - `POST revoke-sessions` `{"user": upn}` or `user=upn`: revokes the user's refresh tokens and SSO.
    /// - `PUT sso` `users=a@x,b@y` (or JSON `{"users":[...]}`): the browser session's signed-in accounts.
    /// - `DELETE sso`: signs the browser session out.
    /// - `GET sso`: the signed-in accounts.
    /// - `POST device/approve` `user_code=..&user=upn`, `POST device/decline` `user_code=..`.
    var adminRoutes: RouteCollection<BasicRequestContext> {
        let group = RouteCollection(context: BasicRequestContext.self)
        group.post("revoke-sessions") { request, context in try await self.adminRevoke(request, context) }
        group.put("sso") { request, context in try await self.adminSetSSO(request, context) }
        group.post("sso") { request, context in try await self.adminSetSSO(request, context) }
        group.delete("sso") { _, _ in
            self.state.clearSSO()
            self.journal.record(
                cloud: self.cloud.name.rawValue, service: .token, event: .ssoCleared, detail: ["via": "admin"])
            return Self.adminJSON(.ok, ["users": .array([])])
        }
        group.get("sso") { _, _ in
            Self.adminJSON(.ok, ["users": .array(self.state.ssoSessions.map(CanonicalJSON.string))])
        }
        group.post("device/approve") { request, context in try await self.adminDevice(request, context, approve: true) }
        group.post("device/decline") { request, context in try await self.adminDevice(request, context, approve: false)
        }
        return group
    }

    // MARK: Admin

    func adminParameters(_ request: Request) async throws -> [String: String] {
        var request = request
        let buffer = try await request.collectBody(upTo: Limits.httpMaximumBodySize)
        let text = String(buffer: buffer)
        if text.hasPrefix("{"), let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        {
            var out: [String: String] = [:]
            for (k, v) in object {
                if let s = v as? String {
                    out[k] = s
                } else if let a = v as? [String] {
                    out[k] = a.joined(separator: ",")
                }
            }
            return out
        }
        var out = (try? FormParameters.parse(text).get()) ?? [:]
        for (k, v) in (try? queryParameters(request).get()) ?? [:] where out[k] == nil { out[k] = v }
        return out
    }

    func adminRevoke(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let p = try await adminParameters(request)
        guard let upn = p["user"], issuer.scenario.user(upn) != nil else {
            return Self.adminJSON(
                .badRequest,
                ["error": .string("unknown user '\(p["user"] ?? "")': send user=<a UPN from the scenario's users>")])
        }
        state.revokeSessions(upn: upn, at: issuer.clock.now())
        journal.record(
            cloud: cloud.name.rawValue, service: .token, event: .sessionsRevoked,
            detail: ["user": upn, "via": "admin"])
        return Self.adminJSON(.ok, ["revoked": .string(upn)])
    }

    func adminSetSSO(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let p = try await adminParameters(request)
        let users = (p["users"] ?? p["user"] ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
        for u in users where issuer.scenario.user(u) == nil {
            return Self.adminJSON(
                .badRequest,
                ["error": .string("unknown user '\(u)': list UPNs from the scenario's users, comma-separated")])
        }
        state.setSSO(users)
        journal.record(
            cloud: cloud.name.rawValue, service: .token, event: .ssoSet,
            detail: ["users": users.joined(separator: " "), "via": "admin"])
        return Self.adminJSON(.ok, ["users": .array(users.map(CanonicalJSON.string))])
    }

    func adminDevice(_ request: Request, _ context: BasicRequestContext, approve: Bool) async throws -> Response {
        let p = try await adminParameters(request)
        let userCode = p["user_code"] ?? ""
        if approve, p["user"] == nil {
            return Self.adminJSON(
                .badRequest, ["error": .string("send user=<UPN> with user_code to approve a device code")])
        }
        if let problem = issuer.decideDeviceCode(userCode: userCode, upn: approve ? p["user"] : nil, password: nil) {
            return Self.adminJSON(.badRequest, ["error": .string(problem)])
        }
        journal.record(
            cloud: cloud.name.rawValue, service: .token,
            event: approve ? .deviceCodeApproved : .deviceCodeDeclined,
            detail: ["user_code": userCode, "user": p["user"] ?? "", "via": "admin"])
        return Self.adminJSON(.ok, [approve ? "approved" : "declined": .string(userCode)])
    }
}
