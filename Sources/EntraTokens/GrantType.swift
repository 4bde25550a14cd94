/// The `grant_type` values the token endpoint serves. Anything else gets AADSTS70003.
public enum GrantType: String, Sendable, CaseIterable {
    case authorizationCode = "authorization_code"
    case refreshToken = "refresh_token"
    case clientCredentials = "client_credentials"
    case password
    /// RFC 8628's URN; Microsoft also takes the bare `device_code`.
    case deviceCode = "urn:ietf:params:oauth:grant-type:device_code"

    /// The grant a `grant_type` parameter names, `device_code` included; nil for one this service does not serve.
    public init?(parameter: String) {
        if parameter == "device_code" {
            self = .deviceCode
        } else {
            self.init(rawValue: parameter)
        }
    }
}
