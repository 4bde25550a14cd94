import Foundation
import HTTPTypes
import Hummingbird

/// Keeps the admin API to the scripts and tests that started exomock, away from web pages the same
/// machine's browser opens (a cross-origin `fetch`, a form, a DNS-rebinding page). Every request, in order:
///
/// 1. the `HTTPRequestGuard` header checks (`Host` present, `Content-Length` within the limit);
/// 2. `Host` names a loopback address the admin API listens on (`127.0.0.1`, `localhost`), else `403`:
///    a rebinding page's requests carry its own host name;
/// 3. no `Origin` header, else `403`: browsers send one on every cross-origin request, scripts do not;
/// 4. `Authorization: Bearer <admin_token>` (the ready file's), else `401` with `WWW-Authenticate`;
/// 5. a body is not `text/plain` or `multipart/form-data`, the types a page may send without a CORS
///    preflight, else `415` (`application/x-www-form-urlencoded`, curl's default for `-d`, is let through:
///    a form cannot carry the token and sends its `Origin`);
/// 6. the body within its size and time limits (`HTTPRequestGuard.readBody`).
///
/// Each refusal is JSON with `error` and `fix`. It is the first middleware of the admin router, so it
/// also guards the routes services contribute and unknown paths (no `404` tells a page what exists).
struct AdminGuard<Context: RequestContext>: RouterMiddleware {
    let token: AdminToken

    /// Host names the admin API answers to; it listens on 127.0.0.1 only.
    static var loopbackNames: Set<String> { ["127.0.0.1", "localhost"] }

    func handle(
        _ input: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var request = input
        if let refusal = HTTPRequestGuard.checkHead(request) { return refusal }
        if let refusal = Self.refusal(for: request, token: token) { return refusal }
        if let refusal = await HTTPRequestGuard.readBody(&request) { return refusal }
        return try await next(request, context)
    }

    /// The answer to a request the admin API refuses before reading its body, or nil.
    static func refusal(for request: Request, token: AdminToken) -> Response? {
        let authority = request.head.authority ?? ""
        guard loopbackNames.contains(hostName(of: authority)) else {
            return HTTPRequestGuard.refusal(
                .forbidden, "Host '\(authority.prefix(100))' is not the admin API's",
                fix: "Use admin_url from the ready file (http://127.0.0.1:<port>); the admin API answers "
                    + "only to 127.0.0.1 and localhost.")
        }
        if let origin = request.headers[.origin] {
            return HTTPRequestGuard.refusal(
                .forbidden, "requests from a web page (Origin: \(origin.prefix(100))) are refused",
                fix: "Call the admin API from a script or test (curl, requests, the exomock CLI), not a browser.")
        }
        let authorization = request.headers[.authorization]
        guard token.isCarried(by: authorization) else {
            var response = AdminJSON.error(
                .unauthorized,
                authorization == nil
                    ? "the admin API needs this run's token"
                    : "the Authorization header does not carry this run's token",
                fix: "Send Authorization: Bearer <admin_token from the ready file>, e.g. curl -H "
                    + "\"Authorization: Bearer $(jq -r .admin_token ready.json)\"; the token changes on every start.")
            response.headers[.wwwAuthenticate] = "Bearer realm=\"exomock admin API\""
            return response
        }
        if let type = request.headers[.contentType]?.lowercased(),
            type.hasPrefix("text/plain") || type.hasPrefix("multipart/form-data")
        {
            return HTTPRequestGuard.refusal(
                .unsupportedMediaType, "a \(type.split(separator: ";")[0]) body is refused",
                fix: "Send JSON with Content-Type: application/json (message/rfc822 for a message delivery).")
        }
        return nil
    }

    /// `127.0.0.1` from `127.0.0.1:8080`, `localhost` from `LOCALHOST`, `::1` from `[::1]:8080`.
    static func hostName(of authority: String) -> String {
        var text = Substring(authority.lowercased())
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return String(text) }
            return String(text[text.index(after: text.startIndex)..<close])
        }
        if let colon = text.lastIndex(of: ":") { text = text[..<colon] }
        if text.hasSuffix(".") { text = text.dropLast() }
        return String(text)
    }
}
