import Foundation
import MicrosoftClouds

/// The claims of an access token for Exchange Online IMAP/POP, shaped like Microsoft's v1 tokens
/// (microsoft.md §3). On the wire they are written in Microsoft's order: `aud`, `iss`, `iat`, `nbf`,
/// `exp`, then the rest alphabetically, as decoded real tokens show.
public struct AccessTokenClaims: Sendable, Equatable {
    public var aud: String
    public var iss: String
    /// Issued at, epoch seconds (whole numbers, like Microsoft's NumericDates).
    public var iat: Int
    public var nbf: Int
    public var exp: Int
    /// `"1"` for user sign-ins; nil on app tokens.
    public var acr: String?
    /// Authentication methods (`["pwd"]`, `["pwd","mfa"]`); empty on app tokens.
    public var amr: [String]
    public var appDisplayName: String?
    public var appid: String
    /// `"0"` public client, `"1"` client secret, `"2"` certificate.
    public var appidacr: String
    /// `"app"` on app-only tokens.
    public var idtyp: String?
    public var name: String?
    public var oid: String
    /// Application permissions (app-only tokens).
    public var roles: [String]
    /// Delegated permissions, short names (written space-separated).
    public var scp: [String]
    public var sub: String
    public var tid: String
    public var uniqueName: String?
    public var upn: String?
    /// Token id.
    public var uti: String
    public var ver: String

    public init(
        aud: String, iss: String, iat: Int, nbf: Int, exp: Int,
        acr: String? = nil, amr: [String] = [], appDisplayName: String? = nil, appid: String, appidacr: String = "1",
        idtyp: String? = nil, name: String? = nil, oid: String, roles: [String] = [], scp: [String] = [],
        sub: String, tid: String, uniqueName: String? = nil, upn: String? = nil, uti: String, ver: String = "1.0"
    ) {
        self.aud = aud
        self.iss = iss
        self.iat = iat
        self.nbf = nbf
        self.exp = exp
        self.acr = acr
        self.amr = amr
        self.appDisplayName = appDisplayName
        self.appid = appid
        self.appidacr = appidacr
        self.idtyp = idtyp
        self.name = name
        self.oid = oid
        self.roles = roles
        self.scp = scp
        self.sub = sub
        self.tid = tid
        self.uniqueName = uniqueName
        self.upn = upn
        self.uti = uti
        self.ver = ver
    }

    /// True for client-credentials tokens.
    public var isAppOnly: Bool { idtyp == "app" || (upn == nil && scp.isEmpty) }

    /// The payload in Microsoft's field order.
    public var json: CanonicalJSON {
        var f = OrderedFields()
        f.add("aud", aud)
        f.add("iss", iss)
        f.add("iat", iat)
        f.add("nbf", nbf)
        f.add("exp", exp)
        f.add("acr", acr)
        if !amr.isEmpty { f.add("amr", strings: amr) }
        f.add("app_displayname", appDisplayName)
        f.add("appid", appid)
        f.add("appidacr", appidacr)
        f.add("idtyp", idtyp)
        f.add("name", name)
        f.add("oid", oid)
        if !roles.isEmpty { f.add("roles", strings: roles) }
        if !scp.isEmpty { f.add("scp", scp.joined(separator: " ")) }
        f.add("sub", sub)
        f.add("tid", tid)
        f.add("unique_name", uniqueName)
        f.add("upn", upn)
        f.add("uti", uti)
        f.add("ver", ver)
        return f.json
    }

    /// Wire form for decoding (order-insensitive).
    struct Wire: Decodable {
        var aud: String?
        var iss: String?
        var iat: Int?
        var nbf: Int?
        var exp: Int?
        var acr: String?
        var amr: [String]?
        var appDisplayName: String?
        var appid: String?
        var appidacr: String?
        var idtyp: String?
        var name: String?
        var oid: String?
        var roles: [String]?
        var scp: String?
        var sub: String?
        var tid: String?
        var uniqueName: String?
        var upn: String?
        var uti: String?
        var ver: String?

        enum CodingKeys: String, CodingKey {
            case aud, iss, iat, nbf, exp, acr, amr, appid, appidacr, idtyp, name, oid, roles, scp, sub, tid, upn, uti,
                ver
            case appDisplayName = "app_displayname"
            case uniqueName = "unique_name"
        }
    }

    /// Parses a payload; nil when a required claim is missing or mistyped.
    static func decode(_ data: Data) -> AccessTokenClaims? {
        guard let w = try? JSONDecoder().decode(Wire.self, from: data),
            let aud = w.aud, let iss = w.iss, let iat = w.iat, let nbf = w.nbf, let exp = w.exp,
            let appid = w.appid, let oid = w.oid, let sub = w.sub, let tid = w.tid, let uti = w.uti, let ver = w.ver
        else { return nil }
        return AccessTokenClaims(
            aud: aud, iss: iss, iat: iat, nbf: nbf, exp: exp, acr: w.acr, amr: w.amr ?? [],
            appDisplayName: w.appDisplayName, appid: appid, appidacr: w.appidacr ?? "1", idtyp: w.idtyp, name: w.name,
            oid: oid, roles: w.roles ?? [], scp: (w.scp ?? "").split(separator: " ").map(String.init), sub: sub,
            tid: tid,
            uniqueName: w.uniqueName, upn: w.upn, uti: uti, ver: ver
        )
    }
}

/// The claims of a v2 ID token (returned when `openid` is asked for).
public struct IDTokenClaims: Sendable, Equatable {
    public var aud: String
    public var iss: String
    public var iat: Int
    public var nbf: Int
    public var exp: Int
    public var name: String?
    public var nonce: String?
    public var oid: String
    public var preferredUsername: String?
    public var sub: String
    public var tid: String
    public var uti: String
    public var ver: String

    public init(
        aud: String, iss: String, iat: Int, nbf: Int, exp: Int, name: String?, nonce: String?, oid: String,
        preferredUsername: String?, sub: String, tid: String, uti: String, ver: String = "2.0"
    ) {
        self.aud = aud
        self.iss = iss
        self.iat = iat
        self.nbf = nbf
        self.exp = exp
        self.name = name
        self.nonce = nonce
        self.oid = oid
        self.preferredUsername = preferredUsername
        self.sub = sub
        self.tid = tid
        self.uti = uti
        self.ver = ver
    }

    public var json: CanonicalJSON {
        var f = OrderedFields()
        f.add("aud", aud)
        f.add("iss", iss)
        f.add("iat", iat)
        f.add("nbf", nbf)
        f.add("exp", exp)
        f.add("name", name)
        f.add("nonce", nonce)
        f.add("oid", oid)
        f.add("preferred_username", preferredUsername)
        f.add("sub", sub)
        f.add("tid", tid)
        f.add("uti", uti)
        f.add("ver", ver)
        return f.json
    }
}
