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

    /// An admin body's parameters: a JSON object whose values are strings or lists of strings (joined
    /// with `,`), or a form; query parameters fill in names the body lacks. A body that is neither (JSON
    /// that does not parse, a duplicate key, a value of another type, a bad form) is a problem with a fix,
    /// never an empty set of parameters: an empty `users` would otherwise sign everyone out.
    func adminParameters(_ request: Request, keys: [String]) async throws -> Result<
        [String: String], AdminBodyProblem
    > {
        var request = request
        let buffer = try await request.collectBody(upTo: Limits.httpMaximumBodySize)
        let text = String(buffer: buffer)
        var out: [String: String] = [:]
        if text.drop(while: \.isWhitespace).hasPrefix("{") {
            let data = Data(text.utf8)
            if let problem = StrictJSON.problem(in: data, keys: keys) {
                return .failure(AdminBodyProblem(problem.message, problem.fix))
            }
            guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                return .failure(AdminBodyProblem("the body must be a JSON object", AdminBodyProblem.example))
            }
            for (k, v) in object {
                if let s = v as? String {
                    out[k] = s
                } else if let a = v as? [Any], let strings = a as? [String] {
                    out[k] = strings.joined(separator: ",")
                } else {
                    return .failure(
                        AdminBodyProblem(
                            "'\(QuotedInput.shown(k))' must be a string or a list of strings", AdminBodyProblem.example)
                    )
                }
            }
        } else {
            switch FormParameters.parse(text) {
            case .success(let form): out = form
            case .failure(.tooLong(let name)):
                return .failure(
                    AdminBodyProblem(
                        "the value of '\(QuotedInput.shown(name))' is too long",
                        "Send values of at most \(Limits.tokenParameterMaximumLength) bytes."))
            }
        }
        switch queryParameters(request) {
        case .success(let query):
            for (k, v) in query where out[k] == nil { out[k] = v }
        case .failure(.tooLong(let name)):
            return .failure(
                AdminBodyProblem(
                    "the value of '\(QuotedInput.shown(name))' is too long",
                    "Send values of at most \(Limits.tokenParameterMaximumLength) bytes."))
        }
        // A form or query name the route does not read is refused, as an unknown JSON key is: a misspelt
        // `users` must not turn into "no users".
        if let unknown = out.keys.sorted().first(where: { !keys.contains($0) }) {
            return .failure(
                AdminBodyProblem(
                    "unknown parameter '\(QuotedInput.shown(unknown))'",
                    "Send only \(keys.map { "'\($0)'" }.joined(separator: ", "))."))
        }
        return .success(out)
    }

    func adminRevoke(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let p: [String: String]
        switch try await adminParameters(request, keys: ["user"]) {
        case .success(let parameters): p = parameters
        case .failure(let problem): return problem.response
        }
        guard let upn = p["user"], issuer.scenario.user(upn) != nil else {
            return AdminBodyProblem(
                "unknown user '\(QuotedInput.shown(p["user"] ?? ""))'",
                "Send user=<a UPN from the scenario's users>, e.g. user=a@x."
            ).response
        }
        state.revokeSessions(upn: upn, at: issuer.clock.now())
        journal.record(
            cloud: cloud.name.rawValue, service: .token, event: .sessionsRevoked,
            detail: ["user": upn, "via": "admin"])
        return Self.adminJSON(.ok, ["revoked": .string(upn)])
    }

    func adminSetSSO(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let p: [String: String]
        switch try await adminParameters(request, keys: ["users", "user"]) {
        case .success(let parameters): p = parameters
        case .failure(let problem): return problem.response
        }
        guard let listed = p["users"] ?? p["user"] else {
            return AdminBodyProblem(
                "no `users`: the signed-in accounts were left as they are",
                "Send users=a@x,b@y or {\"users\": [\"a@x\"]}; an empty list (or DELETE) signs everyone out."
            ).response
        }
        let users = listed.split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
        for u in users where issuer.scenario.user(u) == nil {
            return AdminBodyProblem(
                "unknown user '\(QuotedInput.shown(u))'",
                "List UPNs from the scenario's users, comma-separated: users=a@x,b@y."
            ).response
        }
        state.setSSO(users)
        journal.record(
            cloud: cloud.name.rawValue, service: .token, event: .ssoSet,
            detail: ["users": users.joined(separator: " "), "via": "admin"])
        return Self.adminJSON(.ok, ["users": .array(users.map(CanonicalJSON.string))])
    }

    func adminDevice(_ request: Request, _ context: BasicRequestContext, approve: Bool) async throws -> Response {
        let p: [String: String]
        switch try await adminParameters(request, keys: ["user_code", "user"]) {
        case .success(let parameters): p = parameters
        case .failure(let problem): return problem.response
        }
        let userCode = p["user_code"] ?? ""
        if approve, p["user"] == nil {
            return AdminBodyProblem(
                "no `user`: approving a device code needs the user who approves it",
                "Send user=<a UPN from the scenario's users> with user_code=<the code>."
            ).response
        }
        if let problem = issuer.decideDeviceCode(userCode: userCode, upn: approve ? p["user"] : nil, password: nil) {
            return AdminBodyProblem(problem, AdminBodyProblem.deviceFix).response
        }
        journal.record(
            cloud: cloud.name.rawValue, service: .token,
            event: approve ? .deviceCodeApproved : .deviceCodeDeclined,
            detail: ["user_code": userCode, "user": p["user"] ?? "", "via": "admin"])
        return Self.adminJSON(.ok, [approve ? "approved" : "declined": .string(userCode)])
    }
}

/// Why an admin body could not be read, as a `400` with `error` and `fix`.
struct AdminBodyProblem: Error, Equatable {
    var message: String
    var fix: String

    init(_ message: String, _ fix: String) {
        self.message = message
        self.fix = fix
    }

    static let deviceFix =
        "Send the user_code of a pending device-code request (the devicecode endpoint's `user_code`, before it "
        + "expires) and, to approve, user=<a UPN of a tenant in this cloud>."

    static let example = #"Send a JSON object of strings such as {"users": ["a@contoso.onmicrosoft.us"]}, or a form."#

    var response: Response { TokenService.adminJSON(.badRequest, ["error": .string(message), "fix": .string(fix)]) }
}
