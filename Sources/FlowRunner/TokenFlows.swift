import Crypto
import Determinism
import Foundation
import MicrosoftClouds
import ScenarioModel

/// What a step saw, for its expectations.
struct Observation: Error, Sendable {
    var success: Bool
    var httpStatus: Int?
    var error: String?
    var errorCodes: [Int] = []
    /// Lines the server sent (protocol lines, or the HTTP status line and body fields).
    var lines: [String] = []
    var timedOut = false
    var closed = false
    /// A short account of what happened, for "got …".
    var summary: String
}

/// Token grants as a mail handler makes them, the browser part of `authorization_code` included.
extension RunContext {
    func runToken(_ t: TokenStep) async throws -> Observation {
        let cloud = t.cloud ?? homeCloud(ofApp: t.app) ?? scenario.clouds[0]
        let tenantRoot = "\(try cloudEndpoints(cloud).authorityURL)/\(t.tenant)/oauth2"
        let base = "\(tenantRoot)/v2.0"
        var form: [(String, String)]
        switch t.grant {
        case .clientCredentials:
            form = [("grant_type", "client_credentials")]
        case .password:
            form = [("grant_type", "password"), ("username", t.user ?? ""), ("password", password(for: t))]
        case .refreshToken:
            guard let from = t.from, let refresh = saved[from]?.refreshToken else {
                let name = t.from ?? "?"
                add(.note, "no refresh token saved as '\(name)': the handler has nothing to refresh with")
                return Observation(
                    success: false, error: "no_refresh_token", summary: "no refresh token saved as '\(name)'")
            }
            form = [("grant_type", "refresh_token"), ("refresh_token", refresh)]
        case .authorizationCode:
            let verifier = t.pkce ? "exomock-pkce-verifier-\(t.app)-\(stepLabel)" : nil
            switch try await signInThroughBrowser(t, authorize: "\(base)/authorize", verifier: verifier) {
            case .failure(let observation): return observation
            case .success(let code):
                form = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI(t))]
                if let verifier { form.append(("code_verifier", verifier)) }
            }
        case .deviceCode:
            switch try await deviceCode(t, base: base, devicePage: "\(tenantRoot)/deviceauth") {
            case .failure(let observation): return observation
            case .success(let deviceCode):
                form = [("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), ("device_code", deviceCode)]
            }
        }
        form.append(("client_id", t.app))
        if let secret = secret(for: t) { form.append(("client_secret", secret)) }
        if !t.scopes.isEmpty { form.append(("scope", t.scopes.joined(separator: " "))) }
        return try await redeem(form, url: "\(base)/token", saveAs: t.saveAs, origin: t)
    }

    func password(for t: TokenStep) -> String {
        t.password ?? t.user.flatMap { scenario.user($0)?.password } ?? ""
    }

    func secret(for t: TokenStep) -> String? {
        if let s = t.secret { return s }
        guard let app = scenario.app(clientID: t.app), app.kind == .confidential else { return nil }
        return app.secrets.first?.value
    }

    func redirectURI(_ t: TokenStep) -> String {
        scenario.app(clientID: t.app)?.redirectURIs.first ?? "http://localhost/callback"
    }

    /// Fields of a form as a transcript shows them, secrets masked.
    func shown(_ form: [(String, String)]) -> String {
        let secretKeys: Set<String> = [
            "client_secret", "password", "refresh_token", "code", "device_code", "code_verifier", "passwd",
        ]
        return form.map { "\($0.0)=\(secretKeys.contains($0.0) ? mask($0.1) : $0.1)" }.joined(separator: " ")
    }

    /// POSTs a grant to the token endpoint and reads Microsoft's answer.
    func redeem(_ form: [(String, String)], url: String, saveAs: String?, origin: TokenStep) async throws -> Observation
    {
        add(.request, "POST \(URLText.pathAndQuery(url)) \(shown(form))")
        let answer: HTTPAnswer
        do {
            answer = try await http.request(.POST, url, form: form)
        } catch {
            add(.response, "no answer: the connection closed or failed")
            return Observation(
                success: false, closed: true, summary: "no answer from the token service (connection closed)")
        }
        return tokenAnswer(answer, saveAs: saveAs, origin: origin)
    }

