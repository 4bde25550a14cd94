import Determinism
import Foundation
import MicrosoftClouds

/// One row of the AADSTS catalogue: a rule the token service enforces, with Microsoft's code, OAuth
/// `error`, HTTP status and message text. `{name}` placeholders are filled per request.
///
/// This table is the only place the texts live; `docs/errors.md` is rendered from it
/// (`AADSTSCatalogue.markdown()`), and a test checks that the doc has every row.
public struct AADSTSEntry: Sendable, Equatable {
    /// Stable name of the rule (`refreshTokenInactive`), used in code and in the journal.
    public var rule: String
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
        rule: String, code: Int, error: String, authorizeError: String? = nil, status: Int = 400, template: String,
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
    public static let entries: [AADSTSEntry] = [
        // Tenant and instance.
        AADSTSEntry(rule: "tenantNotFound", code: 90002, error: "invalid_request",
            template: "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.",
            source: "microsoft.md §4.2 (real log, azure-cli #22145)"),
        AADSTSEntry(rule: "tenantMalformed", code: 900023, error: "invalid_request",
            template: "Specified tenant identifier '{tenant}' is neither a valid DNS name, nor a valid external domain.",
            source: "microsoft.md §2.1, §4.2 (real logs)"),
        AADSTSEntry(rule: "consumersNotSupported", code: 9002331, error: "unauthorized_client",
            template: "Application '{appid}'({name}) is configured for use by Azure Active Directory users only. Please do not use the /consumers endpoint to serve this request.",
            source: "UNCONFIRMED (not in the reference; text as commonly reported for work-account apps on /consumers)"),
        AADSTSEntry(rule: "unknownInstance", code: 50049, error: "invalid_instance",
            template: "Unknown or invalid instance.", source: "microsoft.md §2.1 (instance-discovery recordings)"),
        // Request shape.
        AADSTSEntry(rule: "missingParameter", code: 900144, error: "invalid_request",
            template: "The request body must contain the following parameter: '{parameter}'.",
            source: "microsoft.md §4.2 (real logs)"),
        AADSTSEntry(rule: "malformedGrant", code: 9002313, error: "invalid_grant",
            template: "Invalid request. Request is malformed or invalid.",
            source: "microsoft.md §4.2 (real logs: garbled refresh token or code)"),
        AADSTSEntry(rule: "unsupportedGrantType", code: 70003, error: "unsupported_grant_type",
            template: "The app requested an unsupported grant type '{grant_type}'.",
            source: "microsoft.md §4.2; text UNCONFIRMED (third-party mocks only)"),
        AADSTSEntry(rule: "unsupportedResponseType", code: 700054, error: "unsupported_response_type",
            template: "response_type '{response_type}' is not enabled for the application.",
            source: "UNCONFIRMED (not in the reference); exomock supports response_type=code only"),
        AADSTSEntry(rule: "invalidCodeChallengeMethod", code: 50149, error: "invalid_request",
            template: "Invalid Code_Challenge_method parameter.",
            source: "ERRS table (entra-docs reference-error-codes.md); runtime text UNCONFIRMED"),
        // Client.
        AADSTSEntry(rule: "appNotFound", code: 700016, error: "unauthorized_client",
            template: "Application with identifier '{appid}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
            source: "microsoft.md §4.2 (real logs)"),
        AADSTSEntry(rule: "invalidClientSecret", code: 7000215, error: "invalid_client", status: 401,
            template: "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{appid}'.",
            source: "microsoft.md §4.1, §4.2 (real logs, HTTP 401)"),
        AADSTSEntry(rule: "expiredClientSecret", code: 7000222, error: "invalid_client", status: 401,
            template: "The provided client secret keys for app '{appid}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.",
            source: "microsoft.md §4.2 (real logs); status 401 as for every invalid_client"),
        AADSTSEntry(rule: "missingClientSecret", code: 7000218, error: "invalid_client", status: 401,
            template: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            source: "microsoft.md §4.2 (real logs)"),
        AADSTSEntry(rule: "publicClientWithSecret", code: 700025, error: "invalid_client", status: 401,
            template: "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
            source: "microsoft.md §4.2 (real logs)"),
        AADSTSEntry(rule: "redirectURIMismatch", code: 50011, error: "invalid_request",
            template: "The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{appid}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.",
            source: "microsoft.md §4.2 (real logs); shown on the authorize error page"),
        // Scope and resource.
        AADSTSEntry(rule: "invalidScope", code: 70011, error: "invalid_scope",
            template: "The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid.",
            source: "microsoft.md §4.1, §4.2 (CCG doc + real logs)"),
        AADSTSEntry(rule: "resourceNotFound", code: 500011, error: "invalid_resource",
            template: "The resource principal named {resource} was not found in the tenant named {tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.",
            source: "microsoft.md §4.2 (real logs, wrong-cloud Outlook resource)"),
        AADSTSEntry(rule: "multipleResources", code: 28000, error: "invalid_scope",
            template: "Provided value for the input parameter scope is not valid because it contains more than one resource. Scope {scope} is not valid.",
            source: "UNCONFIRMED (not in the reference)"),
        AADSTSEntry(rule: "clientCredentialsNeedDefault", code: 1002012, error: "invalid_scope",
            template: "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
            source: "UNCONFIRMED (not in the reference)"),
        AADSTSEntry(rule: "consentMissing", code: 65001, error: "invalid_grant", authorizeError: "consent_required",
            template: "The user or administrator has not consented to use the application with ID '{appid}' named '{name}'. Send an interactive authorization request for this user and resource.",
            source: "microsoft.md §4.2 (real logs)"),
        AADSTSEntry(rule: "consentDeclined", code: 65004, error: "access_denied", authorizeError: "access_denied",
            template: "User declined to consent to access the app.",
            source: "ERRS (UserDeclinedConsent); runtime text UNCONFIRMED"),
        // Codes and refresh tokens.
        AADSTSEntry(rule: "codeRedeemed", code: 54005, error: "invalid_grant",
            template: "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
            source: "microsoft.md §4.2 (real logs)"),
        AADSTSEntry(rule: "codeExpired", code: 70008, error: "invalid_grant",
            template: "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
            source: "microsoft.md §4.2 (azure-sdk-for-net test string; V1DOC)"),
        AADSTSEntry(rule: "grantMismatch", code: 70000, error: "invalid_grant",
            template: "The provided access grant is invalid or malformed.",
            source: "microsoft.md §4.2 (older real-log form); used when a code or refresh token was issued to another client"),
        AADSTSEntry(rule: "pkceMismatch", code: 501481, error: "invalid_grant",
            template: "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
            source: "real logs (AzureAD/microsoft-authentication-library-for-js #2694, #3248); ERRS row AADSTS501481"),
        AADSTSEntry(rule: "refreshTokenInactive", code: 700082, error: "invalid_grant",
            template: "The refresh token has expired due to inactivity. The token was issued on {issued} and was inactive for {inactive}.",
            suberror: "bad_token", source: "microsoft.md §4.2 (real logs)"),
        AADSTSEntry(rule: "refreshTokenMaxAge", code: 70043, error: "invalid_grant",
            template: "The refresh token has expired or is invalid due to sign-in frequency checks by conditional access. The token was issued on {issued} and the maximum allowed lifetime for this request is {max_age}.",
            suberror: "token_expired",
            source: "microsoft.md §4.2 (real logs); exomock uses it for lifetimes.refresh_token_max_age (UNCONFIRMED mapping)"),
        AADSTSEntry(rule: "refreshTokenRevoked", code: 50173, error: "invalid_grant",
            template: "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '{issued}' and the TokensValidFrom date (before which tokens are not valid) for this user is '{valid_from}'.",
            source: "microsoft.md §4.2 (real logs)"),
        // Users.
        AADSTSEntry(rule: "badPassword", code: 50126, error: "invalid_grant",
            template: "Error validating credentials due to invalid username or password.",
            source: "microsoft.md §4.2 (real logs, ROPC)"),
        AADSTSEntry(rule: "userNotFound", code: 50034, error: "invalid_grant",
            template: "The user account {EmailHidden} does not exist in the {tenant} directory. To sign into this application, the account must be added to the directory.",
            source: "microsoft.md §4.2 (real logs)"),
        AADSTSEntry(rule: "userDisabled", code: 50057, error: "invalid_grant", authorizeError: "access_denied",
            template: "The user account is disabled.",
            source: "ERRS (UserDisabled); runtime text UNCONFIRMED"),
        AADSTSEntry(rule: "mfaRequired", code: 50076, error: "invalid_grant", authorizeError: "interaction_required",
            template: "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '{resource}'.",
            suberror: "basic_action",
            source: "microsoft.md §4.2 (real logs); `invalid_grant` + suberror as MSAL surfaces it"),
        AADSTSEntry(rule: "conditionalAccessBlocked", code: 53003, error: "invalid_grant", authorizeError: "access_denied",
            template: "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
            source: "microsoft.md §4.2 (real 2025 log, HTTP 400); authorize `access_denied` UNCONFIRMED"),
        AADSTSEntry(rule: "loginRequired", code: 50058, error: "invalid_grant", authorizeError: "login_required",
            template: "A silent sign-in request was sent but no user is signed in.",
            source: "ERRS (UserInformationNotProvided); runtime text UNCONFIRMED"),
        AADSTSEntry(rule: "selectAccount", code: 16000, error: "invalid_grant", authorizeError: "interaction_required",
            template: "Either multiple user identities are available for the current request or selected account is not supported for the scenario.",
            source: "ERRS (SelectUserAccount); runtime text UNCONFIRMED"),
        // Device code.
        AADSTSEntry(rule: "devicePending", code: 70016, error: "authorization_pending",
            template: "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
            source: "real logs (2023, squarephish #3; 2025 ESPTeamsPresence #49)"),
        AADSTSEntry(rule: "deviceSlowDown", code: 70016, error: "slow_down",
            template: "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
            source: "RFC 8628 §3.5; Entra sending slow_down is UNCONFIRMED (exomock: a poll sooner than `interval` virtual seconds after the previous one)"),
        AADSTSEntry(rule: "deviceDeclined", code: 70000, error: "authorization_declined",
            template: "The request was denied because one or more scopes requested are unauthorized or expired. The user must first sign in and grant the client application access to the requested scope.",
            source: "DEVCODE error name; code and text UNCONFIRMED"),
        AADSTSEntry(rule: "deviceExpired", code: 70019, error: "expired_token",
            template: "Verification code expired.",
            source: "ERRS (CodeExpired); runtime text UNCONFIRMED"),
        AADSTSEntry(rule: "deviceCodeUnknown", code: 70018, error: "bad_verification_code",
            template: "Invalid verification code due to user typing in wrong user code for device code flow. Authorization isn't approved.",
            source: "ERRS (BadVerificationCode); runtime text UNCONFIRMED"),
        // Throttling and faults.
        AADSTSEntry(rule: "throttled", code: 90055, error: "temporarily_unavailable", status: 429,
            template: "Too Many Requests",
            source: "microsoft.md §5: HTTP 429, plain-text body `Too Many Requests`, `Retry-After` (no JSON, so no code on the wire)"),
        AADSTSEntry(rule: "injectedFault", code: 0, error: "invalid_request",
            template: "This error was injected by the scenario's `faults` entry.",
            source: "exomock: an `aadsts` fault whose code is not in this catalogue"),
    ]

