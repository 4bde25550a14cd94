import MicrosoftClouds

extension Fault {
    /// What is wrong with this fault in a scenario serving `clouds`, as (field, message, fix); the field
    /// is relative to the fault (`code`, `status`). The scenario's check (`faults[i].code`) and the admin
    /// API's `POST /faults` both use it, so the rules are written once.
    public func problems(clouds: [CloudName]) -> [(field: String, message: String, fix: String)] {
        var found: [(field: String, message: String, fix: String)] = []
        func add(_ field: String, _ message: String, _ fix: String) { found.append((field, message, fix)) }
        if let cloud, !clouds.contains(cloud) {
            add(
                "cloud", "cloud '\(cloud.rawValue)' is not in `clouds`",
                "Add it to `clouds` or drop `cloud` to hit every cloud.")
        }
        if kind == .aadsts, code == nil {
            add("code", "an `aadsts` fault needs the AADSTS code to answer with", "Add `code:`, e.g. `code: 50076`.")
        }
        if kind == .httpStatus, status == nil {
            add(
                "status", "an `http_status` fault needs the HTTP status to answer with",
                "Add `status:` from 500 to 599, e.g. `status: 503`.")
        }
        if kind != .httpStatus, status != nil || retryAfter != nil {
            add(
                status != nil ? "status" : "retry_after", "only an `http_status` fault has a status or a `retry_after`",
                "Write `kind: http_status`, or drop the field (a `throttle` fault's Retry-After is `seconds:`).")
        }
        if kind == .aadsts || kind == .throttle || kind == .httpStatus, service != .token {
            add(
                "kind", "`\(kind.rawValue)` faults apply to the token service only",
                "Write `service: token`, or use `latency` or `disconnect` for mail.")
        }
        if kind == .latency, seconds == nil {
            add("seconds", "a `latency` fault needs a delay", "Add `seconds:`, e.g. `seconds: 250ms`.")
        }
        return found
    }
}
