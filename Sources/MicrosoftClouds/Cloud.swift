import Foundation

/// The Microsoft clouds exomock can stand in for, and the facts that differ between them.
///
/// This file is the one place where per-cloud behaviour lives. Every service reads these values; no
/// service keeps a copy per cloud. Sources are in `docs/clouds.md` (rendered from this table by
/// `exomock clouds --markdown`) and `../shared/reference/microsoft.md` §1.
public enum CloudName: String, CaseIterable, Sendable, Codable, Hashable, Comparable {
    case worldwide
    case gcc
    case gccHigh = "gcc-high"
    case dod
    case china

    public static func < (lhs: CloudName, rhs: CloudName) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One cloud's hosts, resources and token shapes.
public struct Cloud: Sendable, Hashable {
    public var name: CloudName
    /// Human-readable name, as Microsoft's docs write it.
    public var displayName: String
    /// Entra ID authority host (`login.microsoftonline.us`).
    public var authorityHost: String
    /// Other host names instance discovery lists for the same authority.
    public var authorityAliases: [String]
    /// Exchange Online hosts that serve IMAP and POP3 (the first is the one clients are told to use).
    public var outlookHosts: [String]
    /// SMTP submission host.
    public var smtpHost: String
    /// The resource URL delegated IMAP/POP/SMTP scopes are built on (`https://outlook.office365.us`).
    public var scopeResource: String
    /// Other resource URLs Microsoft accepts as a prefix for the same scopes in this cloud.
    public var alternateScopeResources: [String]
    /// The `.default` resource for client credentials (`https://outlook.office365.us/.default`).
    public var appResource: String
    /// `aud` of delegated Outlook tokens minted by this cloud.
    public var delegatedAudience: String
    /// `aud` of app-only Outlook tokens minted by this cloud.
    public var appAudience: String
    /// Every `aud` this cloud's IMAP and POP3 servers accept.
    public var acceptedMailAudiences: [String]
    /// Microsoft Graph host.
    public var graphHost: String
    /// v1 token issuer with `{tenant}` in place of the tenant id (`https://sts.windows.net/{tenant}/`).
    public var v1IssuerTemplate: String
    /// Device-code verification URI shown to users.
    public var deviceLoginURL: String
    /// Loopback address this cloud binds to in `serve --hosts` mode.
    public var hostsModeAddress: String
    /// `tenant_region_scope` in this cloud's OpenID configuration (`WW`, `NA`, `USGov`).
    public var tenantRegionScope: String
    /// `tenant_region_sub_scope` (`GCC`, `DODCON`, `DOD`), or nil where discovery has none.
    public var tenantRegionSubScope: String?
    /// Facts in this row that no primary source pins down (see the fidelity table).
    public var unconfirmed: [String]

    /// v2 issuer for a tenant: `https://{authority}/{tenant}/v2.0`.
    public func v2Issuer(tenant: String) -> String { "https://\(authorityHost)/\(tenant)/v2.0" }
    /// v1 issuer for a tenant: `https://sts.windows.net/{tenant}/` or the cloud's equivalent.
    public func v1Issuer(tenant: String) -> String {
        // Each `{tenant}` replaced by a scan of the bytes: Foundation's replacingOccurrences (and the generic
        // firstRange(of:)) were 3 % of an IMAP login's server CPU (the mail servers' token check builds this
        // issuer for every login).
        let template = Array(v1IssuerTemplate.utf8)
        let placeholder: [UInt8] = Array("{tenant}".utf8)
        var issuer: [UInt8] = []
        issuer.reserveCapacity(template.count + tenant.utf8.count)
        var i = 0
        while i < template.count {
            if template[i] == UInt8(ascii: "{"), template[i...].starts(with: placeholder) {
                issuer.append(contentsOf: tenant.utf8)
                i += placeholder.count
            } else {
                issuer.append(template[i])
                i += 1
            }
        }
        return String(decoding: issuer, as: UTF8.self)
    }
    /// Every resource URL that names this cloud's Outlook (scope prefixes).
    public var outlookResources: [String] { [scopeResource] + alternateScopeResources }
    /// Every host name a client may use for this cloud: authority, aliases, Outlook hosts, SMTP.
    public var allHostNames: [String] {
        var seen = Set<String>()
        return ([authorityHost] + authorityAliases + outlookHosts + [smtpHost]).filter { seen.insert($0).inserted }
    }
}

extension Cloud {
    /// The catalog: exactly one row per cloud.
    public static let catalog: [CloudName: Cloud] = Dictionary(
        uniqueKeysWithValues: all.map { ($0.name, $0) }
    )

