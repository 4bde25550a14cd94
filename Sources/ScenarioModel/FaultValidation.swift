import ExomockLimits
import Foundation
import MicrosoftClouds

extension Fault {
    /// A field a fault kind may need or take (beside the common `service`, `kind`, `cloud`, `after`,
    /// `count`, `from`, `until` and `probability`), by its scenario name.
    public enum Field: String, Sendable, CaseIterable {
        case match, user
        case clientID = "client_id"
        case seconds, code, status
        case retryAfter = "retry_after"
        case line, bytes
        case bytesPerSecond = "bytes_per_second"
        case certificate
    }

    /// Whether this fault has `field` set.
    public func has(_ field: Field) -> Bool {
        switch field {
        case .match: match != nil
        case .user: user != nil
        case .clientID: clientID != nil
        case .seconds: seconds != nil
        case .code: code != nil
        case .status: status != nil
        case .retryAfter: retryAfter != nil
        case .line: line != nil
        case .bytes: bytes != nil
        case .bytesPerSecond: bytesPerSecond != nil
        case .certificate: certificate != nil
        }
    }
}

extension Fault.Kind {
    /// The services a fault of this kind applies to.
    public var services: [Fault.Service] {
        switch self {
        case .aadsts, .httpStatus, .truncatedBody, .malformedJSON: [.token]
        case .reply, .bye: [.imap, .pop3, .smtp]
        case .throttle: [.token, .imap, .pop3]
        case .latency, .disconnect, .reset, .stall, .closeAfter, .bandwidth, .networkLatency, .slowClose, .tlsRefuse,
            .certificate:
            Fault.Service.allCases
        }
    }

    /// The fields a fault of this kind on `service` must have.
    public func required(on service: Fault.Service) -> [Fault.Field] {
        switch self {
        case .latency, .networkLatency, .slowClose: [.seconds]
        case .aadsts: [.code]
        case .httpStatus: [.status]
        case .reply: [.line]
        case .closeAfter: [.bytes]
        case .bandwidth: [.bytesPerSecond]
        case .certificate: [.certificate]
        case .throttle, .disconnect, .truncatedBody, .malformedJSON, .bye, .reset, .stall, .tlsRefuse: []
        }
    }

    /// The fields a fault of this kind on `service` may have (the required ones included).
    public func accepted(on service: Fault.Service) -> [Fault.Field] {
        // Network kinds act per connection, before any request or user is known.
        let matching: [Fault.Field] = isNetwork ? [] : [.match, .user, .clientID]
        var own = required(on: service)
        switch self {
        case .throttle where service == .token: own.append(.seconds)
        case .httpStatus: own.append(.retryAfter)
        case .disconnect where service != .token: own.append(.bytes)
        case .reset, .stall: own.append(.bytes)
        default: break
        }
        return matching + own
    }
}

extension Fault {
    /// What is wrong with this fault in `scenario`, as (field, message, fix); the field is relative to the
    /// fault (`code`, `status`). The scenario's check (`faults[i].code`) and the admin API's `POST /faults`
    /// both use it, so the rules are written once.
    public func problems(in scenario: Scenario) -> [(field: String, message: String, fix: String)] {
        var found: [(field: String, message: String, fix: String)] = []
        func add(_ field: String, _ message: String, _ fix: String) { found.append((field, message, fix)) }
        if let cloud, !scenario.clouds.contains(cloud) {
            add(
                "cloud", "cloud '\(cloud.rawValue)' is not in `clouds`",
                "Add it to `clouds` or drop `cloud` to hit every cloud.")
        }
        guard kind.services.contains(service) else {
            let names = kind.services.map(\.rawValue)
            let list = names.count == 1 ? "the \(names[0]) service" : "the \(Self.list(names)) services"
            add(
                "kind", "`\(kind.rawValue)` faults apply to \(list) only",
                "Write `service: \(names[0])`, or use another kind (docs/faults.md lists each kind's services).")
            return found
        }
        let accepted = kind.accepted(on: service)
        for field in kind.required(on: service) where !has(field) {
            add(
                field.rawValue, "\(kind.article) `\(kind.rawValue)` fault needs \(Self.meaning(field))",
                "Add \(example(field)).")
        }
        for field in Field.allCases where has(field) && !accepted.contains(field) {
            let takers = Kind.allCases.filter { kind in
                Service.allCases.contains { kind.accepted(on: $0).contains(field) }
            }
            let message =
                takers.count == 1
                ? "only \(takers[0].article) `\(takers[0].rawValue)` fault takes `\(field.rawValue)`"
                : "\(kind.article) `\(kind.rawValue)` \(service.rawValue) fault does not take `\(field.rawValue)`"
            add(field.rawValue, message, unacceptedFix(field, takers: takers))
        }
        valueProblems(in: scenario, add)
        return found
    }

    /// The rules on values: ranges, the window's order, the reply line's shape, names the scenario knows.
    private func valueProblems(in scenario: Scenario, _ add: (String, String, String) -> Void) {
        if let status, !(500...599).contains(status) {
            add(
                "status", "\(status) is not a server error",
                "Use a status from 500 to 599 (e.g. 500 or 503); for 429 write `kind: throttle` with `seconds:`.")
        }
        if let probability, !(probability > 0 && probability <= 1) {
            add(
                "probability", "probability \(probability) is not above 0 and at most 1",
                "Write a number such as 0.25 (one matching request in four, drawn from the scenario seed); "
                    + "drop `probability` to fire always."
            )
        }
        if let from, let until, until <= from {
            add(
                "until", "`until` is not after `from`",
                "Write an `until` later than `from` (the window is from ≤ virtual time < until).")
        }
        if let seconds, !(seconds >= 0 && seconds.isFinite) {
            add("seconds", "\(seconds) seconds is not a delay", "Write a duration of zero or more, e.g. `250ms`.")
        }
        if let line, kind == .reply { lineProblems(line, add) }
        if let user, scenario.user(user) == nil, scenario.mailbox(address: user) == nil {
            add(
                "user", "'\(user)' is not a user or mailbox of the scenario",
                "Write a UPN from `users` or an address from `mailboxes`, or drop `user` to hit everyone.")
        }
        if let clientID, scenario.app(clientID: clientID) == nil {
            add(
                "client_id", "'\(clientID)' is not the client id of an app of the scenario",
                "Write a `client_id` from `apps`, or drop it to hit every app.")
        }
    }

