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

    /// Applies the scenario's token faults for `name`; returns the response that replaces the normal one.
    func applyFault(_ name: String, connection: String, requestID: String, detail: [String: String]) async -> Response?
    {
        guard let action = issuer.fault(matching: name) else { return nil }
        switch action {
        case .throttle(let seconds):
            return throttled(retryAfter: seconds, connection: connection, requestID: requestID, detail: detail)
        case .error(let e):
            var d = detail
            d["fault"] = "aadsts"
            return errorResponse(e, connection: connection, requestID: requestID, detail: d)
        case .serverError(let e, let status, let retryAfter):
            var d = detail
            d["fault"] = "http_status"
            return errorResponse(
                e, connection: connection, requestID: requestID, detail: d, status: status, retryAfter: retryAfter)
        case .latency(let seconds):
            record(connection, .faultLatency, ["seconds": String(seconds)])
            try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            return nil
        case .disconnect:
            // DisconnectFaultHandler closes the connection when it sees the marker (a server set up
            // without it, as in router tests, sends this empty 502 instead).
            var d = detail
            d["fault"] = "disconnect"
            record(connection, .faultDisconnect, d)
            var h = Self.headers(contentType: "text/plain", requestID: requestID)
            h[disconnectFaultMarker] = "1"
            return Response(status: .badGateway, headers: h, body: Self.body(""))
        case .truncatedBody, .malformedJSON:
            return nil
        }
    }
}
