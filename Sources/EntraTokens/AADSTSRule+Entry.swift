/// The catalogue rows, one per rule, in an exhaustive switch (the rule enum is in `AADSTSRule.swift`).
extension AADSTSRule {
    /// This rule's row: Microsoft's code, `error`, HTTP status and text, and where they come from.
    /// The only place the texts live.
    public var entry: AADSTSEntry {
        switch self {
        // Tenant and instance.
        case .tenantNotFound:
            AADSTSEntry(
                self, code: 90002, error: "invalid_request",
                template:
                    "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.",
                source: "microsoft.md §4.2 (real log, azure-cli #22145)")
        case .tenantMalformed:
            AADSTSEntry(
                self, code: 900023, error: "invalid_request",
                template:
                    "Specified tenant identifier '{tenant}' is neither a valid DNS name, nor a valid external domain.",
                source: "microsoft.md §2.1, §4.2 (real logs)")
        case .consumersNotSupported:
            AADSTSEntry(
                self, code: 9_002_331, error: "unauthorized_client",
                template:
                    "Application '{appid}'({name}) is configured for use by Azure Active Directory users only. Please do not use the /consumers endpoint to serve this request.",
                source:
                    "UNCONFIRMED (not in the reference; text as commonly reported for work-account apps on /consumers)")
        case .crossCloudConfidentialClient:
            AADSTSEntry(
                self, code: 900382, error: "invalid_request",
                template: "Confidential Client is not supported in Cross Cloud request.",
                source:
                    "microsoft.md §4.2 (real logs: a client secret sent to login.microsoftonline.com for a US Gov tenant, HTTP 400); which requests count as confidential is UNCONFIRMED (exomock: any that sends client_secret, client_assertion or HTTP Basic)"
            )
        case .grantNotOnCommon:
            AADSTSEntry(
                self, code: 9_001_023, error: "invalid_request",
                template:
                    "The grant type isn't supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.",
                source:
                    "microsoft.md §2.1 (ERRS: client_credentials and ROPC need /organizations or a tenant); runtime text and `error` UNCONFIRMED"
            )
        case .unknownInstance:
            AADSTSEntry(
                self, code: 50049, error: "invalid_instance",
                template: "Unknown or invalid instance.", source: "microsoft.md §2.1 (instance-discovery recordings)")
        // Request shape.
        case .missingParameter:
            AADSTSEntry(
                self, code: 900144, error: "invalid_request",
                template: "The request body must contain the following parameter: '{parameter}'.",
                source: "microsoft.md §4.2 (real logs)")
        case .malformedGrant:
            AADSTSEntry(
                self, code: 9_002_313, error: "invalid_grant",
                template: "Invalid request. Request is malformed or invalid.",
                source: "microsoft.md §4.2 (real logs: garbled refresh token or code)")
        case .unsupportedGrantType:
            AADSTSEntry(
                self, code: 70003, error: "unsupported_grant_type",
                template: "The app requested an unsupported grant type '{grant_type}'.",
                source: "microsoft.md §4.2; text UNCONFIRMED (third-party mocks only)")
        case .unsupportedResponseType:
            AADSTSEntry(
                self, code: 700054, error: "unsupported_response_type",
                template: "response_type '{response_type}' is not enabled for the application.",
                source: "UNCONFIRMED (not in the reference); exomock supports response_type=code only")
        case .invalidCodeChallengeMethod:
            AADSTSEntry(
                self, code: 50149, error: "invalid_request",
                template: "Invalid Code_Challenge_method parameter.",
                source: "ERRS table (entra-docs reference-error-codes.md); runtime text UNCONFIRMED")
        // Client.
        case .appNotFound:
            AADSTSEntry(
                self, code: 700016, error: "unauthorized_client",
                template:
                    "Application with identifier '{appid}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
                source: "microsoft.md §4.2 (real logs)")
        case .invalidClientSecret:
            AADSTSEntry(
                self, code: 7_000_215, error: "invalid_client", status: 401,
                template:
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{appid}'.",
                source: "microsoft.md §4.1, §4.2 (real logs, HTTP 401)")
        case .expiredClientSecret:
            AADSTSEntry(
                self, code: 7_000_222, error: "invalid_client", status: 401,
                template:
                    "The provided client secret keys for app '{appid}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.",
                source: "microsoft.md §4.2 (real logs); status 401 as for every invalid_client")
        case .missingClientSecret:
            AADSTSEntry(
                self, code: 7_000_218, error: "invalid_client", status: 401,
                template:
                    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
                source: "microsoft.md §4.2 (real logs)")
        case .publicClientWithSecret:
            AADSTSEntry(
                self, code: 700025, error: "invalid_client", status: 401,
                template: "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
                source: "microsoft.md §4.2 (real logs)")
        case .clientAssertionMalformed:
            AADSTSEntry(
                self, code: 50027, error: "invalid_client", status: 401, template: "JWT token is invalid or malformed.",
                source: "ERRS (InvalidJwtToken); runtime text for a client assertion UNCONFIRMED")
        case .clientAssertionNoThumbprint:
            AADSTSEntry(
                self, code: 50027, error: "invalid_client", status: 401,
                template: "Invalid JWT token. No certificate thumbprint specified in token header.",
                source: "real log (MSAL.NET #124, 2016, as AADSTS70002 + AADSTS50027); current form UNCONFIRMED")
        case .clientAssertionKeyNotFound:
            AADSTSEntry(
                self, code: 700027, error: "invalid_client", status: 401,
                template:
                    "The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '{thumbprint}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '{appid}'. Review the documentation at https://docs.microsoft.com/en-us/graph/deployments to determine the corresponding service endpoint and https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http to build a query request URL, such as 'https://graph.microsoft.com/beta/applications/{appid}']. Alternatively, SNI may be configured on the app. Please ensure that client assertion is being sent with the x5c claim in the JWT header using MSAL's WithSendX5C() method so that Azure Active Directory can validate the certificate being used.",
                source:
                    "real logs (microsoft-authentication-library-for-js #8339, 2026; azure-sdk-for-net #29007, 2022); not in microsoft.md"
            )
        case .clientAssertionBadSignature:
            AADSTSEntry(
                self, code: 700027, error: "invalid_client", status: 401,
                template:
                    "Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '{thumbprint}', Found key 'Start={start}, End={end}']",
                source:
                    "real logs: the prefix (pnp/cli-microsoft365 #1621), the bracket (azure-sdk-for-java #25109, as AADSTS50013); the combination UNCONFIRMED"
            )
        case .clientAssertionAudience:
            AADSTSEntry(
                self, code: 50012, error: "invalid_client", status: 401,
                template: "Client assertion audience claim does not match Realm issuer.",
                source:
                    "real logs (azure-activedirectory-library-for-python #79, 2017, as AADSTS70002 + AADSTS50012; microsoft-identity-web #16, 2020); current text UNCONFIRMED"
            )
        case .clientAssertionAudienceCount:
            AADSTSEntry(
                self, code: 5_002_741, error: "invalid_client", status: 401,
                template:
                    "Number of audience values in the provided client credential exceed maximum allowed. {count} audience values provided, maximum allowed is 1.",
                source: "real log (zitadel/oidc #887, 2026); `error` value UNCONFIRMED")
        case .clientAssertionIssuer:
            AADSTSEntry(
                self, code: 700021, error: "invalid_client", status: 401,
                template: "Client assertion application identifier doesn't match 'client_id' parameter.",
                source: "UNCONFIRMED (not in the reference)")
        case .clientAssertionExpired:
            AADSTSEntry(
                self, code: 700024, error: "invalid_client", status: 401,
                template:
                    "Client assertion is not within its valid time range. Current time: {now}, assertion valid from {nbf}, expiry time of assertion {exp}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
                source: "real logs (microsoft-authentication-library-for-java #984, 2025; for-dotnet #4951, 2024)")
        case .redirectURIMismatch:
            AADSTSEntry(
                self, code: 50011, error: "invalid_request",
                template:
                    "The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{appid}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.",
                source: "microsoft.md §4.2 (real logs); shown on the authorize error page")
        // Scope and resource.
        case .invalidScope:
            AADSTSEntry(
                self, code: 70011, error: "invalid_scope",
                template:
                    "The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid.",
                source: "microsoft.md §4.1, §4.2 (CCG doc + real logs)")
        case .resourceNotFound:
            AADSTSEntry(
                self, code: 500011, error: "invalid_resource",
                template:
                    "The resource principal named {resource} was not found in the tenant named {tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.",
                source: "microsoft.md §4.2 (real logs, wrong-cloud Outlook resource)")
        case .multipleResources:
            AADSTSEntry(
                self, code: 28000, error: "invalid_scope",
                template:
                    "Provided value for the input parameter scope is not valid because it contains more than one resource. Scope {scope} is not valid.",
                source: "UNCONFIRMED (not in the reference)")
        case .clientCredentialsNeedDefault:
            AADSTSEntry(
                self, code: 1_002_012, error: "invalid_scope",
                template:
                    "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
                source: "UNCONFIRMED (not in the reference)")
        case .consentMissing:
            AADSTSEntry(
                self, code: 65001, error: "invalid_grant", authorizeError: "consent_required",
                template:
                    "The user or administrator has not consented to use the application with ID '{appid}' named '{name}'. Send an interactive authorization request for this user and resource.",
                source: "microsoft.md §4.2 (real logs)")
        case .consentDeclined:
            AADSTSEntry(
                self, code: 65004, error: "access_denied", authorizeError: "access_denied",
                template: "User declined to consent to access the app.",
                source: "ERRS (UserDeclinedConsent); runtime text UNCONFIRMED")
        // Codes and refresh tokens.
        case .codeRedeemed:
            AADSTSEntry(
                self, code: 54005, error: "invalid_grant",
                template:
                    "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
                source: "microsoft.md §4.2 (real logs)")
        case .codeExpired:
            AADSTSEntry(
                self, code: 70008, error: "invalid_grant",
                template:
                    "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
                source: "microsoft.md §4.2 (azure-sdk-for-net test string; V1DOC)")
        case .grantMismatch:
            AADSTSEntry(
                self, code: 70000, error: "invalid_grant",
                template: "The provided access grant is invalid or malformed.",
                source:
                    "microsoft.md §4.2 (older real-log form); used when a code or refresh token was issued to another client"
            )
        case .pkceMismatch:
            AADSTSEntry(
                self, code: 501481, error: "invalid_grant",
                template: "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
                source:
                    "real logs (AzureAD/microsoft-authentication-library-for-js #2694, #3248); ERRS row AADSTS501481")
        case .refreshTokenInactive:
            AADSTSEntry(
                self, code: 700082, error: "invalid_grant",
                template:
                    "The refresh token has expired due to inactivity. The token was issued on {issued} and was inactive for {inactive}.",
                suberror: "bad_token", source: "microsoft.md §4.2 (real logs)")
        case .refreshTokenMaxAge:
            AADSTSEntry(
                self, code: 70043, error: "invalid_grant",
                template:
                    "The refresh token has expired or is invalid due to sign-in frequency checks by conditional access. The token was issued on {issued} and the maximum allowed lifetime for this request is {max_age}.",
                suberror: "token_expired",
                source:
                    "microsoft.md §4.2 (real logs); exomock: users[]/apps[].sign_in_frequency and lifetimes.refresh_token_max_age"
            )
        case .refreshTokenRevoked:
            AADSTSEntry(
                self, code: 50173, error: "invalid_grant",
                template:
                    "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '{issued}' and the TokensValidFrom date (before which tokens are not valid) for this user is '{valid_from}'.",
                source: "microsoft.md §4.2 (real logs)")
        case .refreshTokenSPAExpired:
            AADSTSEntry(
                self, code: 700084, error: "invalid_grant",
                template:
                    "The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime of {lifetime}, which cannot be extended. It is now expired and a new sign in request must be sent by the SPA to the sign in page. The token was issued on {issued}.",
                source: "microsoft.md §4.2 (real logs); the 24-hour fixed lifetime: §3 Lifetimes (RT)")
        // Users.
        case .badPassword:
            AADSTSEntry(
                self, code: 50126, error: "invalid_grant",
                template: "Error validating credentials due to invalid username or password.",
                source: "microsoft.md §4.2 (real logs, ROPC)")
        case .userNotFound:
            AADSTSEntry(
                self, code: 50034, error: "invalid_grant",
                template:
                    "The user account {EmailHidden} does not exist in the {tenant} directory. To sign into this application, the account must be added to the directory.",
                source: "microsoft.md §4.2 (real logs)")
        case .userDisabled:
            AADSTSEntry(
                self, code: 50057, error: "invalid_grant", authorizeError: "access_denied",
                template: "The user account is disabled.",
                source: "ERRS (UserDisabled); runtime text UNCONFIRMED")
        case .mfaRequired:
            AADSTSEntry(
                self, code: 50076, error: "interaction_required", authorizeError: "interaction_required",
                template:
                    "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '{resource}'.",
                suberror: "basic_action",
                source:
                    "microsoft.md §4.2 (real logs: `interaction_required`); suberror `basic_action` as seen via MSAL (§4.1)"
            )
        case .mfaRegistrationRequired:
            AADSTSEntry(
                self, code: 50079, error: "interaction_required", authorizeError: "interaction_required",
                template:
                    "Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access '{resource}'.",
                source: "microsoft.md §4.2 (OBO doc example; MSAL JS test); no suberror (none recorded)")
        case .userNotInTenant:
            AADSTSEntry(
                self, code: 50020, error: "invalid_request",
                template:
                    "User account '{upn}' from identity provider '{idp}' does not exist in tenant '{tenant}' and cannot access the application '{appid}'({name}) in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Azure Active Directory user account.",
                source:
                    "microsoft.md §4.2 (real logs); at /authorize shown on the error page (\"interactive page\"), the `idp` is the user's tenant's v1 issuer (UNCONFIRMED)"
            )
        case .conditionalAccessBlocked:
            AADSTSEntry(
                self, code: 53003, error: "invalid_grant", authorizeError: "access_denied",
                template:
                    "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
                source: "microsoft.md §4.2 (real 2025 log, HTTP 400); authorize `access_denied` UNCONFIRMED")
        case .loginRequired:
            AADSTSEntry(
                self, code: 50058, error: "invalid_grant", authorizeError: "login_required",
                template: "A silent sign-in request was sent but no user is signed in.",
                source: "ERRS (UserInformationNotProvided); runtime text UNCONFIRMED")
        case .selectAccount:
            AADSTSEntry(
                self, code: 16000, error: "invalid_grant", authorizeError: "interaction_required",
                template:
                    "Either multiple user identities are available for the current request or selected account is not supported for the scenario.",
                source: "ERRS (SelectUserAccount); runtime text UNCONFIRMED")
        // Device code.
        case .devicePending:
            AADSTSEntry(
                self, code: 70016, error: "authorization_pending",
                template: "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
                source: "real logs (2023, squarephish #3; 2025 ESPTeamsPresence #49)")
        case .deviceSlowDown:
            AADSTSEntry(
                self, code: 70016, error: "slow_down",
                template: "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
                source:
                    "RFC 8628 §3.5; Entra sending slow_down is UNCONFIRMED (exomock: a poll sooner than `interval` virtual seconds after the previous one)"
            )
        case .deviceDeclined:
            AADSTSEntry(
                self, code: 70000, error: "authorization_declined",
                template:
                    "The request was denied because one or more scopes requested are unauthorized or expired. The user must first sign in and grant the client application access to the requested scope.",
                source: "DEVCODE error name; code and text UNCONFIRMED")
        case .deviceExpired:
            AADSTSEntry(
                self, code: 70019, error: "expired_token",
                template: "Verification code expired.",
                source: "ERRS (CodeExpired); runtime text UNCONFIRMED")
        case .deviceCodeUnknown:
            AADSTSEntry(
                self, code: 70018, error: "bad_verification_code",
                template:
                    "Invalid verification code due to user typing in wrong user code for device code flow. Authorization isn't approved.",
                source: "ERRS (BadVerificationCode); runtime text UNCONFIRMED")
        // Throttling and faults.
        case .throttled:
            AADSTSEntry(
                self, code: 90055, error: "temporarily_unavailable", status: 429,
                template: "Too Many Requests",
                source:
                    "microsoft.md §5: HTTP 429, plain-text body `Too Many Requests`, `Retry-After` (no JSON, so no code on the wire)"
            )
        case .transientError:
            AADSTSEntry(
                self, code: 90033, error: "temporarily_unavailable", status: 503,
                template: "A transient error has occurred. Please try again.",
                source:
                    "real log (HTTP 503, azure-sdk-for-python #14241); microsoft.md §4.1 (`5xx` with temporarily_unavailable); answered by an `http_status` fault with status 503"
            )
        case .serverError:
            AADSTSEntry(
                self, code: 90033, error: "server_error", status: 500,
                template: "A transient error has occurred. Please try again.",
                source:
                    "microsoft.md §4.1 (`5xx` with server_error); code and text UNCONFIRMED (503's); answered by an `http_status` fault with any 5xx status but 503"
            )
        case .injectedFault:
            AADSTSEntry(
                self, code: 0, error: "invalid_request",
                template: "This error was injected by the scenario's `faults` entry.",
                source: "exomock: an `aadsts` fault whose code is not in this catalogue")
        }
    }
}
