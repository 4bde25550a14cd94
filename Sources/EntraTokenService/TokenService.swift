import Determinism
import EntraTokens
import ExomockLimits
import Foundation
import Hummingbird
import Journal
import Logging
import MicrosoftClouds
import ScenarioModel

/// One cloud's Entra ID token service on Hummingbird 2: authorize (with the login pages), token (v2 and
/// v1), devicecode, logout, discovery, keys and instance discovery, at Microsoft's paths.
///
/// The rules live in `EntraTokens.TokenIssuer`; this type turns HTTP requests into its calls and its
/// results into Microsoft's responses (canonical JSON, Microsoft's headers), consults the scenario's
/// token faults, and writes every request and decision to the journal.
public final class TokenService: Sendable {
    public let cloud: Cloud
    public let issuer: TokenIssuer
    public let journal: Journal
    let ids: IdentifierSource
    let key: CloudSigningKey
    /// Scheme written into discovery documents when the request does not say (the runtime serves HTTPS).
    let defaultScheme: String

    public convenience init(
        cloud: Cloud, scenario: Scenario, key: CloudSigningKey, state: IdentityState, journal: Journal, clock: VirtualClock,
        ids: IdentifierSource, scheme: String = "https"
    ) {
        self.init(
            cloud: cloud, live: LiveScenario(scenario), key: key, state: state, journal: journal, clock: clock, ids: ids,
            scheme: scheme)
    }

    /// A token service reading the served scenario from `live`, so changes apply to the next request.
    public init(
        cloud: Cloud, live: LiveScenario, key: CloudSigningKey, state: IdentityState, journal: Journal, clock: VirtualClock,
        ids: IdentifierSource, scheme: String = "https"
    ) {
        self.cloud = cloud
        self.issuer = TokenIssuer(cloud: cloud, live: live, key: key, state: state, clock: clock, ids: ids)
        self.journal = journal
        self.ids = ids
        self.key = key
        self.defaultScheme = scheme
    }

    var state: IdentityState { issuer.state }

    // MARK: Routes

