/// Who changed a user's password, and where: Microsoft's refresh-token revocation table has one row
/// per surface (learn.microsoft.com/entra/identity-platform/refresh-tokens, "Token revocation").
public enum PasswordChangeSurface: String, Sendable, Equatable, Codable, CaseIterable {
    /// The user changed their own password (`change_password`).
    case user
    /// The user reset it through self-service password reset (SSPR).
    case selfService = "self_service"
    /// An administrator reset it in the Azure portal.
    case azurePortal = "azure_portal"
    /// An administrator reset it in the Microsoft Entra admin center (the default for `reset_password`).
    case entraAdminCenter = "entra_admin_center"
    /// An administrator reset it in the Microsoft 365 admin center.
    case m365AdminCenter = "m365_admin_center"
}
