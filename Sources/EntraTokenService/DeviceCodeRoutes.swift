import Determinism
import EntraTokens
import ExomockLimits
import Foundation
import Hummingbird
import MicrosoftClouds
import ScenarioModel

/// The device code flow: `/devicecode` and the device login page a user opens on another device.
extension TokenService {
    /// `POST /{tenant}/oauth2/v2.0/devicecode` (and v1), `GET`/`POST /{tenant}/oauth2/deviceauth`.
    var deviceCodeRoutes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.post("/:tenant/oauth2/v2.0/devicecode") { request, context in try await self.deviceCode(request, context)
        }
        routes.post("/:tenant/oauth2/devicecode") { request, context in try await self.deviceCode(request, context) }
        routes.get("/:tenant/oauth2/deviceauth") { request, context in try await self.deviceLoginGET(request, context) }
        routes.post("/:tenant/oauth2/deviceauth") { request, context in try await self.deviceLoginPOST(request, context)
        }
        return routes
    }

    // MARK: Device code

    func deviceCode(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let connection = connection()
        let requestID = ids.guid("trace")
        let tenant = tenantSegment(context)
        guard case .success(let form) = try await readForm(request) else {
            return errorResponse(
                EntraError(.malformedGrant), connection: connection, requestID: requestID,
                detail: ["endpoint": "devicecode"])
        }
        let detail = ["endpoint": "devicecode", "tenant": tenant, "client": form["client_id"] ?? ""]
        let fault = await applyFault("devicecode", connection: connection, requestID: requestID, detail: detail)
        if case .answer(let r) = fault { return r }
        switch issuer.startDeviceCode(form: form, tenantSegment: tenant) {
        case .failure(let e):
            return fault.finish(errorResponse(e, connection: connection, requestID: requestID, detail: detail))
        case .success(let body):
            record(connection, .deviceCodeIssued, detail)
            return fault.finish(json(.ok, body, requestID: requestID))
        }
    }

    func deviceLoginGET(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        html(.ok, Pages.deviceLogin(action: request.uri.path, problem: nil, done: false), requestID: ids.guid("trace"))
    }

    func deviceLoginPOST(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let connection = connection()
        let requestID = ids.guid("trace")
        guard case .success(let form) = try await readForm(request) else {
            return html(
                .badRequest,
                Pages.deviceLogin(action: request.uri.path, problem: "The request was too long.", done: false),
                requestID: requestID)
        }
        let userCode = form["otc"] ?? ""
        let decline = form["accept"] == "no"
        let problem = issuer.decideDeviceCode(
            userCode: userCode, upn: decline ? nil : (form["loginfmt"] ?? ""), password: form["passwd"] ?? "")
        record(
            connection,
            problem == nil ? (decline ? .deviceCodeDeclined : .deviceCodeApproved) : .deviceCodeRefused,
            ["endpoint": "deviceauth", "user_code": userCode, "user": form["loginfmt"] ?? "", "via": "page"])
        return html(
            .ok, Pages.deviceLogin(action: request.uri.path, problem: problem, done: problem == nil),
            requestID: requestID)
    }
}
