import Determinism
import Foundation
import MicrosoftClouds

/// One row of the AADSTS catalogue: a rule the token service enforces, with Microsoft's code, OAuth
/// `error`, HTTP status and message text. `{name}` placeholders are filled per request.
///
/// This table is the only place the texts live; `docs/errors.md` is rendered from it
/// (`AADSTSCatalogue.markdown()`), and a test checks that the doc has every row.
public struct AADSTSEntry: Sendable, Equatable {
    /// The rule (`.refreshTokenInactive`); its raw value names it in the journal.
    public var rule: AADSTSRule
    public var code: Int
    /// OAuth `error` value at the token endpoint.
    public var error: String
    /// `error` value when the same rule ends an authorize request (redirect), if it differs.
    public var authorizeError: String?
    public var status: Int
    /// Message after `AADSTSnnnn: `, with `{placeholders}`.
    public var template: String
    /// MSAL `suberror`, when Microsoft sends one.
    public var suberror: String?
    /// Where the text comes from (microsoft.md section or source), and UNCONFIRMED when no primary source pins it.
    public var source: String

    public init(
        _ rule: AADSTSRule, code: Int, error: String, authorizeError: String? = nil, status: Int = 400,
        template: String,
        suberror: String? = nil, source: String
    ) {
        self.rule = rule
        self.code = code
        self.error = error
        self.authorizeError = authorizeError
        self.status = status
        self.template = template
        self.suberror = suberror
        self.source = source
    }

    /// The message with placeholders filled: `AADSTS700082: The refresh token has expired ...`.
    public func message(_ arguments: [String: String] = [:]) -> String {
        var text = template
        for (key, value) in arguments {
            text = text.replacingOccurrences(of: "{\(key)}", with: value)
        }
        return "AADSTS\(code): " + text
    }
}

/// Every error the token service answers with.
public enum AADSTSCatalogue {
    /// Every row, in the rule's declaration order (the order of `docs/errors.md`).
    public static let entries: [AADSTSEntry] = AADSTSRule.allCases.map(\.entry)

    /// The first entry with this code (for `aadsts` faults); an injected-fault row carrying the code otherwise.
    public static func code(_ code: Int) -> AADSTSEntry {
        if let entry = entries.first(where: { $0.code == code }) { return entry }
        var generic = AADSTSRule.injectedFault.entry
        generic.code = code
        return generic
    }

    /// `docs/errors.md`, rendered from the table.
    public static func markdown() -> String {
        var out = """
            # Token service errors

            Every error exomock's token service answers with, rendered from `AADSTSCatalogue.entries`
            (`Sources/EntraTokens/AADSTS.swift`). A test (`CatalogueTests`) fails when this file and the table drift.

            Error bodies are JSON in Microsoft's field order: `error`, `error_description`
            (`AADSTSnnnn: text\\r\\nTrace ID: ..\\r\\nCorrelation ID: ..\\r\\nTimestamp: ..`), `error_codes`, `timestamp`,
            `trace_id`, `correlation_id`, `error_uri` (`https://<the cloud's authority host>/error?code=NNNN`), and
            `suberror` where Microsoft sends one. Throttling is HTTP 429 with a plain-text `Too Many Requests` body and
            `Retry-After`. Errors at `/authorize` come back as a redirect to `redirect_uri` with `error`,
            `error_description` and `error_uri`, except for an unknown tenant, an unknown client or a redirect URI that
            does not match, which get an HTML error page.

            | Rule | Code | `error` | authorize `error` | HTTP | Text | Source |
            |---|---|---|---|---|---|---|

            """
        for e in entries {
            let text = e.template.replacingOccurrences(of: "|", with: "\\|")
            out +=
                "| `\(e.rule.rawValue)` | \(e.code) | `\(e.error)` | \(e.authorizeError.map { "`\($0)`" } ?? "") | \(e.status) | \(text) | \(e.source.replacingOccurrences(of: "|", with: "\\|")) |\n"
        }
        return out
    }
}

/// One error answer, before trace ids and time are attached.
public struct EntraError: Error, Sendable, Equatable {
    public var entry: AADSTSEntry
    public var message: String
    /// `Retry-After` seconds, for throttling.
    public var retryAfter: Int?

    public init(_ rule: AADSTSRule, _ arguments: [String: String] = [:]) {
        self.entry = rule.entry
        self.message = entry.message(arguments)
    }

    public init(entry: AADSTSEntry, arguments: [String: String] = [:], retryAfter: Int? = nil) {
        self.entry = entry
        self.message = entry.message(arguments)
        self.retryAfter = retryAfter
    }

    public var code: Int { entry.code }
    public var error: String { entry.error }
    public var status: Int { entry.status }

    /// The JSON error body in Microsoft's order.
    public func body(cloud: Cloud, traceID: String, correlationID: String, time: Date) -> CanonicalJSON {
        let stamp = Timestamps.microsoftErrorTimestamp(time)
        var f = OrderedFields()
        f.add("error", entry.error)
        f.add(
            "error_description",
            "\(message)\r\nTrace ID: \(traceID)\r\nCorrelation ID: \(correlationID)\r\nTimestamp: \(stamp)")
        f.add("error_codes", json: .array([.int(entry.code)]))
        f.add("timestamp", stamp)
        f.add("trace_id", traceID)
        f.add("correlation_id", correlationID)
        f.add("error_uri", "https://\(cloud.authorityHost)/error?code=\(entry.code)")
        f.add("suberror", entry.suberror)
        return f.json
    }
}
