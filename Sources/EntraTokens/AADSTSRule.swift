/// A rule the token service enforces, named in code (`EntraError(.refreshTokenInactive)`) and, by its raw
/// value, in the journal (`rule=refreshTokenInactive`). Every case has exactly one catalogue row
/// (`entry`, an exhaustive switch), so a misspelt rule or a rule without a row does not compile.
public enum AADSTSRule: String, Sendable, CaseIterable {
    // Tenant and instance.
    case tenantNotFound
    case tenantMalformed
    case consumersNotSupported
    case unknownInstance
    case crossCloudConfidentialClient
    case grantNotOnCommon
    // Request shape.
    case missingParameter
    case malformedGrant
    case unsupportedGrantType
    case unsupportedResponseType
    case invalidCodeChallengeMethod
    // Client.
    case appNotFound
    case invalidClientSecret
    case expiredClientSecret
    case missingClientSecret
    case publicClientWithSecret
    case redirectURIMismatch
    case clientAssertionMalformed
    case clientAssertionNoThumbprint
    case clientAssertionKeyNotFound
    case clientAssertionBadSignature
    case clientAssertionAudience
    case clientAssertionAudienceCount
    case clientAssertionIssuer
    case clientAssertionExpired
    // Scope and resource.
    case invalidScope
    case resourceNotFound
    case multipleResources
    case clientCredentialsNeedDefault
    case consentMissing
    case consentDeclined
    // Codes and refresh tokens.
    case codeRedeemed
    case codeExpired
    case grantMismatch
    case pkceMismatch
    case refreshTokenInactive
    case refreshTokenMaxAge
    case refreshTokenRevoked
    case refreshTokenSPAExpired
    // Users.
    case badPassword
    case userNotFound
    case userDisabled
    case mfaRequired
    case mfaRegistrationRequired
    case userNotInTenant
    case conditionalAccessBlocked
    case loginRequired
    case selectAccount
    // Device code.
    case devicePending
    case deviceSlowDown
    case deviceDeclined
    case deviceExpired
    case deviceCodeUnknown
    // Throttling and faults.
    case throttled
    case transientError
    case serverError
    case injectedFault
}
