import Determinism
import EntraTokens
import ExomockLimits
import Foundation
import Hummingbird
import MicrosoftClouds
import ScenarioModel

/// The token endpoint, v2 and v1.
extension TokenService {
    /// `POST /{tenant}/oauth2/v2.0/token` and v1 `POST /{tenant}/oauth2/token`.
    var tokenRoutes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.post("/:tenant/oauth2/v2.0/token") { request, context in
            try await self.token(request, context, version: .v2)
        }
        routes.post("/:tenant/oauth2/token") { request, context in try await self.token(request, context, version: .v1)
        }
        return routes
    }

    // MARK: Token

    func token(_ request: Request, _ context: BasicRequestContext, version: TokenEndpointVersion) async throws
        -> Response
    {
        let connection = connection()
        let requestID = ids.guid("trace")
        let tenant = tenantSegment(context)
        let form: [String: String]
        switch try await readForm(request) {
        case .success(let f): form = f
        case .failure(.tooLong(let name)):
            return errorResponse(
                EntraError(.malformedGrant), connection: connection, requestID: requestID,
                detail: ["endpoint": "token", "parameter": name])
        }
        let grant = form["grant_type"] ?? ""
        var detail = [
            "endpoint": version == .v2 ? "token" : "token.v1", "grant": grant, "tenant": tenant,
            "client": form["client_id"] ?? basicAuth(request)?.id ?? "",
        ]
        if let u = form["username"] { detail["user"] = u }
        let fault = await applyFault(
            grant, user: issuer.faultUser(form: form), connection: connection, requestID: requestID, detail: detail)
        if case .answer(let r) = fault { return r }
        switch issuer.token(
            form: form, tenantSegment: tenant, basicAuth: basicAuth(request), version: version,
            endpointBase: baseURL(request))
        {
        case .failure(let e):
            return fault.finish(errorResponse(e, connection: connection, requestID: requestID, detail: detail))
        case .success(let g):
            detail["user"] = g.claims.upn ?? ""
            detail["aud"] = g.claims.aud
            detail["uti"] = g.claims.uti
            if let scp = g.scope { detail["scope"] = scp }
            if !g.claims.roles.isEmpty { detail["roles"] = g.claims.roles.joined(separator: " ") }
            record(connection, .tokenIssued, detail)
            return fault.finish(json(.ok, g.json(version), requestID: requestID))
        }
    }
}