    /// The entry for a rule name. Every rule the code names is in the table (a test checks this).
    public static func rule(_ name: String) -> AADSTSEntry {
        entries.first { $0.rule == name } ?? entries.last!
    }

    /// The first entry with this code (for `aadsts` faults); an injected-fault row carrying the code otherwise.
    public static func code(_ code: Int) -> AADSTSEntry {
        if let entry = entries.first(where: { $0.code == code }) { return entry }
        var generic = rule("injectedFault")
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
            out += "| `\(e.rule)` | \(e.code) | `\(e.error)` | \(e.authorizeError.map { "`\($0)`" } ?? "") | \(e.status) | \(text) | \(e.source.replacingOccurrences(of: "|", with: "\\|")) |\n"
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

    public init(_ rule: String, _ arguments: [String: String] = [:]) {
        self.entry = AADSTSCatalogue.rule(rule)
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
        f.add("error_description", "\(message)\r\nTrace ID: \(traceID)\r\nCorrelation ID: \(correlationID)\r\nTimestamp: \(stamp)")
        f.add("error_codes", json: .array([.int(entry.code)]))
        f.add("timestamp", stamp)
        f.add("trace_id", traceID)
        f.add("correlation_id", correlationID)
        f.add("error_uri", "https://\(cloud.authorityHost)/error?code=\(entry.code)")
        f.add("suberror", entry.suberror)
        return f.json
    }
}
