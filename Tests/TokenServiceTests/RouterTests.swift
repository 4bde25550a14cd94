import Determinism
import EntraTokenService
import EntraTokens
import Foundation
import Hummingbird
import HummingbirdTesting
import Journal
import MicrosoftClouds
import ScenarioModel
import Testing

/// The HTTP layer through Hummingbird's router test client (no socket).
@Suite("Token service routes")
struct RouterTests {
    struct Harness {
        var app: Application<RouterResponder<BasicRequestContext>>
        var journal: Journal
        var state: IdentityState
        var clock: VirtualClock
    }

    func harness(_ scenario: Scenario = Fixture.scenario()) -> Harness {
        let clock = VirtualClock(start: Fixture.start)
        let journal = Journal(clock: clock)
        let state = IdentityState(cloud: .gccHigh, signedIn: scenario.browserSignedIn)
        let service = TokenService(
            cloud: Cloud.named(.gccHigh), scenario: scenario, key: Fixture.gccHighKey, state: state, journal: journal,
            clock: clock, ids: IdentifierSource(seed: scenario.seed))
        let router = Router()
        service.addRoutes(to: router)
        service.addAdminRoutes(to: router.group("admin/clouds/gcc-high/token"))
        return Harness(app: Application(router: router), journal: journal, state: state, clock: clock)
    }

    static let formHeaders: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    static func form(_ pairs: [(String, String)]) -> ByteBuffer {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return ByteBuffer(
            string: pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(
                separator: "&"))
    }

