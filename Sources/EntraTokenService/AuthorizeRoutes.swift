import Determinism
import EntraTokens
import ExomockLimits
import Foundation
import Hummingbird
import MicrosoftClouds
import ScenarioModel

/// `/authorize` with its sign-in, account-picker and consent pages, and `/logout`.
extension TokenService {
    /// `GET`/`POST /{tenant}/oauth2/v2.0/authorize`, v1 `GET /{tenant}/oauth2/authorize`, and logout.
    var authorizeRoutes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.get("/:tenant/oauth2/v2.0/authorize") { request, context in try await self.authorizeGET(request, context)
        }
        routes.post("/:tenant/oauth2/v2.0/authorize") { request, context in
            try await self.authorizePOST(request, context)
        }
        routes.get("/:tenant/oauth2/authorize") { request, context in try await self.authorizeGET(request, context) }
        routes.get("/:tenant/oauth2/v2.0/logout") { request, context in self.logout(request, context) }
        routes.post("/:tenant/oauth2/v2.0/logout") { request, context in self.logout(request, context) }
        routes.get("/:tenant/oauth2/logout") { request, context in self.logout(request, context) }
        return routes
    }

    // MARK: Authorize

    func authorizeGET(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let connection = connection()
        let requestID = ids.guid("trace")
        guard case .success(let parameters) = queryParameters(request) else {
            return errorPage(EntraError(.malformedGrant), connection: connection, requestID: requestID)
        }
        let detail = [
            "endpoint": "authorize", "client": parameters["client_id"] ?? "", "prompt": parameters["prompt"] ?? "",
            "login_hint": parameters["login_hint"] ?? "",
        ]
        let fault = await applyFault("authorize", connection: connection, requestID: requestID, detail: detail)
        if case .answer(let r) = fault { return r }
        let outcome = issuer.authorize(parameters: parameters, tenantSegment: tenantSegment(context))
        return fault.finish(render(outcome, action: request.uri.path, connection: connection, requestID: requestID))
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
            outcome = issuer.authorizeSignIn(
                parameters: parameters, tenantSegment: tenant, login: form["loginfmt"] ?? "",
                password: form["passwd"] ?? "")
        case "pick":
            outcome = issuer.authorizePick(
                parameters: parameters, tenantSegment: tenant, account: form["account"] ?? "")
        case "another":
            var p = parameters
            p["prompt"] = "login"
            outcome = issuer.authorize(parameters: p, tenantSegment: tenant)
        case "consent":
            guard let o = issuer.authorizeConsent(pendingID: form["pending"] ?? "", accept: form["accept"] == "yes")
            else {
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
        record(
            connection, .authorizeErrorPage,
            [
                "endpoint": "authorize", "code": String(error.code), "error": error.error,
                "rule": error.entry.rule.rawValue,
            ])
        let text = Pages.error(
            error, traceID: requestID, correlationID: ids.guid("correlation"),
            timestamp: Timestamps.microsoftErrorTimestamp(issuer.clock.now()))
        return html(.badRequest, text, requestID: requestID)
    }

    func render(_ outcome: AuthorizeOutcome, action: String, connection: String, requestID: String) -> Response {
        switch outcome {
        case .errorPage(let e):
            return errorPage(e, connection: connection, requestID: requestID)
        case .signIn(let context, let hint, let problem):
            record(
                connection, .authorizePage, ["page": "signin", "client": context.clientID, "problem": problem ?? ""])
            return html(
                .ok, Pages.signIn(action: action, context: context, loginHint: hint, problem: problem),
                requestID: requestID)
        case .pickAccount(let context, let accounts):
            record(
                connection, .authorizePage,
                ["page": "pick_account", "client": context.clientID, "accounts": accounts.joined(separator: " ")])
            return html(
                .ok, Pages.pickAccount(action: action, context: context, accounts: accounts), requestID: requestID)
        case .consent(let context, let pendingID, let upn):
            record(connection, .authorizePage, ["page": "consent", "client": context.clientID, "user": upn])
            return html(
                .ok, Pages.consent(action: action, context: context, pendingID: pendingID, upn: upn),
                requestID: requestID)
        case .redirect(let r):
            var fields: [(String, String)] = []
            switch r.result {
            case .code(let code, let sessionState):
                fields.append(("code", code))
                if let s = r.state { fields.append(("state", s)) }
                fields.append(("session_state", sessionState))
                record(connection, .authorizeCode, ["endpoint": "authorize", "redirect_uri": r.redirectURI])
            case .error(let e):
                let correlation = ids.guid("correlation")
                let stamp = Timestamps.microsoftErrorTimestamp(issuer.clock.now())
                fields.append(("error", e.entry.authorizeError ?? e.error))
                fields.append(
                    (
                        "error_description",
                        "\(e.message)\r\nTrace ID: \(requestID)\r\nCorrelation ID: \(correlation)\r\nTimestamp: \(stamp)"
                    ))
                fields.append(("error_uri", "https://\(cloud.authorityHost)/error?code=\(e.code)"))
                if let s = r.state { fields.append(("state", s)) }
                record(
                    connection, .authorizeError,
                    [
                        "endpoint": "authorize", "code": String(e.code), "error": e.entry.authorizeError ?? e.error,
                        "rule": e.entry.rule.rawValue,
                    ])
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
        var detail = ["endpoint": "logout", "users": signedOut.joined(separator: " ")]
        let parameters = (try? queryParameters(request).get()) ?? [:]
        let redirect = issuer.logoutRedirect(parameters: parameters)
        // A URI the app did not register (`javascript:`, another site) gets the signed-out page, not a redirect.
        if case .refused(let target, let reason) = redirect {
            detail["post_logout_redirect_uri"] = String(target.prefix(200))
            detail["redirect_refused"] = reason
        }
        record(connection, .ssoCleared, detail)
        if case .registered(let target) = redirect {
            var h = Self.headers(contentType: "text/html; charset=utf-8", requestID: requestID)
            let separator = target.contains("?") ? "&" : "?"
            h[.location] = target + (parameters["state"].map { separator + "state=" + FormParameters.encode($0) } ?? "")
            return Response(status: .found, headers: h, body: Self.body(""))
        }
        return html(.ok, Pages.signedOut(), requestID: requestID)
    }
}