    /// The catalog in a fixed order.
    public static let all: [Cloud] = [
        Cloud(
            name: .worldwide,
            displayName: "Microsoft Azure global (worldwide)",
            authorityHost: "login.microsoftonline.com",
            authorityAliases: ["login.windows.net", "login.microsoft.com", "sts.windows.net"],
            outlookHosts: ["outlook.office365.com"],
            smtpHost: "smtp.office365.com",
            scopeResource: "https://outlook.office.com",
            alternateScopeResources: ["https://outlook.office365.com", "https://ps.outlook.com"],
            appResource: "https://outlook.office365.com",
            delegatedAudience: "https://outlook.office.com",
            appAudience: "https://ps.outlook.com",
            acceptedMailAudiences: [
                "https://outlook.office.com", "https://outlook.office365.com", "https://ps.outlook.com",
            ],
            graphHost: "graph.microsoft.com",
            v1IssuerTemplate: "https://sts.windows.net/{tenant}/",
            deviceLoginURL: "https://microsoft.com/devicelogin",
            hostsModeAddress: "127.0.1.1",
            tenantRegionScope: "WW",
            tenantRegionSubScope: nil,
            unconfirmed: []
        ),
        Cloud(
            name: .gcc,
            displayName: "US Government Community Cloud (GCC, Moderate): worldwide endpoints",
            authorityHost: "login.microsoftonline.com",
            authorityAliases: ["login.windows.net", "login.microsoft.com", "sts.windows.net"],
            outlookHosts: ["outlook.office365.com"],
            smtpHost: "smtp.office365.com",
            scopeResource: "https://outlook.office.com",
            alternateScopeResources: ["https://outlook.office365.com", "https://ps.outlook.com"],
            appResource: "https://outlook.office365.com",
            delegatedAudience: "https://outlook.office.com",
            appAudience: "https://ps.outlook.com",
            acceptedMailAudiences: [
                "https://outlook.office.com", "https://outlook.office365.com", "https://ps.outlook.com",
            ],
            graphHost: "graph.microsoft.com",
            v1IssuerTemplate: "https://sts.windows.net/{tenant}/",
            deviceLoginURL: "https://microsoft.com/devicelogin",
            hostsModeAddress: "127.0.1.2",
            tenantRegionScope: "NA",
            tenantRegionSubScope: "GCC",
            unconfirmed: ["tenant_region_scope NA with sub-scope GCC (one source)"]
        ),
        Cloud(
            name: .gccHigh,
            displayName: "US Government GCC High (L4)",
            authorityHost: "login.microsoftonline.us",
            authorityAliases: ["login.usgovcloudapi.net"],
            outlookHosts: ["outlook.office365.us"],
            smtpHost: "smtp.office365.us",
            scopeResource: "https://outlook.office365.us",
            alternateScopeResources: [],
            appResource: "https://outlook.office365.us",
            delegatedAudience: "https://outlook.office365.us",
            appAudience: "https://outlook.office365.us",
            acceptedMailAudiences: ["https://outlook.office365.us"],
            graphHost: "graph.microsoft.us",
            v1IssuerTemplate: "https://sts.windows.net/{tenant}/",
            deviceLoginURL: "https://microsoft.com/deviceloginus",
            hostsModeAddress: "127.0.1.3",
            tenantRegionScope: "USGov",
            tenantRegionSubScope: "DODCON",
            unconfirmed: [
                "smtp host smtp.office365.us (Microsoft's GCC High list names outlook.office365.us for 587)",
                "app-only .default resource https://outlook.office365.us (by analogy)",
                "v1 issuer https://sts.windows.net/{tenant}/ (third-party code only)",
                "tenant_region_scope USGov with sub-scope DODCON (sources conflict)",
            ]
        ),
        Cloud(
            name: .dod,
            displayName: "US Government DoD (L5)",
            authorityHost: "login.microsoftonline.us",
            authorityAliases: ["login.usgovcloudapi.net"],
            // outlook.office365.us: the Atlassian DoD/GCC High KB configures DoD mail handlers with it.
            outlookHosts: ["outlook-dod.office365.us", "outlook.office365.us", "webmail.apps.mil"],
            smtpHost: "outlook-dod.office365.us",
            scopeResource: "https://outlook.office365.us",
            alternateScopeResources: ["https://outlook-dod.office365.us"],
            appResource: "https://outlook.office365.us",
            delegatedAudience: "https://outlook.office365.us",
            appAudience: "https://outlook.office365.us",
            acceptedMailAudiences: ["https://outlook.office365.us", "https://outlook-dod.office365.us"],
            graphHost: "dod-graph.microsoft.us",
            v1IssuerTemplate: "https://sts.windows.net/{tenant}/",
            deviceLoginURL: "https://microsoft.com/deviceloginus",
            hostsModeAddress: "127.0.1.4",
            tenantRegionScope: "USGov",
            tenantRegionSubScope: "DOD",
            unconfirmed: [
                "which audience DoD IMAP accepts: https://outlook.office365.us, https://outlook-dod.office365.us, or both (exomock accepts both)",
                "outlook.office365.us for DoD mailboxes (the Atlassian KB configures DoD with it; Microsoft's DoD list names outlook-dod.office365.us)",
                "webmail.apps.mil as an IMAP host",
                "v1 issuer https://sts.windows.net/{tenant}/ (third-party code only)",
                "tenant_region_scope USGov with sub-scope DOD (sources conflict)",
            ]
        ),
        Cloud(
            name: .china,
            displayName: "Microsoft Azure operated by 21Vianet (China)",
            authorityHost: "login.partner.microsoftonline.cn",
            authorityAliases: ["login.chinacloudapi.cn"],
            outlookHosts: ["partner.outlook.cn"],
            smtpHost: "smtp.partner.outlook.cn",
            scopeResource: "https://partner.outlook.cn",
            alternateScopeResources: [],
            appResource: "https://partner.outlook.cn",
            delegatedAudience: "https://partner.outlook.cn",
            appAudience: "https://partner.outlook.cn",
            acceptedMailAudiences: ["https://partner.outlook.cn"],
            graphHost: "microsoftgraph.chinacloudapi.cn",
            v1IssuerTemplate: "https://sts.chinacloudapi.cn/{tenant}/",
            deviceLoginURL: "https://microsoft.com/deviceloginchina",
            hostsModeAddress: "127.0.1.5",
            tenantRegionScope: "AS",
            tenantRegionSubScope: nil,
            unconfirmed: [
                "IMAP/POP scope resource https://partner.outlook.cn (EmailEngine only; no Microsoft doc)",
                "POP3 on port 995",
                "device login URL https://microsoft.com/deviceloginchina",
                "v2 issuer host",
                "tenant_region_scope AS (no recording)",
            ]
        ),
    ]