    public func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/:tenant/oauth2/v2.0/authorize") { request, context in try await self.authorizeGET(request, context) }
        router.post("/:tenant/oauth2/v2.0/authorize") { request, context in try await self.authorizePOST(request, context) }
        router.get("/:tenant/oauth2/authorize") { request, context in try await self.authorizeGET(request, context) }
        router.post("/:tenant/oauth2/v2.0/token") { request, context in try await self.token(request, context, version: .v2) }
        router.post("/:tenant/oauth2/token") { request, context in try await self.token(request, context, version: .v1) }
        router.post("/:tenant/oauth2/v2.0/devicecode") { request, context in try await self.deviceCode(request, context) }
        router.post("/:tenant/oauth2/devicecode") { request, context in try await self.deviceCode(request, context) }
        router.get("/:tenant/oauth2/deviceauth") { request, context in try await self.deviceLoginGET(request, context) }
        router.post("/:tenant/oauth2/deviceauth") { request, context in try await self.deviceLoginPOST(request, context) }
        router.get("/:tenant/oauth2/v2.0/logout") { request, context in self.logout(request, context) }
        router.post("/:tenant/oauth2/v2.0/logout") { request, context in self.logout(request, context) }
        router.get("/:tenant/oauth2/logout") { request, context in self.logout(request, context) }
        router.get("/:tenant/v2.0/.well-known/openid-configuration") { request, context in self.openIDConfiguration(request, context, v2: true) }
        router.get("/:tenant/.well-known/openid-configuration") { request, context in self.openIDConfiguration(request, context, v2: false) }
        router.get("/:tenant/discovery/v2.0/keys") { request, context in self.keys(request, context) }
        router.get("/:tenant/discovery/keys") { request, context in self.keys(request, context) }
        router.get("/:tenant/discovery/instance") { request, context in self.instanceDiscovery(request, context) }
        router.get("/:tenant/userrealm/:user") { request, context in self.userRealm(request, context) }
    }

    /// Admin routes (plain HTTP on loopback, mounted by the runtime under its admin API):
    /// - `POST revoke-sessions` `{"user": upn}` or `user=upn`: revokes the user's refresh tokens and SSO.
    /// - `PUT sso` `users=a@x,b@y` (or JSON `{"users":[...]}`): the browser session's signed-in accounts.
    /// - `DELETE sso`: signs the browser session out.
    /// - `GET sso`: the signed-in accounts.
    /// - `POST device/approve` `user_code=..&user=upn`, `POST device/decline` `user_code=..`.
    public func addAdminRoutes(to group: RouterGroup<BasicRequestContext>) {
        group.post("revoke-sessions") { request, context in try await self.adminRevoke(request, context) }
        group.put("sso") { request, context in try await self.adminSetSSO(request, context) }
        group.post("sso") { request, context in try await self.adminSetSSO(request, context) }
        group.delete("sso") { _, _ in
            self.state.clearSSO()
            self.journal.record(cloud: self.cloud.name.rawValue, service: "token", event: "sso.cleared", detail: ["via": "admin"])
            return Self.adminJSON(.ok, ["users": .array([])])
        }
        group.get("sso") { _, _ in Self.adminJSON(.ok, ["users": .array(self.state.ssoSessions.map(CanonicalJSON.string))]) }
        group.post("device/approve") { request, context in try await self.adminDevice(request, context, approve: true) }
        group.post("device/decline") { request, context in try await self.adminDevice(request, context, approve: false) }
    }

    // MARK: Helpers

    func connection() -> String { "token-\(state.nextRequestNumber())" }

    func record(_ connection: String, _ event: String, _ detail: [String: String]) {
        journal.record(cloud: cloud.name.rawValue, service: "token", connection: connection, event: event, detail: detail)
    }

    func baseURL(_ request: Request) -> String {
        let host = request.head.authority ?? cloud.authorityHost
        let scheme = request.uri.scheme?.rawValue ?? defaultScheme
        return "\(scheme)://\(host)"
    }

    func tenantSegment(_ context: BasicRequestContext) -> String { context.parameters.get("tenant") ?? "" }

    static func headers(contentType: String, requestID: String, noStore: Bool = true) -> HTTPFields {
        var h = HTTPFields()
        if noStore {
            h[.cacheControl] = "no-store, no-cache"
            h[.init("Pragma")!] = "no-cache"
        }
        h[.contentType] = contentType
        h[.init("x-ms-request-id")!] = requestID
        return h
    }

    static func body(_ text: String) -> ResponseBody { ResponseBody(byteBuffer: ByteBuffer(string: text)) }

    func json(_ status: HTTPResponse.Status, _ value: CanonicalJSON, requestID: String, noStore: Bool = true) -> Response {
        Response(status: status, headers: Self.headers(contentType: "application/json; charset=utf-8", requestID: requestID, noStore: noStore), body: Self.body(value.serialized))
    }

    func html(_ status: HTTPResponse.Status, _ text: String, requestID: String) -> Response {
        Response(status: status, headers: Self.headers(contentType: "text/html; charset=utf-8", requestID: requestID), body: Self.body(text))
    }

    static func adminJSON(_ status: HTTPResponse.Status, _ fields: [String: CanonicalJSON]) -> Response {
        var h = HTTPFields()
        h[.contentType] = "application/json"
        let sorted = CanonicalJSON.object(fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        return Response(status: status, headers: h, body: body(sorted.serialized + "\n"))
    }

    /// Microsoft's JSON error response.
    func errorResponse(_ error: EntraError, connection: String, requestID: String, detail: [String: String], event: String = "token.rejected") -> Response {
        let trace = requestID
        let correlation = ids.guid("correlation")
        var d = detail
        d["code"] = String(error.code)
        d["error"] = error.error
        d["rule"] = error.entry.rule.rawValue
        record(connection, event, d)
        let body = error.body(cloud: cloud, traceID: trace, correlationID: correlation, time: issuer.clock.now())
        return json(HTTPResponse.Status(code: error.status), body, requestID: requestID)
    }

    func throttled(retryAfter: Int, connection: String, requestID: String, detail: [String: String]) -> Response {
        var d = detail
        d["code"] = "429"
        d["retry_after"] = String(retryAfter)
        d["rule"] = AADSTSRule.throttled.rawValue
        record(connection, "token.throttled", d)
        var h = Self.headers(contentType: "text/plain", requestID: requestID, noStore: false)
        h[.retryAfter] = String(retryAfter)
        return Response(status: .tooManyRequests, headers: h, body: Self.body("Too Many Requests"))
    }

    /// Applies the scenario's token faults for `name`; returns the response that replaces the normal one.
    func applyFault(_ name: String, connection: String, requestID: String, detail: [String: String]) async -> Response? {
        guard let action = issuer.fault(matching: name) else { return nil }
        switch action {
        case .throttle(let seconds):
            return throttled(retryAfter: seconds, connection: connection, requestID: requestID, detail: detail)
        case .error(let e):
            var d = detail
            d["fault"] = "aadsts"
            return errorResponse(e, connection: connection, requestID: requestID, detail: d)
        case .latency(let seconds):
            record(connection, "fault.latency", ["seconds": String(seconds)])
            try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            return nil
        case .disconnect:
            // DisconnectFaultHandler closes the connection when it sees the marker (a server set up
            // without it, as in router tests, sends this empty 502 instead).
            var d = detail
            d["fault"] = "disconnect"
            record(connection, "fault.disconnect", d)
            var h = Self.headers(contentType: "text/plain", requestID: requestID)
            h[disconnectFaultMarker] = "1"
            return Response(status: .badGateway, headers: h, body: Self.body(""))
        }
    }

    func readForm(_ request: Request) async throws -> Result<[String: String], FormParameters.Problem> {
        var request = request
        let buffer = try await request.collectBody(upTo: Limits.httpMaximumBodySize)
        return FormParameters.parse(String(buffer: buffer))
    }

    func queryParameters(_ request: Request) -> Result<[String: String], FormParameters.Problem> {
        FormParameters.parse(request.uri.query ?? "")
    }

    func basicAuth(_ request: Request) -> (id: String, secret: String)? {
        guard let value = request.headers[.authorization], value.lowercased().hasPrefix("basic "),
            let data = Data(base64Encoded: String(value.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        let id = FormParameters.decode(text[..<colon])
        let secret = FormParameters.decode(text[text.index(after: colon)...])
        return (id, secret)
    }

    // MARK: Token

    func token(_ request: Request, _ context: BasicRequestContext, version: TokenEndpointVersion) async throws -> Response {
        let connection = connection()
        let requestID = ids.guid("trace")
        let tenant = tenantSegment(context)
        let form: [String: String]
        switch try await readForm(request) {
        case .success(let f): form = f
        case .failure(.tooLong(let name)):
            return errorResponse(EntraError(.malformedGrant), connection: connection, requestID: requestID, detail: ["endpoint": "token", "parameter": name])
        }
        let grant = form["grant_type"] ?? ""
        var detail = ["endpoint": version == .v2 ? "token" : "token.v1", "grant": grant, "tenant": tenant, "client": form["client_id"] ?? basicAuth(request)?.id ?? ""]
        if let u = form["username"] { detail["user"] = u }
        if let r = await applyFault(grant, connection: connection, requestID: requestID, detail: detail) { return r }
        switch issuer.token(form: form, tenantSegment: tenant, basicAuth: basicAuth(request), version: version) {
        case .failure(let e):
            return errorResponse(e, connection: connection, requestID: requestID, detail: detail)
        case .success(let g):
            detail["user"] = g.claims.upn ?? ""
            detail["aud"] = g.claims.aud
            detail["uti"] = g.claims.uti
            if let scp = g.scope { detail["scope"] = scp }
            if !g.claims.roles.isEmpty { detail["roles"] = g.claims.roles.joined(separator: " ") }
            record(connection, "token.issued", detail)
            return json(.ok, g.json(version), requestID: requestID)
        }
    }

    // MARK: Device code

    func deviceCode(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let connection = connection()
        let requestID = ids.guid("trace")
        let tenant = tenantSegment(context)
        guard case .success(let form) = try await readForm(request) else {
            return errorResponse(EntraError(.malformedGrant), connection: connection, requestID: requestID, detail: ["endpoint": "devicecode"])
        }
        let detail = ["endpoint": "devicecode", "tenant": tenant, "client": form["client_id"] ?? ""]
        if let r = await applyFault("devicecode", connection: connection, requestID: requestID, detail: detail) { return r }
        switch issuer.startDeviceCode(form: form, tenantSegment: tenant) {
        case .failure(let e): return errorResponse(e, connection: connection, requestID: requestID, detail: detail)
        case .success(let body):
            record(connection, "devicecode.issued", detail)
            return json(.ok, body, requestID: requestID)
        }
    }

    func deviceLoginGET(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        html(.ok, Pages.deviceLogin(action: request.uri.path, problem: nil, done: false), requestID: ids.guid("trace"))
    }

    func deviceLoginPOST(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let connection = connection()
        let requestID = ids.guid("trace")
        guard case .success(let form) = try await readForm(request) else {
            return html(.badRequest, Pages.deviceLogin(action: request.uri.path, problem: "The request was too long.", done: false), requestID: requestID)
        }
        let userCode = form["otc"] ?? ""
        let decline = form["accept"] == "no"
        let problem = issuer.decideDeviceCode(userCode: userCode, upn: decline ? nil : (form["loginfmt"] ?? ""), password: form["passwd"] ?? "")
        record(connection, problem == nil ? (decline ? "devicecode.declined" : "devicecode.approved") : "devicecode.refused",
            ["endpoint": "deviceauth", "user_code": userCode, "user": form["loginfmt"] ?? "", "via": "page"])
        return html(.ok, Pages.deviceLogin(action: request.uri.path, problem: problem, done: problem == nil), requestID: requestID)
    }

    // MARK: Authorize

    func authorizeGET(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let connection = connection()
        let requestID = ids.guid("trace")
        guard case .success(let parameters) = queryParameters(request) else {
            return errorPage(EntraError(.malformedGrant), connection: connection, requestID: requestID)
        }
        let detail = ["endpoint": "authorize", "client": parameters["client_id"] ?? "", "prompt": parameters["prompt"] ?? "", "login_hint": parameters["login_hint"] ?? ""]
        if let r = await applyFault("authorize", connection: connection, requestID: requestID, detail: detail) { return r }
        let outcome = issuer.authorize(parameters: parameters, tenantSegment: tenantSegment(context))
        return render(outcome, action: request.uri.path, connection: connection, requestID: requestID)
    }

    func authorizePOST(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let connection = connection()
        let requestID = ids.guid("trace")
        guard case .success(let form) = try await readForm(request) else {
            return errorPage(EntraError(.malformedGrant), connection: connection, requestID: requestID)
        }
        let parameters = form.filter { !Pages.controlFields.contains($0.key) }
        let tenant = tenantSegment(context)
        let outcome: AuthorizeOutcome
        switch form["exomock_action"] {
        case "signin":
            outcome = issuer.authorizeSignIn(parameters: parameters, tenantSegment: tenant, login: form["loginfmt"] ?? "", password: form["passwd"] ?? "")
        case "pick":
            outcome = issuer.authorizePick(parameters: parameters, tenantSegment: tenant, account: form["account"] ?? "")
        case "another":
            var p = parameters
            p["prompt"] = "login"
            outcome = issuer.authorize(parameters: p, tenantSegment: tenant)
        case "consent":
            guard let o = issuer.authorizeConsent(pendingID: form["pending"] ?? "", accept: form["accept"] == "yes") else {
                return errorPage(EntraError(.malformedGrant), connection: connection, requestID: requestID)
            }
            outcome = o
        default:
            // A form_post-style authorize request: the same parameters as the GET.
            outcome = issuer.authorize(parameters: parameters, tenantSegment: tenant)
        }
        return render(outcome, action: request.uri.path, connection: connection, requestID: requestID)
    }

    func errorPage(_ error: EntraError, connection: String, requestID: String) -> Response {
        record(connection, "authorize.error_page", ["endpoint": "authorize", "code": String(error.code), "error": error.error, "rule": error.entry.rule.rawValue])
        let text = Pages.error(error, traceID: requestID, correlationID: ids.guid("correlation"),
            timestamp: Timestamps.microsoftErrorTimestamp(issuer.clock.now()))
        return html(.badRequest, text, requestID: requestID)
    }

    func render(_ outcome: AuthorizeOutcome, action: String, connection: String, requestID: String) -> Response {
        switch outcome {
        case .errorPage(let e):
            return errorPage(e, connection: connection, requestID: requestID)
        case .signIn(let context, let hint, let problem):
            record(connection, "authorize.page", ["page": "signin", "client": context.clientID, "problem": problem ?? ""])
            return html(.ok, Pages.signIn(action: action, context: context, loginHint: hint, problem: problem), requestID: requestID)
        case .pickAccount(let context, let accounts):
            record(connection, "authorize.page", ["page": "pick_account", "client": context.clientID, "accounts": accounts.joined(separator: " ")])
            return html(.ok, Pages.pickAccount(action: action, context: context, accounts: accounts), requestID: requestID)
        case .consent(let context, let pendingID, let upn):
            record(connection, "authorize.page", ["page": "consent", "client": context.clientID, "user": upn])
            return html(.ok, Pages.consent(action: action, context: context, pendingID: pendingID, upn: upn), requestID: requestID)
        case .redirect(let r):
            var fields: [(String, String)] = []
            switch r.result {
            case .code(let code, let sessionState):
                fields.append(("code", code))
                if let s = r.state { fields.append(("state", s)) }
                fields.append(("session_state", sessionState))
                record(connection, "authorize.code", ["endpoint": "authorize", "redirect_uri": r.redirectURI])
            case .error(let e):
                let correlation = ids.guid("correlation")
                let stamp = Timestamps.microsoftErrorTimestamp(issuer.clock.now())
                fields.append(("error", e.entry.authorizeError ?? e.error))
                fields.append(("error_description", "\(e.message)\r\nTrace ID: \(requestID)\r\nCorrelation ID: \(correlation)\r\nTimestamp: \(stamp)"))
                fields.append(("error_uri", "https://\(cloud.authorityHost)/error?code=\(e.code)"))
                if let s = r.state { fields.append(("state", s)) }
                record(connection, "authorize.error", ["endpoint": "authorize", "code": String(e.code), "error": e.entry.authorizeError ?? e.error, "rule": e.entry.rule.rawValue])
            }
            if r.responseMode == "form_post" {
                return html(.ok, Pages.formPost(redirectURI: r.redirectURI, fields: fields), requestID: requestID)
            }
            let separator = r.responseMode == "fragment" ? "#" : (r.redirectURI.contains("?") ? "&" : "?")
            var h = Self.headers(contentType: "text/html; charset=utf-8", requestID: requestID)
            h[.location] = r.redirectURI + separator + FormParameters.encode(fields)
            return Response(status: .found, headers: h, body: Self.body(""))
        }
    }

    // MARK: Logout

    func logout(_ request: Request, _ context: BasicRequestContext) -> Response {
        let connection = connection()
        let requestID = ids.guid("trace")
        let signedOut = state.ssoSessions
        state.clearSSO()
        record(connection, "sso.cleared", ["endpoint": "logout", "users": signedOut.joined(separator: " ")])
        if case .success(let p) = queryParameters(request), let target = p["post_logout_redirect_uri"], !target.isEmpty {
            var h = Self.headers(contentType: "text/html; charset=utf-8", requestID: requestID)
            h[.location] = target + (p["state"].map { (target.contains("?") ? "&" : "?") + "state=" + FormParameters.encode($0) } ?? "")
            return Response(status: .found, headers: h, body: Self.body(""))
        }
        return html(.ok, Pages.signedOut(), requestID: requestID)
    }

    // MARK: Discovery

    func openIDConfiguration(_ request: Request, _ context: BasicRequestContext, v2: Bool) -> Response {
        let connection = connection()
        let requestID = ids.guid("trace")
        let segment = tenantSegment(context)
        let tid: String
        switch issuer.resolveTenant(segment) {
        case .failure(let e):
            var body = e.body(cloud: cloud, traceID: requestID, correlationID: ids.guid("correlation"), time: issuer.clock.now())
            if case .object(var fields) = body, e.entry.rule == .tenantNotFound {
                fields[0] = ("error", .string("invalid_tenant"))
                body = .object(fields)
            }
            record(connection, "discovery.rejected", ["endpoint": "openid-configuration", "tenant": segment, "code": String(e.code)])
            return json(HTTPResponse.Status(code: e.status), body, requestID: requestID)
        case .success(.tenant(let t)): tid = t.id
        case .success(.multi): tid = "{tenantid}"
        }
        let base = baseURL(request)
        let path = "\(base)/\(segment)"
        var f = OrderedFields()
        f.add("token_endpoint", v2 ? "\(base)/\(tid == "{tenantid}" ? segment : tid)/oauth2/v2.0/token" : "\(base)/\(tid == "{tenantid}" ? segment : tid)/oauth2/token")
        f.add("token_endpoint_auth_methods_supported", strings: ["client_secret_post", "private_key_jwt", "client_secret_basic"])
        f.add("jwks_uri", v2 ? "\(path)/discovery/v2.0/keys" : "\(base)/common/discovery/keys")
        f.add("response_modes_supported", strings: ["query", "fragment", "form_post"])
        f.add("subject_types_supported", strings: ["pairwise"])
        f.add("id_token_signing_alg_values_supported", strings: ["RS256"])
        f.add("response_types_supported", strings: v2 ? ["code", "id_token", "code id_token", "id_token token"]
            : ["code", "id_token", "code id_token", "token id_token", "token"])
        f.add("scopes_supported", strings: ["openid", "profile", "email", "offline_access"])
        // The issuer is an identifier, not a URL to call: the cloud's real one, equal to the `iss` of the
        // tokens this service mints (endpoints above use the host the client called).
        f.add("issuer", v2 ? cloud.v2Issuer(tenant: tid) : cloud.v1Issuer(tenant: tid))
        f.add("request_uri_parameter_supported", false)
        f.add("userinfo_endpoint", v2 ? "https://\(cloud.graphHost)/oidc/userinfo" : "\(path)/openid/userinfo")
        f.add("authorization_endpoint", v2 ? "\(path)/oauth2/v2.0/authorize" : "\(path)/oauth2/authorize")
        f.add("device_authorization_endpoint", v2 ? "\(path)/oauth2/v2.0/devicecode" : "\(path)/oauth2/devicecode")
        f.add("http_logout_supported", true)
        f.add("frontchannel_logout_supported", true)
        f.add("end_session_endpoint", v2 ? "\(path)/oauth2/v2.0/logout" : "\(path)/oauth2/logout")
        if !v2 { f.add("check_session_iframe", "\(path)/oauth2/checksession") }
        f.add("claims_supported", strings: ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"])
        f.add("kerberos_endpoint", "\(path)/kerberos")
        if !v2 { f.add("microsoft_multi_refresh_token", true) }
        f.add("tenant_region_scope", cloud.name == .worldwide || cloud.name == .gcc ? "WW" : (cloud.name == .china ? "AS" : "USGov"))
        f.add("cloud_instance_name", String(cloud.authorityHost.dropFirst("login.".count)))
        f.add("cloud_graph_host_name", "graph.windows.net")
        f.add("msgraph_host", cloud.graphHost)
        f.add("rbac_url", "https://pas.windows.net")
        record(connection, "discovery.served", ["endpoint": v2 ? "openid-configuration" : "openid-configuration.v1", "tenant": segment])
        return json(.ok, f.json, requestID: requestID, noStore: false)
    }

    func keys(_ request: Request, _ context: BasicRequestContext) -> Response {
        let requestID = ids.guid("trace")
        return Response(
            status: .ok, headers: Self.headers(contentType: "application/json; charset=utf-8", requestID: requestID, noStore: false),
            body: Self.body(key.jwks()))
    }

    /// MSAL's instance discovery (`/common/discovery/instance`): Microsoft's answer, with this cloud's
    /// authority first. An authorization endpoint on a host no cloud knows gets AADSTS50049 — except the
    /// host the client called, so MSAL pointed at the mock by URL works with discovery on, too.
    func instanceDiscovery(_ request: Request, _ context: BasicRequestContext) -> Response {
        let connection = connection()
        let requestID = ids.guid("trace")
        let p = (try? queryParameters(request).get()) ?? [:]
        let calledHost = request.head.authority ?? cloud.authorityHost
        var endpointHost = calledHost
        if let endpoint = p["authorization_endpoint"], let url = URL(string: endpoint), let h = url.host {
            endpointHost = url.port.map { "\(h):\($0)" } ?? h
        }
        let knownHosts = Cloud.all.flatMap { [$0.authorityHost] + $0.authorityAliases } + ["login-us.microsoftonline.com", calledHost]
        guard tenantSegment(context).lowercased() == "common", knownHosts.contains(endpointHost.lowercased()) else {
            let e = EntraError(.unknownInstance)
            return errorResponse(e, connection: connection, requestID: requestID, detail: ["endpoint": "instance", "host": endpointHost], event: "discovery.rejected")
        }
        var seen = Set<String>()
        var metadata: [CanonicalJSON] = []
        func add(_ network: String, _ aliases: [String]) {
            guard seen.insert(network).inserted else { return }
            var f = OrderedFields()
            f.add("preferred_network", network)
            f.add("preferred_cache", network == "login.microsoftonline.com" ? "login.windows.net" : network)
            f.add("aliases", strings: aliases)
            metadata.append(f.json)
        }
        if calledHost != cloud.authorityHost { add(calledHost, [calledHost]) }
        add(cloud.authorityHost, [cloud.authorityHost] + cloud.authorityAliases)
        for other in Cloud.all { add(other.authorityHost, [other.authorityHost] + other.authorityAliases) }
        add("login-us.microsoftonline.com", ["login-us.microsoftonline.com"])
        var f = OrderedFields()
        f.add("tenant_discovery_endpoint", "\(baseURL(request))/{tenant}/v2.0/.well-known/openid-configuration")
        f.add("api-version", p["api-version"] ?? "1.1")
        f.add("metadata", json: .array(metadata))
        record(connection, "discovery.served", ["endpoint": "instance", "host": endpointHost])
        var response = json(.ok, f.json, requestID: requestID, noStore: false)
        response.headers[.cacheControl] = "max-age=86400, private"
        return response
    }

    /// Home-realm discovery (`/common/userrealm/{user}?api-version=1.0`), which MSAL asks before a
    /// password grant: every scenario user is a cloud-only (`Managed`) account.
    func userRealm(_ request: Request, _ context: BasicRequestContext) -> Response {
        let requestID = ids.guid("trace")
        let user = context.parameters.get("user")?.removingPercentEncoding ?? ""
        let domain = user.split(separator: "@").last.map { $0.lowercased() } ?? ""
        let tenant = issuer.scenario.tenant(forAddress: user)
        var f = OrderedFields()
        f.add("ver", "1.0")
        if let tenant, tenant.cloud == cloud.name {
            f.add("account_type", "Managed")
            f.add("domain_name", domain)
        } else {
            f.add("account_type", "Unknown")
        }
        f.add("cloud_instance_name", String(cloud.authorityHost.dropFirst("login.".count)))
        f.add("cloud_audience_urn", "urn:federation:MicrosoftOnline")
        return json(.ok, f.json, requestID: requestID, noStore: false)
    }

    // MARK: Admin

    func adminParameters(_ request: Request) async throws -> [String: String] {
        var request = request
        let buffer = try await request.collectBody(upTo: Limits.httpMaximumBodySize)
        let text = String(buffer: buffer)
        if text.hasPrefix("{"), let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] {
            var out: [String: String] = [:]
            for (k, v) in object {
                if let s = v as? String { out[k] = s } else if let a = v as? [String] { out[k] = a.joined(separator: ",") }
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
            return Self.adminJSON(.badRequest, ["error": .string("unknown user '\(p["user"] ?? "")': send user=<a UPN from the scenario's users>")])
        }
        state.revokeSessions(upn: upn, at: issuer.clock.now())
        journal.record(cloud: cloud.name.rawValue, service: "token", event: "sessions.revoked", detail: ["user": upn, "via": "admin"])
        return Self.adminJSON(.ok, ["revoked": .string(upn)])
    }

    func adminSetSSO(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let p = try await adminParameters(request)
        let users = (p["users"] ?? p["user"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for u in users where issuer.scenario.user(u) == nil {
            return Self.adminJSON(.badRequest, ["error": .string("unknown user '\(u)': list UPNs from the scenario's users, comma-separated")])
        }
        state.setSSO(users)
        journal.record(cloud: cloud.name.rawValue, service: "token", event: "sso.set", detail: ["users": users.joined(separator: " "), "via": "admin"])
        return Self.adminJSON(.ok, ["users": .array(users.map(CanonicalJSON.string))])
    }

    func adminDevice(_ request: Request, _ context: BasicRequestContext, approve: Bool) async throws -> Response {
        let p = try await adminParameters(request)
        let userCode = p["user_code"] ?? ""
        if approve, p["user"] == nil {
            return Self.adminJSON(.badRequest, ["error": .string("send user=<UPN> with user_code to approve a device code")])
        }
        if let problem = issuer.decideDeviceCode(userCode: userCode, upn: approve ? p["user"] : nil, password: nil) {
            return Self.adminJSON(.badRequest, ["error": .string(problem)])
        }
        journal.record(cloud: cloud.name.rawValue, service: "token", event: approve ? "devicecode.approved" : "devicecode.declined",
            detail: ["user_code": userCode, "user": p["user"] ?? "", "via": "admin"])
        return Self.adminJSON(.ok, [approve ? "approved" : "declined": .string(userCode)])
    }
}