    static func object(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: buffer).utf8)) as? [String: Any])
    }

    @Test func unknownTenantErrorBody() async throws {
        let h = harness()
        try await h.app.test(.router) { client in
            try await client.execute(
                uri: "/nowhere.onmicrosoft.us/oauth2/v2.0/token", method: .post, headers: Self.formHeaders,
                body: Self.form([("grant_type", "client_credentials"), ("client_id", Fixture.appID)])
            ) { response in
                #expect(response.status == .badRequest)
                #expect(response.headers[.cacheControl] == "no-store, no-cache")
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                #expect(response.headers[.init("x-ms-request-id")!] != nil)
                let text = String(buffer: response.body)
                #expect(
                    text.hasPrefix(
                        #"{"error":"invalid_request","error_description":"AADSTS90002: Tenant 'nowhere.onmicrosoft.us' not found."#
                    ))
                let json = try Self.object(response.body)
                #expect(json["error_codes"] as? [Int] == [90002])
                #expect(json["error_uri"] as? String == "https://login.microsoftonline.us/error?code=90002")
                #expect(json["timestamp"] as? String == "2026-01-01 00:00:00Z")
                let trace = try #require(json["trace_id"] as? String)
                #expect(
                    (json["error_description"] as? String)?.contains("\r\nTrace ID: \(trace)\r\nCorrelation ID: ")
                        == true)
            }
        }
        let event = try #require(h.journal.events().last)
        #expect(event.event == .tokenRejected)
        #expect(event.detail["code"] == "90002")
        #expect(event.connection == "token-1")
    }

    @Test func invalidSecretIs401() async throws {
        let h = harness()
        try await h.app.test(.router) { client in
            try await client.execute(
                uri: "/\(Fixture.tenantID)/oauth2/v2.0/token", method: .post, headers: Self.formHeaders,
                body: Self.form([
                    ("grant_type", "client_credentials"), ("client_id", Fixture.appID), ("client_secret", "x"),
                    ("scope", "https://outlook.office365.us/.default"),
                ])
            ) { response in
                #expect(response.status == .unauthorized)
                let json = try Self.object(response.body)
                #expect(json["error"] as? String == "invalid_client")
                #expect(json["error_codes"] as? [Int] == [7_000_215])
            }
        }
    }

    @Test func clientCredentialsResponseIsInMicrosoftsOrder() async throws {
        let h = harness()
        try await h.app.test(.router) { client in
            try await client.execute(
                uri: "/\(Fixture.domain)/oauth2/v2.0/token", method: .post, headers: Self.formHeaders,
                body: Self.form([
                    ("grant_type", "client_credentials"), ("client_id", Fixture.appID),
                    ("client_secret", Fixture.secret),
                    ("scope", "https://outlook.office365.us/.default"),
                ])
            ) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.init("Pragma")!] == "no-cache")
                let text = String(buffer: response.body)
                #expect(
                    text.hasPrefix(
                        #"{"token_type":"Bearer","expires_in":3600,"ext_expires_in":3600,"access_token":"eyJ"#))
                let json = try Self.object(response.body)
                let token = try #require(json["access_token"] as? String)
                let verifier = AccessTokenVerifier(
                    cloud: Cloud.named(.gccHigh), key: Fixture.gccHighKey, clock: h.clock)
                #expect(try verifier.verify(token).get().roles == ["IMAP.AccessAsApp"])
            }
        }
        #expect(h.journal.events().last?.event == .tokenIssued)
        #expect(h.journal.events().last?.detail["roles"] == "IMAP.AccessAsApp")
    }

    @Test func v1TokenEndpointWithResource() async throws {
        let h = harness()
        try await h.app.test(.router) { client in
            try await client.execute(
                uri: "/\(Fixture.tenantID)/oauth2/token", method: .post, headers: Self.formHeaders,
                body: Self.form([
                    ("grant_type", "password"), ("client_id", Fixture.appID), ("client_secret", Fixture.secret),
                    ("resource", "https://outlook.office365.us"), ("username", Fixture.admin),
                    ("password", Fixture.password),
                ])
            ) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(
                    text.hasPrefix(
                        #"{"token_type":"Bearer","scope":"https://outlook.office365.us/IMAP.AccessAsUser.All https://outlook.office365.us/POP.AccessAsUser.All","expires_in":"3600","ext_expires_in":"3600","expires_on":"1767229200","not_before":"1767225600","resource":"https://outlook.office365.us","access_token":"#
                    ))
            }
        }
    }

    @Test func discoveryUsesTheCalledHost() async throws {
        let h = harness()
        try await h.app.test(.router) { client in
            try await client.execute(uri: "/\(Fixture.tenantID)/v2.0/.well-known/openid-configuration", method: .get) {
                response in
                #expect(response.status == .ok)
                let json = try Self.object(response.body)
                #expect(json["token_endpoint"] as? String == "https://localhost/\(Fixture.tenantID)/oauth2/v2.0/token")
                #expect(
                    json["authorization_endpoint"] as? String
                        == "https://localhost/\(Fixture.tenantID)/oauth2/v2.0/authorize")
                #expect(
                    json["device_authorization_endpoint"] as? String
                        == "https://localhost/\(Fixture.tenantID)/oauth2/v2.0/devicecode")
                #expect(json["jwks_uri"] as? String == "https://localhost/\(Fixture.tenantID)/discovery/v2.0/keys")
                #expect(json["issuer"] as? String == "https://login.microsoftonline.us/\(Fixture.tenantID)/v2.0")
                #expect(String(buffer: response.body).hasPrefix(#"{"token_endpoint":"#))
            }
            try await client.execute(uri: "/organizations/.well-known/openid-configuration", method: .get) { response in
                let json = try Self.object(response.body)
                #expect(json["token_endpoint"] as? String == "https://localhost/organizations/oauth2/token")
                #expect(json["issuer"] as? String == "https://sts.windows.net/{tenantid}/")
                #expect(json["jwks_uri"] as? String == "https://localhost/common/discovery/keys")
            }
            try await client.execute(uri: "/nowhere.example/v2.0/.well-known/openid-configuration", method: .get) {
                response in
                #expect(response.status == .badRequest)
                let json = try Self.object(response.body)
                #expect(json["error"] as? String == "invalid_tenant")
                #expect(json["error_codes"] as? [Int] == [90002])
            }
            try await client.execute(uri: "/common/userrealm/\(Fixture.agent)?api-version=1.0", method: .get) {
                response in
                #expect(
                    String(buffer: response.body)
                        == #"{"ver":"1.0","account_type":"Managed","domain_name":"contoso.onmicrosoft.us","cloud_instance_name":"microsoftonline.us","cloud_audience_urn":"urn:federation:MicrosoftOnline"}"#
                )
            }
            try await client.execute(uri: "/common/discovery/keys", method: .get) { response in
                #expect(String(buffer: response.body) == Fixture.gccHighKey.jwks())
            }
            try await client.execute(uri: "/\(Fixture.tenantID)/discovery/v2.0/keys", method: .get) { response in
                #expect(String(buffer: response.body) == Fixture.gccHighKey.jwks())
            }
            try await client.execute(
                uri:
                    "/common/discovery/instance?api-version=1.1&authorization_endpoint=https://login.microsoftonline.us/x/oauth2/v2.0/authorize",
                method: .get
            ) { response in
                #expect(response.status == .ok)
                let json = try Self.object(response.body)
                #expect(
                    json["tenant_discovery_endpoint"] as? String
                        == "https://localhost/{tenant}/v2.0/.well-known/openid-configuration")
                #expect(
                    String(buffer: response.body).contains(
                        #"{"preferred_network":"login.microsoftonline.us","preferred_cache":"login.microsoftonline.us","aliases":["login.microsoftonline.us","login.usgovcloudapi.net"]}"#
                    ))
            }
            try await client.execute(
                uri:
                    "/common/discovery/instance?api-version=1.1&authorization_endpoint=https://login.example.org/x/oauth2/v2.0/authorize",
                method: .get
            ) { response in
                #expect(response.status == .badRequest)
                let reply = try Self.object(response.body)
                #expect(reply["error"] as? String == "invalid_instance")
            }
        }
    }

    @Test func authorizeCodeThenTokenOverHTTP() async throws {
        let h = harness(Fixture.scenario(signedIn: [Fixture.admin]))
        try await h.app.test(.router) { client in
            let query =
                "client_id=\(Fixture.appID)&response_type=code&redirect_uri=http%3A%2F%2Flocalhost%3A8400%2Fcallback&scope=https%3A%2F%2Foutlook.office365.us%2FIMAP.AccessAsUser.All+offline_access&state=abc&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
            let location = try await client.execute(uri: "/organizations/oauth2/v2.0/authorize?\(query)", method: .get)
            { response in
                #expect(response.status == .found)
                return try #require(response.headers[.location])
            }
            #expect(location.hasPrefix("http://localhost:8400/callback?code="))
            #expect(location.contains("&state=abc&session_state="))
            let components = try #require(URLComponents(string: location))
            let code = try #require(components.queryItems?.first { $0.name == "code" }?.value)
            let body: [(String, String)] = [
                ("grant_type", "authorization_code"), ("client_id", Fixture.appID), ("client_secret", Fixture.secret),
                ("code", code), ("redirect_uri", Fixture.redirect),
                ("code_verifier", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            ]
            try await client.execute(
                uri: "/organizations/oauth2/v2.0/token", method: .post, headers: Self.formHeaders, body: Self.form(body)
            ) { response in
                #expect(response.status == .ok)
                let json = try Self.object(response.body)
                #expect(json["refresh_token"] != nil)
                #expect(json["scope"] as? String == "https://outlook.office365.us/IMAP.AccessAsUser.All")
            }
            try await client.execute(
                uri: "/organizations/oauth2/v2.0/token", method: .post, headers: Self.formHeaders, body: Self.form(body)
            ) { response in
                #expect(response.status == .badRequest)
                let reply = try Self.object(response.body)
                #expect(reply["error_codes"] as? [Int] == [54005])
            }
        }
    }

    @Test func authorizeErrorsRedirectOrShowAPage() async throws {
        let h = harness()
        try await h.app.test(.router) { client in
            let base =
                "client_id=\(Fixture.appID)&response_type=code&scope=https%3A%2F%2Foutlook.office365.us%2FIMAP.AccessAsUser.All&state=s1"
            try await client.execute(
                uri: "/common/oauth2/v2.0/authorize?\(base)&redirect_uri=https%3A%2F%2Fevil.example%2F&prompt=none",
                method: .get
            ) { response in
                #expect(response.status == .badRequest)
                #expect(response.headers[.location] == nil)
                #expect(
                    String(buffer: response.body).contains(
                        "AADSTS50011: The redirect URI &#39;https://evil.example/&#39; specified in the request does not match"
                    ))
            }
            try await client.execute(
                uri:
                    "/common/oauth2/v2.0/authorize?\(base)&redirect_uri=http%3A%2F%2Flocalhost%3A8400%2Fcallback&prompt=none",
                method: .get
            ) { response in
                #expect(response.status == .found)
                let location = try #require(response.headers[.location])
                let items = try #require(URLComponents(string: location)?.queryItems)
                #expect(items.first { $0.name == "error" }?.value == "login_required")
                #expect(items.first { $0.name == "error_description" }?.value?.hasPrefix("AADSTS50058: ") == true)
                #expect(
                    items.first { $0.name == "error_uri" }?.value == "https://login.microsoftonline.us/error?code=50058"
                )
                #expect(items.first { $0.name == "state" }?.value == "s1")
            }
            // Interactive: the sign-in page, then posting the form.
            let page = try await client.execute(
                uri:
                    "/common/oauth2/v2.0/authorize?\(base)&redirect_uri=http%3A%2F%2Flocalhost%3A8400%2Fcallback&response_mode=form_post",
                method: .get
            ) { response in
                #expect(response.status == .ok)
                return String(buffer: response.body)
            }
            #expect(page.contains("name=\"loginfmt\""))
            #expect(page.contains("<input type=\"hidden\" name=\"state\" value=\"s1\">"))
            let post: [(String, String)] = [
                ("client_id", Fixture.appID), ("response_type", "code"), ("redirect_uri", Fixture.redirect),
                ("scope", "https://outlook.office365.us/IMAP.AccessAsUser.All"), ("state", "s1"),
                ("response_mode", "form_post"),
                ("exomock_action", "signin"), ("loginfmt", Fixture.agent), ("passwd", Fixture.password),
            ]
            try await client.execute(
                uri: "/common/oauth2/v2.0/authorize", method: .post, headers: Self.formHeaders, body: Self.form(post)
            ) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("action=\"http://localhost:8400/callback\""))
                #expect(html.contains("<input type=\"hidden\" name=\"code\" value=\""))
                #expect(html.contains("<input type=\"hidden\" name=\"state\" value=\"s1\">"))
            }
        }
        #expect(h.state.ssoSessions == [Fixture.agent])
    }

    @Test func logoutClearsSSO() async throws {
        let h = harness(Fixture.scenario(signedIn: [Fixture.admin]))
        try await h.app.test(.router) { client in
            try await client.execute(
                // A redirect URI registered on the app named (LogoutRedirectTests: anything else is not followed).
                uri: "/common/oauth2/v2.0/logout?post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A8400%2Fcallback"
                    + "&client_id=\(Fixture.appID)",
                method: .get
            ) { response in
                #expect(response.status == .found)
                #expect(response.headers[.location] == Fixture.redirect)
            }
        }
        #expect(h.state.ssoSessions.isEmpty)
        #expect(h.journal.events().contains { $0.event == .ssoCleared })
    }

    @Test func throttleFaultIs429WithRetryAfter() async throws {
        let h = harness(
            Fixture.scenario(faults: [
                Fault(service: .token, kind: .throttle, match: "client_credentials", count: 1, seconds: 60)
            ]))
        let body = Self.form([
            ("grant_type", "client_credentials"), ("client_id", Fixture.appID), ("client_secret", Fixture.secret),
            ("scope", "https://outlook.office365.us/.default"),
        ])
        try await h.app.test(.router) { client in
            try await client.execute(
                uri: "/\(Fixture.tenantID)/oauth2/v2.0/token", method: .post, headers: Self.formHeaders, body: body
            ) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.retryAfter] == "60")
                #expect(String(buffer: response.body) == "Too Many Requests")
            }
            try await client.execute(
                uri: "/\(Fixture.tenantID)/oauth2/v2.0/token", method: .post, headers: Self.formHeaders, body: body
            ) { response in
                #expect(response.status == .ok)
            }
        }
        #expect(h.journal.events().map(\.event) == [.tokenThrottled, .tokenIssued])
    }

    @Test func aadstsFaultAnswersWithItsCode() async throws {
        let h = harness(
            Fixture.scenario(faults: [Fault(service: .token, kind: .aadsts, match: "refresh_token", code: 700082)]))
        try await h.app.test(.router) { client in
            try await client.execute(
                uri: "/\(Fixture.tenantID)/oauth2/v2.0/token", method: .post, headers: Self.formHeaders,
                body: Self.form([("grant_type", "refresh_token"), ("client_id", Fixture.appID), ("refresh_token", "x")])
            ) { response in
                #expect(response.status == .badRequest)
                let json = try Self.object(response.body)
                #expect(json["error_codes"] as? [Int] == [700082])
                #expect(json["suberror"] as? String == "bad_token")
            }
        }
    }

    @Test func deviceCodeWithAdminApproval() async throws {
        let h = harness()
        try await h.app.test(.router) { client in
            let start = try await client.execute(
                uri: "/organizations/oauth2/v2.0/devicecode", method: .post, headers: Self.formHeaders,
                body: Self.form([("client_id", Fixture.publicAppID), ("scope", Fixture.imapScope)])
            ) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).hasPrefix(#"{"user_code":""#))
                return try Self.object(response.body)
            }
            let deviceCode = try #require(start["device_code"] as? String)
            let userCode = try #require(start["user_code"] as? String)
            let poll = Self.form([
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), ("client_id", Fixture.publicAppID),
                ("device_code", deviceCode),
            ])
            try await client.execute(
                uri: "/organizations/oauth2/v2.0/token", method: .post, headers: Self.formHeaders, body: poll
            ) { response in
                #expect(response.status == .badRequest)
                let reply = try Self.object(response.body)
                #expect(reply["error"] as? String == "authorization_pending")
            }
            try await client.execute(
                uri: "/admin/clouds/gcc-high/token/device/approve", method: .post, headers: Self.formHeaders,
                body: Self.form([("user_code", userCode), ("user", Fixture.agent)])
            ) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(
                uri: "/organizations/oauth2/v2.0/token", method: .post, headers: Self.formHeaders, body: poll
            ) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func adminRevokeAndSSO() async throws {
        let h = harness()
        try await h.app.test(.router) { client in
            try await client.execute(
                uri: "/admin/clouds/gcc-high/token/sso", method: .put, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"users":["\#(Fixture.admin)"]}"#)
            ) { response in
                #expect(response.status == .ok)
            }
            #expect(h.state.ssoSessions == [Fixture.admin])
            try await client.execute(
                uri: "/admin/clouds/gcc-high/token/sso", method: .put, headers: Self.formHeaders,
                body: Self.form([("users", "nobody@x.us")])
            ) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(
                uri: "/admin/clouds/gcc-high/token/revoke-sessions", method: .post, headers: Self.formHeaders,
                body: Self.form([("user", Fixture.admin)])
            ) { response in
                #expect(response.status == .ok)
            }
            #expect(h.state.tokensValidFrom(upn: Fixture.admin) == Fixture.start)
            #expect(h.state.ssoSessions.isEmpty)
        }
    }

    @Test func oversizedParameterIsRefused() async throws {
        let h = harness()
        try await h.app.test(.router) { client in
            try await client.execute(
                uri: "/\(Fixture.tenantID)/oauth2/v2.0/token", method: .post, headers: Self.formHeaders,
                body: ByteBuffer(
                    string: "grant_type=refresh_token&refresh_token=" + String(repeating: "A", count: 17_000))
            ) { response in
                #expect(response.status == .badRequest)
                let reply = try Self.object(response.body)
                #expect(reply["error_codes"] as? [Int] == [9_002_313])
            }
            try await client.execute(
                uri: "/\(Fixture.tenantID)/oauth2/v2.0/token", method: .post, headers: Self.formHeaders,
                body: ByteBuffer(string: String(repeating: "A", count: 1_100_000))
            ) { response in
                #expect(response.status == .contentTooLarge)
            }
        }
    }
}
