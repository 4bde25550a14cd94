import Determinism
import EntraTokens
import ExomockLimits
import Foundation
import Hummingbird
import Journal
import MicrosoftClouds
import ScenarioModel

/// Microsoft's error answers and the scenario's token faults.
extension TokenService {
    /// Microsoft's JSON error response; `status` overrides the rule's HTTP status (an `http_status` fault),
    /// `retryAfter` adds the header.
    func errorResponse(
        _ error: EntraError, connection: String, requestID: String, detail: [String: String],
        event: JournalEvent.Name = .tokenRejected, status: Int? = nil, retryAfter: Int? = nil
    ) -> Response {
        let trace = requestID
        let correlation = ids.guid("correlation")
        var d = detail
        d["code"] = String(error.code)
        d["error"] = error.error
        d["rule"] = error.entry.rule.rawValue
        if let status { d["status"] = String(status) }
        if let retryAfter { d["retry_after"] = String(retryAfter) }
        record(connection, event, d)
        let body = error.body(cloud: cloud, traceID: trace, correlationID: correlation, time: issuer.clock.now())
        var response = json(HTTPResponse.Status(code: status ?? error.status), body, requestID: requestID)
        if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }

    func throttled(retryAfter: Int, connection: String, requestID: String, detail: [String: String]) -> Response {
        var d = detail
        d["code"] = "429"
        d["retry_after"] = String(retryAfter)
        d["rule"] = AADSTSRule.throttled.rawValue
        record(connection, .tokenThrottled, d)
        var h = Self.headers(contentType: "text/plain", requestID: requestID, noStore: false)
        h[.retryAfter] = String(retryAfter)
        return Response(status: .tooManyRequests, headers: h, body: Self.body("Too Many Requests"))
    }

    /// What a token fault does to one request: nothing, an answer in place of the real one, or the real
    /// answer cut (`truncated_body`).
    enum FaultOutcome {
        case none
        case answer(Response)
        case truncate

        /// The real answer as the fault leaves it: marked for `DisconnectFaultHandler` to cut it.
        func finish(_ response: Response) -> Response {
            guard case .truncate = self else { return response }
            var cut = response
            cut.headers[truncateFaultMarker] = "1"
            return cut
        }
    }

    /// Applies the live token faults to a request for `name` (grant type or endpoint) by `user` (nil: not
    /// known) from the client in `detail["client"]`.
    func applyFault(
        _ name: String, user: String? = nil, connection: String, requestID: String, detail: [String: String]
    ) async -> FaultOutcome {
        let client = detail["client"].flatMap { $0.isEmpty ? nil : $0 }
        guard let action = issuer.fault(matching: name, user: user, clientID: client) else { return .none }
        var d = detail
        switch action {
        case .throttle(let seconds):
            return .answer(throttled(retryAfter: seconds, connection: connection, requestID: requestID, detail: d))
        case .error(let e):
            d["fault"] = "aadsts"
            return .answer(errorResponse(e, connection: connection, requestID: requestID, detail: d))
        case .serverError(let e, let status, let retryAfter):
            d["fault"] = "http_status"
            return .answer(
                errorResponse(
                    e, connection: connection, requestID: requestID, detail: d, status: status,
                    retryAfter: retryAfter))
        case .latency(let seconds):
            record(connection, .faultLatency, ["seconds": String(seconds)])
            try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            return .none
        case .disconnect:
            // DisconnectFaultHandler closes the connection when it sees the marker (a server set up
            // without it, as in router tests, sends this empty 502 instead).
            d["fault"] = "disconnect"
            record(connection, .faultDisconnect, d)
            var h = Self.headers(contentType: "text/plain", requestID: requestID)
            h[disconnectFaultMarker] = "1"
            return .answer(Response(status: .badGateway, headers: h, body: Self.body("")))
        case .truncatedBody:
            // DisconnectFaultHandler sends the first half of the real answer, then closes (a server set up
            // without it sends the whole answer).
            d["fault"] = "truncated_body"
            record(connection, .faultTruncatedBody, d)
            return .truncate
        case .malformedJSON:
            d["fault"] = "malformed_json"
            record(connection, .faultMalformedJSON, d)
            let h = Self.headers(contentType: "application/json; charset=utf-8", requestID: requestID)
            return .answer(Response(status: .ok, headers: h, body: Self.body(Self.malformedJSONBody)))
        }
    }

    /// A `malformed_json` fault's body: the start of a token answer that stops inside a string.
    static let malformedJSONBody = #"{"token_type": "Bearer", "access_token": ""#
}
