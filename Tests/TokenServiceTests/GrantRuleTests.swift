import Determinism
import EntraTokens
import Foundation
import MicrosoftClouds
import ScenarioModel
import Testing

/// Every AADSTS rule, by value: no HTTP, no sockets.
@Suite("Grant rules")
struct GrantRuleTests {
    let tenant = Fixture.tenantID

    func code(_ result: Result<TokenGrant, EntraError>) -> Int? { result.failureValue?.code }

    func ropc(
        _ p: Fixture.Parts, user: String = Fixture.admin, password: String = Fixture.password,
        client: String = Fixture.appID,
        scope: String = Fixture.imapScope, tenant: String? = nil
    ) -> Result<TokenGrant, EntraError> {
        p.issuer.token(
            form: [
                "grant_type": "password", "client_id": client, "client_secret": Fixture.secret, "username": user,
                "password": password, "scope": scope,
            ], tenantSegment: tenant ?? self.tenant)
    }

    /// An authorization code for `user` through the SSO session.
    func authCode(_ p: Fixture.Parts, user: String = Fixture.admin, extra: [String: String] = [:]) throws -> String {
        p.state.setSSO([user])
        var q = [
            "client_id": Fixture.appID, "response_type": "code", "redirect_uri": Fixture.redirect,
            "scope": Fixture.imapScope, "state": "xyz",
        ]
        q.merge(extra) { $1 }
        guard case .redirect(let r) = p.issuer.authorize(parameters: q, tenantSegment: tenant),
            case .code(let code, _) = r.result
        else {
            Issue.record("expected a code redirect")
            throw CancellationError()
        }
        #expect(r.state == "xyz")
        return code
    }

    func redeem(_ p: Fixture.Parts, _ code: String, verifier: String? = nil) -> Result<TokenGrant, EntraError> {
        var form = [
            "grant_type": "authorization_code", "client_id": Fixture.appID, "client_secret": Fixture.secret,
            "code": code,
            "redirect_uri": Fixture.redirect,
        ]
        form["code_verifier"] = verifier
        return p.issuer.token(form: form, tenantSegment: tenant)
    }

    // MARK: Tenants and clients

    @Test func unknownTenant() {
        let p = Fixture.issuer()
        #expect(code(ropc(p, tenant: "99999999-2222-4333-8444-555555555555")) == 90002)
        #expect(code(ropc(p, tenant: "nowhere.onmicrosoft.us")) == 90002)
        // A tenant of another cloud: a client sending its secret gets AADSTS900382 (TokenBehaviourTests
        // has the public-client 90002).
        #expect(code(ropc(p, tenant: Fixture.wwTenantID)) == 900382)
        #expect(code(ropc(p, tenant: "consumers")) == 9_002_331)
        #expect(code(ropc(p, client: Fixture.wwAppID, tenant: "consumers")) == 90002)
        #expect(code(ropc(p, tenant: "not a tenant!")) == 900023)
        let e = ropc(p, tenant: "nowhere.onmicrosoft.us").failureValue
        #expect(e?.error == "invalid_request")
        #expect(e?.message.hasPrefix("AADSTS90002: Tenant 'nowhere.onmicrosoft.us' not found.") == true)
    }

    @Test func verifiedDomainCommonAndOrganizationsWork() throws {
        let p = Fixture.issuer()
        // (`common` refuses the password grant: AADSTS9001023, in TokenBehaviourTests.)
        for segment in [Fixture.domain, "organizations", Fixture.tenantID.uppercased()] {
            #expect(try ropc(p, tenant: segment).get().claims.tid == Fixture.tenantID)
        }
    }