    func tokenAnswer(_ answer: HTTPAnswer, saveAs: String?, origin: TokenStep) -> Observation {
        let json = answer.json ?? [:]
        var lines = ["HTTP \(answer.status)"]
        if answer.status == 200, let access = json["access_token"] as? String {
            let claims = JWTView.claims(access)
            add(
                .response,
                "200 token_type=\(json["token_type"] as? String ?? "") expires_in=\(json["expires_in"] ?? "")"
                    + (json["scope"].map { " scope=\"\($0)\"" } ?? ""))
            add(.response, "  access_token \(reveal ? access : JWTView.describe(claims))")
            if let refresh = json["refresh_token"] as? String { add(.response, "  refresh_token \(mask(refresh))") }
            if json["id_token"] != nil {
                add(.response, "  id_token \(reveal ? json["id_token"] as? String ?? "" : "(JWT)")")
            }
            if let saveAs {
                let exp = (claims["exp"] as? Int).map { Date(timeIntervalSince1970: Double($0)) }
                saved[saveAs] = SavedTokens(
                    accessToken: access, refreshToken: json["refresh_token"] as? String ?? saved[saveAs]?.refreshToken,
                    expires: exp, origin: origin)
            }
            return Observation(success: true, httpStatus: 200, lines: lines, summary: "a token (HTTP 200)")
        }
        let error = json["error"] as? String
        let codes = (json["error_codes"] as? [Any])?.compactMap { ($0 as? Int) ?? Int("\($0)") } ?? []
        let description = (json["error_description"] as? String).map { $0.components(separatedBy: "\r\n")[0] }
        var shown = "\(answer.status)"
        if let retry = answer.header("Retry-After") { shown += " Retry-After=\(retry)" }
        if let error { shown += " error=\(error)" }
        if !codes.isEmpty { shown += " error_codes=\(codes.map(String.init).joined(separator: ","))" }
        if json.isEmpty, !answer.body.isEmpty { shown += " body=\"\(answer.body.prefix(80))\"" }
        add(.response, shown)
        if let description {
            add(.response, "  \(description)")
            lines.append(description)
        }
        let summary =
            "HTTP \(answer.status)" + (error.map { " \($0)" } ?? "") + (codes.first.map { " AADSTS\($0)" } ?? "")
        return Observation(
            success: false, httpStatus: answer.status, error: error, errorCodes: codes, lines: lines, summary: summary)
    }

    // MARK: Device code

    /// Starts a device code, approves it on the device page as the user, and waits one polling interval.
    func deviceCode(_ t: TokenStep, base: String, devicePage page: String) async throws -> Result<String, Observation> {
        var form = [("client_id", t.app)]
        if !t.scopes.isEmpty { form.append(("scope", t.scopes.joined(separator: " "))) }
        add(.request, "POST \(URLText.pathAndQuery("\(base)/devicecode")) \(shown(form))")
        let answer = try await http.request(.POST, "\(base)/devicecode", form: form)
        guard answer.status == 200, let json = answer.json, let userCode = json["user_code"] as? String,
            let deviceCode = json["device_code"] as? String
        else { return .failure(tokenAnswer(answer, saveAs: nil, origin: t)) }
        let interval = (json["interval"] as? Int) ?? 5
        add(
            .response,
            "200 user_code=\(userCode) interval=\(interval) verification_uri=\(json["verification_uri"] ?? "")")
        let approval = [("otc", userCode), ("loginfmt", t.user ?? ""), ("passwd", password(for: t))]
        add(.request, "browser POST \(URLText.pathAndQuery(page)) \(shown(approval))")
        let approved = try await http.request(.POST, page, form: approval)
        let problem = HTMLForms.problem(approved.body)
        add(.response, "\(approved.status) \(problem.map { "device page: \($0)" } ?? "device page: approved")")
        try await readJournal()
        try await advance(seconds: Double(interval), reason: "(the device-code polling interval)")
        return .success(deviceCode)
    }
}

/// A JWT's claims, shown without its signature (which differs per machine's key).
enum JWTView {
    static func claims(_ jwt: String) -> [String: Any] {
        let parts = jwt.split(separator: ".")
        guard parts.count == 3, let data = base64URL(parts[1]) else { return [:] }
        return ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any]) ?? [:]
    }

    static func base64URL(_ text: Substring) -> Data? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s)
    }

    /// The claims a support engineer reads: audience, issuer, who, what, until when.
    static let shownClaims = ["aud", "iss", "tid", "appid", "azp", "upn", "unique_name", "scp", "roles", "iat", "exp"]

    static func describe(_ claims: [String: Any]) -> String {
        guard !claims.isEmpty else { return "(not a JWT)" }
        let fields = shownClaims.compactMap { key -> String? in
            guard let value = claims[key] else { return nil }
            if let list = value as? [Any] { return "\(key)=[\(list.map { "\($0)" }.joined(separator: ","))]" }
            if key == "iat" || key == "exp", let seconds = value as? Int {
                return "\(key)=\(Timestamps.rfc3339(Date(timeIntervalSince1970: Double(seconds))))"
            }
            return "\(key)=\(value)"
        }
        return "{" + fields.joined(separator: " ") + "} (signature not shown)"
    }
}

/// PKCE (RFC 7636): the S256 challenge of a verifier.
enum PKCE {
    static func challenge(_ verifier: String) -> String {
        let digest = SHA256.hash(data: Data(verifier.utf8))
        return Data(digest).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
