import Determinism
import EntraTokens
import ExomockLimits
import Foundation
import Hummingbird
import MicrosoftClouds
import ScenarioModel

/// Discovery: OpenID configuration, signing keys, MSAL's instance discovery and home-realm discovery.
extension TokenService {
    /// `/.well-known/openid-configuration` (v2 and v1), `/discovery/keys`, `/discovery/instance`, `/userrealm/{user}`.
    var discoveryRoutes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.get("/:tenant/v2.0/.well-known/openid-configuration") { request, context in
            self.openIDConfiguration(request, context, v2: true)
        }
        routes.get("/:tenant/.well-known/openid-configuration") { request, context in
            self.openIDConfiguration(request, context, v2: false)
        }
        routes.get("/:tenant/discovery/v2.0/keys") { request, context in self.keys(request, context) }
        routes.get("/:tenant/discovery/keys") { request, context in self.keys(request, context) }
        routes.get("/:tenant/discovery/instance") { request, context in self.instanceDiscovery(request, context) }
        routes.get("/:tenant/userrealm/:user") { request, context in self.userRealm(request, context) }
        return routes
    }

    // MARK: Discovery

    func openIDConfiguration(_ request: Request, _ context: BasicRequestContext, v2: Bool) -> Response {
        let connection = connection()
        let requestID = ids.guid("trace")
        let segment = tenantSegment(context)
        let tid: String
        switch issuer.resolveTenant(segment) {
        case .failure(let e):
            var body = e.body(
                cloud: cloud, traceID: requestID, correlationID: ids.guid("correlation"), time: issuer.clock.now())
            if case .object(var fields) = body, e.entry.rule == .tenantNotFound {
                fields[0] = ("error", .string("invalid_tenant"))
                body = .object(fields)
            }
            record(
                connection, .discoveryRejected,
                ["endpoint": "openid-configuration", "tenant": segment, "code": String(e.code)])
            return json(HTTPResponse.Status(code: e.status), body, requestID: requestID)
        case .success(.tenant(let t)): tid = t.id
        case .success(.multi): tid = "{tenantid}"
        }
        let base = baseURL(request)
        let path = "\(base)/\(segment)"
        var f = OrderedFields()
        f.add(
            "token_endpoint",
            v2
                ? "\(base)/\(tid == "{tenantid}" ? segment : tid)/oauth2/v2.0/token"
                : "\(base)/\(tid == "{tenantid}" ? segment : tid)/oauth2/token")
        f.add(
            "token_endpoint_auth_methods_supported",
            strings: ["client_secret_post", "private_key_jwt", "client_secret_basic"])
        f.add("jwks_uri", v2 ? "\(path)/discovery/v2.0/keys" : "\(base)/common/discovery/keys")
        f.add("response_modes_supported", strings: ["query", "fragment", "form_post"])
        f.add("subject_types_supported", strings: ["pairwise"])
        f.add("id_token_signing_alg_values_supported", strings: ["RS256"])
        f.add(
            "response_types_supported",
            strings: v2
                ? ["code", "id_token", "code id_token", "id_token token"]
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
        f.add(
            "claims_supported",
            strings: [
                "sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
                "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid",
                "ver", "at_hash", "c_hash", "email",
            ])
        f.add("kerberos_endpoint", "\(path)/kerberos")
        if !v2 { f.add("microsoft_multi_refresh_token", true) }
        f.add("tenant_region_scope", cloud.tenantRegionScope)
        if let subScope = cloud.tenantRegionSubScope { f.add("tenant_region_sub_scope", subScope) }
        f.add("cloud_instance_name", String(cloud.authorityHost.dropFirst("login.".count)))
        f.add("cloud_graph_host_name", "graph.windows.net")
        f.add("msgraph_host", cloud.graphHost)
        f.add("rbac_url", "https://pas.windows.net")
        record(
            connection, .discoveryServed,
            ["endpoint": v2 ? "openid-configuration" : "openid-configuration.v1", "tenant": segment])
        return json(.ok, f.json, requestID: requestID, noStore: false)
    }

    func keys(_ request: Request, _ context: BasicRequestContext) -> Response {
        let requestID = ids.guid("trace")
        return Response(
            status: .ok,
            headers: Self.headers(contentType: "application/json; charset=utf-8", requestID: requestID, noStore: false),
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
        let knownHosts =
            Cloud.all.flatMap { [$0.authorityHost] + $0.authorityAliases } + [
                "login-us.microsoftonline.com", calledHost,
            ]
        guard tenantSegment(context).lowercased() == "common", knownHosts.contains(endpointHost.lowercased()) else {
            let e = EntraError(.unknownInstance)
            return errorResponse(
                e, connection: connection, requestID: requestID,
                detail: ["endpoint": "instance", "host": endpointHost], event: .discoveryRejected)
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
        record(connection, .discoveryServed, ["endpoint": "instance", "host": endpointHost])
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
}