    @Test func appFromAnotherCloudIsNotFound() {
        let p = Fixture.issuer()
        let e = ropc(p, client: Fixture.wwAppID).failureValue
        #expect(e?.code == 700016)
        #expect(e?.error == "unauthorized_client")
        #expect(
            e?.message.contains(
                "Application with identifier '\(Fixture.wwAppID)' was not found in the directory '\(Fixture.tenantID)'")
                == true)
    }

    @Test func clientSecretRules() {
        let p = Fixture.issuer()
        let base = [
            "grant_type": "client_credentials", "client_id": Fixture.appID,
            "scope": "https://outlook.office365.us/.default",
        ]
        var wrong = base
        wrong["client_secret"] = "nope"
        let invalid = p.issuer.token(form: wrong, tenantSegment: tenant).failureValue
        #expect(invalid?.code == 7_000_215)
        #expect(invalid?.status == 401)
        #expect(invalid?.error == "invalid_client")
        #expect(code(p.issuer.token(form: base, tenantSegment: tenant)) == 7_000_218)
        var expired = base
        expired["client_id"] = Fixture.expiredAppID
        expired["client_secret"] = Fixture.secret
        #expect(code(p.issuer.token(form: expired, tenantSegment: tenant)) == 7_000_222)
        // HTTP Basic works like client_secret in the body.
        #expect(
            (try? p.issuer.token(form: base, tenantSegment: tenant, basicAuth: (Fixture.appID, Fixture.secret)).get())
                != nil)
        // A public client sending a secret.
        let pub = ropc(p, client: Fixture.publicAppID)
        #expect(code(pub) == 700025)
    }

    // MARK: Scopes

    @Test func invalidScope() {
        let p = Fixture.issuer()
        let e = ropc(p, scope: "https://outlook.office365.us/IMAP.AccessAsUser.Al").failureValue
        #expect(e?.code == 70011)
        #expect(e?.error == "invalid_scope")
        #expect(code(ropc(p, scope: "https://example.com/IMAP.AccessAsUser.All")) == 70011)
        #expect(code(ropc(p, scope: "")) == 900144)
    }

    @Test func worldwideScopeAskedOfGCCHighIsResourceNotFound() {
        let p = Fixture.issuer()
        let e = ropc(p, scope: "https://outlook.office.com/IMAP.AccessAsUser.All offline_access").failureValue
        #expect(e?.code == 500011)
        #expect(e?.error == "invalid_resource")
        #expect(
            e?.message.hasPrefix(
                "AADSTS500011: The resource principal named https://outlook.office.com was not found in the tenant named contoso.onmicrosoft.us."
            ) == true)
    }

    @Test func bareScopeIsAGraphTokenThatIMAPWouldRefuse() throws {
        let p = Fixture.issuer()
        let grant = try ropc(p, scope: "IMAP.AccessAsUser.All offline_access").get()
        #expect(grant.claims.aud == "https://graph.microsoft.us")
        let verifier = AccessTokenVerifier(cloud: p.cloud, key: Fixture.gccHighKey, clock: p.clock)
        #expect(verifier.verify(grant.accessToken) == .failure(.wrongAudience))
    }

    @Test func consentMissing() {
        let p = Fixture.issuer()
        let e = ropc(p, client: Fixture.noConsentAppID).failureValue
        #expect(e?.code == 65001)
        #expect(e?.message.contains("named 'Unconsented'") == true)
    }

    // MARK: Users

    @Test func userRules() {
        let p = Fixture.issuer()
        #expect(code(ropc(p, password: "wrong")) == 50126)
        #expect(code(ropc(p, user: "nobody@contoso.onmicrosoft.us")) == 50034)
        #expect(code(ropc(p, user: Fixture.disabledUser)) == 50057)
        #expect(code(ropc(p, user: Fixture.blockedUser)) == 53003)
        let mfa = ropc(p, user: Fixture.mfaUser).failureValue
        #expect(mfa?.code == 50076)
        #expect(mfa?.entry.suberror == "basic_action")
        #expect(mfa?.message.contains("to access 'https://outlook.office365.us'") == true)
    }

    @Test func passwordGrantTokenShape() throws {
        let p = Fixture.issuer()
        let g = try ropc(p).get()
        #expect(g.claims.aud == "https://outlook.office365.us")
        #expect(g.claims.iss == "https://sts.windows.net/\(Fixture.tenantID)/")
        #expect(g.claims.scp == ["IMAP.AccessAsUser.All"])
        #expect(g.claims.upn == Fixture.admin)
        #expect(g.claims.ver == "1.0")
        #expect(g.refreshToken != nil)
        #expect(g.idToken != nil)
        #expect(g.scope == "https://outlook.office365.us/IMAP.AccessAsUser.All profile")
        #expect(g.expiresIn == 3600)
        // oid is stable for the user; uti differs per token.
        let again = try ropc(p).get()
        #expect(again.claims.oid == g.claims.oid)
        #expect(again.claims.uti != g.claims.uti)
        let verifier = AccessTokenVerifier(cloud: p.cloud, key: Fixture.gccHighKey, clock: p.clock)
        #expect(try verifier.verify(g.accessToken).get() == g.claims)
    }

    @Test func runsRepeat() throws {
        let a = try ropc(Fixture.issuer()).get()
        let b = try ropc(Fixture.issuer()).get()
        #expect(a == b)
    }

    // MARK: Authorization codes

    @Test func codeRedeemsOnceWithinItsLifetime() throws {
        let p = Fixture.issuer()
        let code = try authCode(p)
        let g = try redeem(p, code).get()
        #expect(g.claims.upn == Fixture.admin)
        #expect(self.code(redeem(p, code)) == 54005)
        let late = try authCode(p)
        p.clock.advance(by: 600)
        #expect(self.code(redeem(p, late)) == 70008)
        #expect(self.code(redeem(p, "garbage")) == 9_002_313)
    }

    @Test func redirectURIMustMatchAtTheTokenEndpoint() throws {
        let p = Fixture.issuer()
        let code = try authCode(p)
        let r = p.issuer.token(
            form: [
                "grant_type": "authorization_code", "client_id": Fixture.appID, "client_secret": Fixture.secret,
                "code": code, "redirect_uri": "http://localhost:9999/other",
            ], tenantSegment: tenant)
        #expect(self.code(r) == 50011)
    }

    @Test func pkce() throws {
        let p = Fixture.issuer()
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        // RFC 7636 appendix B.
        #expect(TokenIssuer.pkce(verifier: verifier, method: "S256") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        let s256 = try authCode(
            p,
            extra: ["code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256"])
        #expect((try? redeem(p, s256, verifier: verifier).get()) != nil)
        let mismatch = try authCode(
            p,
            extra: ["code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256"])
        let e = redeem(p, mismatch, verifier: "wrong-verifier").failureValue
        #expect(e?.code == 501481)
        #expect(e?.error == "invalid_grant")
        let missing = try authCode(p, extra: ["code_challenge": "abc"])
        #expect(code(redeem(p, missing)) == 501481)
        let plain = try authCode(
            p,
            extra: [
                "code_challenge": "plain-verifier-0123456789012345678901234567890", "code_challenge_method": "plain",
            ])
        #expect((try? redeem(p, plain, verifier: "plain-verifier-0123456789012345678901234567890").get()) != nil)
    }

    @Test func nonceRoundTripsIntoTheIDToken() throws {
        let p = Fixture.issuer()
        let code = try authCode(p, extra: ["nonce": "n-0S6_WzA2Mj"])
        let g = try redeem(p, code).get()
        let idToken = try #require(g.idToken)
        let payload = try #require(Base64URL.decode(idToken.split(separator: ".")[1]))
        #expect(String(decoding: payload, as: UTF8.self).contains("\"nonce\":\"n-0S6_WzA2Mj\""))
        #expect(String(decoding: payload, as: UTF8.self).contains("\"aud\":\"\(Fixture.appID)\""))
    }

    // MARK: Refresh tokens

    func refresh(_ p: Fixture.Parts, _ token: String, client: String = Fixture.appID) -> Result<TokenGrant, EntraError>
    {
        p.issuer.token(
            form: [
                "grant_type": "refresh_token", "client_id": client, "client_secret": Fixture.secret,
                "refresh_token": token,
                "scope": "https://outlook.office365.us/IMAP.AccessAsUser.All offline_access",
            ], tenantSegment: tenant)
    }

    @Test func refreshRotatesAndKeepsTheOldOneValid() throws {
        let p = Fixture.issuer()
        let first = try #require(try ropc(p).get().refreshToken)
        let second = try refresh(p, first).get()
        #expect(second.refreshToken != nil)
        #expect(second.refreshToken != first)
        #expect((try? refresh(p, first).get()) != nil)
        #expect(code(refresh(p, "1.Anot-a-token")) == 9_002_313)
        #expect(code(refresh(p, first, client: Fixture.noConsentAppID)) == 70000)
    }

    @Test func refreshInactivity() throws {
        let p = Fixture.issuer()
        let token = try #require(try ropc(p).get().refreshToken)
        p.clock.advance(by: 89 * 86_400)
        let used = try refresh(p, token).get()
        // Using it restarts its inactivity window.
        p.clock.advance(by: 89 * 86_400)
        #expect((try? refresh(p, token).get()) != nil)
        p.clock.advance(by: 90 * 86_400)
        let e = refresh(p, token).failureValue
        #expect(e?.code == 700082)
        #expect(e?.entry.suberror == "bad_token")
        #expect(
            e?.message
                == "AADSTS700082: The refresh token has expired due to inactivity. The token was issued on 2026-01-01T00:00:00.0000000Z and was inactive for 90.00:00:00."
        )
        #expect(used.refreshToken != nil)
    }

    @Test func refreshMaxAge() throws {
        let p = Fixture.issuer(Fixture.scenario(lifetimes: Lifetimes(refreshTokenMaxAge: 86_400)))
        let token = try #require(try ropc(p).get().refreshToken)
        p.clock.advance(by: 43_200)
        let next = try #require(try refresh(p, token).get().refreshToken)
        p.clock.advance(by: 43_200)
        #expect(code(refresh(p, next)) == 70043)
    }

    @Test func refreshRevoked() throws {
        let p = Fixture.issuer()
        let token = try #require(try ropc(p).get().refreshToken)
        p.clock.advance(by: 60)
        p.state.revokeSessions(upn: Fixture.admin, at: p.clock.now())
        let e = refresh(p, token).failureValue
        #expect(e?.code == 50173)
        #expect(
            e?.message.contains(
                "The grant was issued on '2026-01-01 00:00:00Z' and the TokensValidFrom date (before which tokens are not valid) for this user is '2026-01-01 00:01:00Z'."
            ) == true)
        // Signing in again after the revocation works.
        p.clock.advance(by: 1)
        let fresh = try #require(try ropc(p).get().refreshToken)
        #expect((try? refresh(p, fresh).get()) != nil)
    }

    @Test func refreshChecksTheUserAgain() throws {
        var scenario = Fixture.scenario()
        let p = Fixture.issuer(scenario)
        let token = try #require(try ropc(p).get().refreshToken)
        scenario.users[0].enabled = false
        let disabled = TokenIssuer(
            cloud: p.cloud, scenario: scenario, key: Fixture.gccHighKey, state: p.state, clock: p.clock,
            ids: IdentifierSource(seed: 1))
        #expect(
            code(
                disabled.token(
                    form: [
                        "grant_type": "refresh_token", "client_id": Fixture.appID, "client_secret": Fixture.secret,
                        "refresh_token": token,
                    ], tenantSegment: tenant)) == 50057)
    }

    @Test func refreshTokenFromAnotherCloudIsUnknown() throws {
        let ww = Fixture.issuer(cloud: .worldwide)
        let token = try #require(
            ww.issuer.token(
                form: [
                    "grant_type": "password", "client_id": Fixture.wwAppID, "client_secret": Fixture.secret,
                    "username": "x@fabrikam.onmicrosoft.com", "password": "x",
                    "scope": "https://outlook.office.com/IMAP.AccessAsUser.All offline_access",
                ],
                tenantSegment: Fixture.wwTenantID
            ).failureValue)
        #expect(token.code == 50034)
        let gcc = Fixture.issuer()
        let rt = try #require(try ropc(gcc).get().refreshToken)
        #expect(
            code(
                ww.issuer.token(
                    form: [
                        "grant_type": "refresh_token", "client_id": Fixture.wwAppID, "client_secret": Fixture.secret,
                        "refresh_token": rt,
                    ], tenantSegment: "common")) == 9_002_313)
    }

    // MARK: Client credentials

    @Test func clientCredentials() throws {
        let p = Fixture.issuer()
        let g = try p.issuer.token(
            form: [
                "grant_type": "client_credentials", "client_id": Fixture.appID, "client_secret": Fixture.secret,
                "scope": "https://outlook.office365.us/.default",
            ], tenantSegment: tenant
        ).get()
        #expect(g.claims.roles == ["IMAP.AccessAsApp"])
        #expect(g.claims.idtyp == "app")
        #expect(g.claims.upn == nil)
        #expect(g.claims.scp.isEmpty)
        #expect(g.claims.aud == p.cloud.appAudience)
        #expect(g.refreshToken == nil && g.idToken == nil && g.scope == nil)
        let e = p.issuer.token(
            form: [
                "grant_type": "client_credentials", "client_id": Fixture.appID, "client_secret": Fixture.secret,
                "scope": "https://outlook.office365.us/IMAP.AccessAsApp",
            ], tenantSegment: tenant
        ).failureValue
        #expect(e?.code == 1_002_012)
        #expect(e?.error == "invalid_scope")
        #expect(
            code(
                p.issuer.token(
                    form: [
                        "grant_type": "client_credentials", "client_id": Fixture.appID, "client_secret": Fixture.secret,
                        "scope": "https://outlook.office365.com/.default",
                    ], tenantSegment: tenant)) == 500011)
    }

    @Test func unsupportedGrantAndMissingGrant() {
        let p = Fixture.issuer()
        #expect(
            code(p.issuer.token(form: ["grant_type": "magic", "client_id": Fixture.appID], tenantSegment: tenant))
                == 70003)
        #expect(code(p.issuer.token(form: ["client_id": Fixture.appID], tenantSegment: tenant)) == 900144)
        #expect(code(p.issuer.token(form: ["grant_type": "password"], tenantSegment: tenant)) == 900144)
    }

    // MARK: Device code

    func poll(_ p: Fixture.Parts, _ deviceCode: String) -> Result<TokenGrant, EntraError> {
        p.issuer.token(
            form: [
                "grant_type": "urn:ietf:params:oauth:grant-type:device_code", "client_id": Fixture.publicAppID,
                "device_code": deviceCode,
            ], tenantSegment: tenant)
    }

    func startDevice(_ p: Fixture.Parts) throws -> (device: String, user: String) {
        let json = try p.issuer.startDeviceCode(
            form: ["client_id": Fixture.publicAppID, "scope": Fixture.imapScope], tenantSegment: tenant
        ).get()
        guard case .object(let fields) = json,
            case .string(let user)? = fields.first(where: { $0.0 == "user_code" })?.1,
            case .string(let device)? = fields.first(where: { $0.0 == "device_code" })?.1
        else {
            throw CancellationError()
        }
        #expect(
            json.serialized.contains(
                "\"verification_uri\":\"https://microsoft.com/deviceloginus\",\"expires_in\":900,\"interval\":5,\"message\":\"To sign in, use a web browser to open the page https://microsoft.com/deviceloginus and enter the code \(user) to authenticate.\""
            ))
        return (device, user)
    }

    @Test func deviceCodeFlow() throws {
        let p = Fixture.issuer()
        let (device, user) = try startDevice(p)
        let pending = poll(p, device).failureValue
        #expect(pending?.error == "authorization_pending")
        #expect(pending?.code == 70016)
        #expect(poll(p, device).failureValue?.error == "slow_down")
        p.clock.advance(by: 5)
        #expect(poll(p, device).failureValue?.error == "authorization_pending")
        #expect(p.issuer.decideDeviceCode(userCode: user, upn: Fixture.agent, password: "wrong") != nil)
        #expect(p.issuer.decideDeviceCode(userCode: user, upn: Fixture.agent, password: Fixture.password) == nil)
        let g = try poll(p, device).get()
        #expect(g.claims.upn == Fixture.agent)
        #expect(g.claims.appidacr == "0")
        #expect(code(poll(p, device)) == 54005)
        #expect(poll(p, "unknown").failureValue?.error == "bad_verification_code")
    }

    @Test func deviceCodeDeclinedAndExpired() throws {
        let p = Fixture.issuer()
        let declined = try startDevice(p)
        #expect(p.issuer.decideDeviceCode(userCode: declined.user, upn: nil, password: nil) == nil)
        #expect(poll(p, declined.device).failureValue?.error == "authorization_declined")
        let expired = try startDevice(p)
        p.clock.advance(by: 900)
        #expect(poll(p, expired.device).failureValue?.error == "expired_token")
        #expect(p.issuer.decideDeviceCode(userCode: expired.user, upn: Fixture.agent, password: nil) != nil)
    }

    // MARK: Faults

    @Test func throttleFaultCountsMatches() {
        let p = Fixture.issuer(
            Fixture.scenario(faults: [
                Fault(service: .token, kind: .throttle, match: "refresh_token", after: 1, count: 2, seconds: 30)
            ]))
        #expect(p.issuer.fault(matching: "password") == nil)
        #expect(p.issuer.fault(matching: "refresh_token") == nil)
        #expect(p.issuer.fault(matching: "refresh_token") == .throttle(retryAfter: 30))
        #expect(p.issuer.fault(matching: "refresh_token") == .throttle(retryAfter: 30))
        #expect(p.issuer.fault(matching: "refresh_token") == nil)
    }

    @Test func aadstsFaultAnswersWithTheCode() {
        let p = Fixture.issuer(
            Fixture.scenario(faults: [
                Fault(service: .token, kind: .aadsts, cloud: .worldwide, code: 50076),
                Fault(service: .token, kind: .aadsts, code: 53003),
                Fault(service: .imap, kind: .latency, seconds: 1),
            ]))
        guard case .error(let e)? = p.issuer.fault(matching: "password") else {
            Issue.record("expected an aadsts fault")
            return
        }
        #expect(e.code == 53003)
        #expect(e.error == "invalid_grant")
        let unknown = EntraError(entry: AADSTSCatalogue.code(12345))
        #expect(unknown.message.hasPrefix("AADSTS12345: "))
    }

    // MARK: Authorize

    func authorize(_ p: Fixture.Parts, _ extra: [String: String] = [:], client: String = Fixture.appID)
        -> AuthorizeOutcome
    {
        var q = [
            "client_id": client, "response_type": "code", "redirect_uri": Fixture.redirect, "scope": Fixture.imapScope,
        ]
        q.merge(extra) { $1 }
        return p.issuer.authorize(parameters: q, tenantSegment: tenant)
    }

    func errorCode(_ outcome: AuthorizeOutcome) -> (String, Int)? {
        if case .redirect(let r) = outcome, case .error(let e) = r.result {
            return (e.entry.authorizeError ?? e.error, e.code)
        }
        return nil
    }

    @Test func authorizeErrorPages() {
        let p = Fixture.issuer()
        guard case .errorPage(let mismatch) = authorize(p, ["redirect_uri": "https://evil.example/cb"]) else {
            Issue.record("expected an error page")
            return
        }
        #expect(mismatch.code == 50011)
        guard case .errorPage(let unknown) = authorize(p, client: Fixture.wwAppID) else {
            Issue.record("expected an error page")
            return
        }
        #expect(unknown.code == 700016)
    }

    @Test func authorizeSilentDecisions() {
        let p = Fixture.issuer()
        #expect(errorCode(authorize(p, ["prompt": "none"]))! == ("login_required", 50058))
        p.state.setSSO([Fixture.admin, Fixture.agent])
        #expect(errorCode(authorize(p, ["prompt": "none"]))! == ("interaction_required", 16000))
        // login_hint picks the shared mailbox's account out of two sessions.
        guard case .redirect(let r) = authorize(p, ["prompt": "none", "login_hint": Fixture.agent]),
            case .code = r.result
        else {
            Issue.record("expected a code")
            return
        }
        #expect(
            errorCode(authorize(p, ["prompt": "none", "scope": "https://outlook.office.com/IMAP.AccessAsUser.All"]))!
                == ("invalid_resource", 500011))
        #expect(
            errorCode(authorize(p, ["prompt": "none", "login_hint": Fixture.agent, "response_type": "token"]))! == (
                "unsupported_response_type", 700054
            ))
        p.state.setSSO([Fixture.disabledUser])
        #expect(errorCode(authorize(p, ["prompt": "none"]))! == ("access_denied", 50057))
        p.state.setSSO([Fixture.blockedUser])
        #expect(errorCode(authorize(p, ["prompt": "none"]))! == ("access_denied", 53003))
        p.state.setSSO([Fixture.admin])
        #expect(
            errorCode(authorize(p, ["prompt": "none"], client: Fixture.noConsentAppID))! == ("consent_required", 65001))
    }

    @Test func ssoSignsInTheSessionsAccountSilently() throws {
        // The support-ticket story: the browser is signed in as the admin, so the mail handler gets the admin.
        let p = Fixture.issuer(Fixture.scenario(signedIn: [Fixture.admin]))
        guard case .redirect(let r) = authorize(p), case .code(let code, _) = r.result else {
            Issue.record("expected a silent code")
            return
        }
        #expect(try redeem(p, code).get().claims.upn == Fixture.admin)
        p.state.clearSSO()
        guard case .signIn = authorize(p) else {
            Issue.record("expected the sign-in page")
            return
        }
        guard
            case .redirect(let r2) = p.issuer.authorizeSignIn(
                parameters: [
                    "client_id": Fixture.appID, "response_type": "code",
                    "redirect_uri": Fixture.redirect, "scope": Fixture.imapScope,
                ], tenantSegment: tenant, login: Fixture.agent, password: Fixture.password),
            case .code(let code2, _) = r2.result
        else {
            Issue.record("expected a code after signing in")
            return
        }
        #expect(try redeem(p, code2).get().claims.upn == Fixture.agent)
        #expect(p.state.ssoSessions == [Fixture.agent])
    }

    @Test func promptLoginAndSelectAccountShowPages() {
        let p = Fixture.issuer(Fixture.scenario(signedIn: [Fixture.admin]))
        guard case .signIn(_, let hint, _) = authorize(p, ["prompt": "login", "login_hint": Fixture.agent]) else {
            Issue.record("expected the sign-in page")
            return
        }
        #expect(hint == Fixture.agent)
        guard case .pickAccount(_, let accounts) = authorize(p, ["prompt": "select_account"]) else {
            Issue.record("expected the account picker")
            return
        }
        #expect(accounts == [Fixture.admin])
        guard
            case .signIn(_, _, let problem) = p.issuer.authorizeSignIn(
                parameters: [
                    "client_id": Fixture.appID, "response_type": "code",
                    "redirect_uri": Fixture.redirect, "scope": Fixture.imapScope,
                ], tenantSegment: tenant, login: Fixture.agent, password: "bad")
        else {
            Issue.record("expected the sign-in page again")
            return
        }
        #expect(problem?.contains("password is incorrect") == true)
    }

    @Test func consentPageGrantsConsent() throws {
        let p = Fixture.issuer(Fixture.scenario(signedIn: [Fixture.admin]))
        guard case .consent(_, let pending, let upn) = authorize(p, client: Fixture.noConsentAppID) else {
            Issue.record("expected the consent page")
            return
        }
        #expect(upn == Fixture.admin)
        guard case .redirect(let r)? = p.issuer.authorizeConsent(pendingID: pending, accept: true),
            case .code = r.result
        else {
            Issue.record("expected a code after consent")
            return
        }
        #expect(p.state.hasConsent(upn: Fixture.admin, clientID: Fixture.noConsentAppID))
        guard case .consent(_, let again, _) = authorize(p, ["prompt": "consent"]) else {
            Issue.record("prompt=consent shows the page even with consent")
            return
        }
        #expect(errorCode(p.issuer.authorizeConsent(pendingID: again, accept: false)!)! == ("access_denied", 65004))
        #expect(p.issuer.authorizeConsent(pendingID: again, accept: true) == nil)
    }
}