    /// A `reply` line: one line, within the reply-line limit, shaped as the service's answers are.
    private func lineProblems(_ line: String, _ add: (String, String, String) -> Void) {
        if line.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
            add("line", "the line contains a line break or NUL", "Write one line; the server adds CRLF.")
            return
        }
        if line.utf8.count > Limits.faultReplyLineMaximumBytes {
            add(
                "line", "the line is \(line.utf8.count) bytes, longer than \(Limits.faultReplyLineMaximumBytes)",
                "Write a shorter line (POP3 and SMTP reply lines hold at most 512 bytes with CRLF).")
            return
        }
        let upper = line.uppercased()
        switch service {
        case .imap:
            let shaped = ["* ", "OK", "NO", "BAD"].contains { upper.hasPrefix($0) } && !line.isEmpty
            if !shaped {
                add(
                    "line", "'\(line)' is not an IMAP answer",
                    "Start with OK, NO or BAD (sent after the command's tag), or `* ` for an untagged line, e.g. "
                        + #""NO [UNAVAILABLE] Server busy" or "* BYE Server shutting down"."#
                )
            }
        case .pop3:
            if !(line.hasPrefix("+OK") || line.hasPrefix("-ERR")) {
                add(
                    "line", "'\(line)' is not a POP3 answer",
                    #"Start with +OK or -ERR, e.g. "-ERR [SYS/TEMP] Server busy"."#)
            }
        case .smtp:
            let code = line.prefix(3)
            let shaped =
                code.count == 3 && code.allSatisfy(\.isASCIIDigit) && ("2"..."5").contains(code.prefix(1))
                && (line.count == 3 || [" ", "-"].contains(line.dropFirst(3).prefix(1)))
            if !shaped {
                add(
                    "line", "'\(line)' is not an SMTP reply",
                    #"Start with a code from 200 to 599 and a space, e.g. "451 4.3.2 Temporary server error"."#)
            }
        case .token:
            break
        }
    }

    /// "a, b and c".
    static func list(_ names: [String]) -> String {
        names.count < 2 ? names.joined() : names.dropLast().joined(separator: ", ") + " and " + names.last!
    }

    /// What a required field gives the fault, for "needs ...".
    static func meaning(_ field: Field) -> String {
        switch field {
        case .seconds: "a delay"
        case .code: "the AADSTS code to answer with"
        case .status: "the HTTP status to answer with"
        case .line: "the line to answer with"
        case .bytes: "the bytes the server writes first"
        case .bytesPerSecond: "the rate to pace the server's writes to"
        case .certificate: "what is wrong with the certificate"
        case .match, .user, .clientID, .retryAfter: "`\(field.rawValue)`"
        }
    }

    /// "Add ..." for a missing field.
    private func example(_ field: Field) -> String {
        switch field {
        case .seconds: "`seconds:`, e.g. `seconds: 250ms` or `seconds: 2`"
        case .code: "`code:`, e.g. `code: 50076`"
        case .status: "`status:` from 500 to 599, e.g. `status: 503`"
        case .line:
            switch service {
            case .pop3: #"`line:`, e.g. `line: "-ERR [SYS/TEMP] Server busy"`"#
            case .smtp: #"`line:`, e.g. `line: "451 4.3.2 Temporary server error"`"#
            case .imap, .token: #"`line:`, e.g. `line: "NO [UNAVAILABLE] Server busy"`"#
            }
        case .bytes: "`bytes:`, the bytes the server writes first, e.g. `bytes: 1024`"
        case .bytesPerSecond: "`bytes_per_second:`, e.g. `bytes_per_second: 1024`"
        case .certificate: "`certificate: expired` or `certificate: wrong_host`"
        case .match, .user, .clientID, .retryAfter: "`\(field.rawValue):`"
        }
    }

    /// The fix for a field this kind does not take.
    private func unacceptedFix(_ field: Field, takers: [Kind]) -> String {
        switch field {
        case .match, .user, .clientID:
            return
                "Drop `\(field.rawValue)`: network faults act on whole connections, before any request or user is "
                + "known (use `after`, `count`, `probability`)."
        case .seconds where kind == .throttle:
            return "Drop `seconds`: Exchange's throttling of \(service.rawValue) has no Retry-After."
        case .bytes where kind == .disconnect:
            return
                "Drop `bytes`, or use `kind: close_after` or `kind: reset` with `bytes` to cut a token answer "
                + "after some bytes."
        case .retryAfter:
            return "Write `kind: http_status`, or drop `retry_after` (a `throttle` fault's Retry-After is `seconds:`)."
        default:
            return "Drop `\(field.rawValue)`; it is for \(Self.list(takers.map { "`\($0.rawValue)`" })) faults."
        }
    }
}

extension Fault.Kind {
    /// "a" or "an", as the kind's name is read (an `aadsts`, an `http_status`).
    var article: String { self == .aadsts || self == .httpStatus ? "an" : "a" }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