    /// The row for a cloud name.
    public static func named(_ name: CloudName) -> Cloud { catalog[name]! }
}

/// Standard Exchange Online ports (`serve --hosts` binds these).
public enum StandardPorts {
    public static let https = 443
    public static let imapImplicitTLS = 993
    public static let imapSTARTTLS = 143
    public static let pop3ImplicitTLS = 995
    public static let pop3STLS = 110
    /// SMTP submission with STARTTLS (`smtp.office365.com:587`).
    public static let smtpSubmission = 587
}

/// The mail protocols Exchange Online serves and exomock stands in for.
public enum MailService: String, Sendable, Codable, CaseIterable {
    case imap
    case pop3
    /// SMTP submission (587, STARTTLS).
    case smtp

    /// The delegated permission a token needs for this protocol.
    public var delegatedPermission: String {
        switch self {
        case .imap: "IMAP.AccessAsUser.All"
        case .pop3: "POP.AccessAsUser.All"
        case .smtp: "SMTP.Send"
        }
    }
    /// The application permission an app-only token needs for this protocol.
    public var applicationPermission: String {
        switch self {
        case .imap: "IMAP.AccessAsApp"
        case .pop3: "POP.AccessAsApp"
        case .smtp: "SMTP.SendAsApp"
        }
    }
}
