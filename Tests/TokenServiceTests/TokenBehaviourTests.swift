import Determinism
import EntraTokens
import ExomockTestSupport
import Foundation
import MicrosoftClouds
import ScenarioLoader
import ScenarioModel
import Testing

/// Issue 12's token behaviours, by value: cross-cloud confidential clients (AADSTS900382), grants
/// refused on `/common` (AADSTS9001023), MFA registration (AADSTS50079), users of another tenant
/// (AADSTS50020), 50076's `error`, and `http_status` faults.
@Suite("Token behaviours (issue 12)")
struct TokenBehaviourTests {
    static let otherTenantID = "22222222-3333-4444-8555-666666666666"
    static let otherDomain = "northwind.onmicrosoft.us"
    static let outsider = "outsider@northwind.onmicrosoft.us"
    static let unregistered = "unregistered@contoso.onmicrosoft.us"

    /// The fixture plus a second GCC High tenant with one user, and a user who must register MFA.
    static func scenario(multiTenant: Bool = false) -> Scenario {
        var s = Fixture.scenario()
        s.tenants.append(Tenant(id: otherTenantID, name: "Northwind", cloud: .gccHigh, domains: [otherDomain]))
        s.users.append(User(upn: outsider, password: Fixture.password))
        var u = User(upn: unregistered, password: Fixture.password)
        u.mfaRegistrationRequired = true
        s.users.append(u)
        s.apps[0].multiTenant = multiTenant
        return s
    }

    func ropc(
        _ p: Fixture.Parts, user: String = Fixture.admin, tenant: String = Fixture.tenantID,
        secret: String? = Fixture.secret
    )
        -> Result<TokenGrant, EntraError>
    {
        var form = [
            "grant_type": "password", "client_id": Fixture.appID, "username": user, "password": Fixture.password,
            "scope": Fixture.imapScope,
        ]
        form["client_secret"] = secret
        return p.issuer.token(form: form, tenantSegment: tenant)
    }

    // MARK: Cross cloud

    @Test func confidentialClientAcrossCloudsGets900382() throws {
        // The Worldwide authority asked for the GCC High tenant by a client that sends its secret.
        let ww = Fixture.issuer(cloud: .worldwide)
        let form = [
            "grant_type": "client_credentials", "client_id": Fixture.appID, "client_secret": Fixture.secret,
            "scope": "https://outlook.office.com/.default",
        ]
        let e = try #require(ww.issuer.token(form: form, tenantSegment: Fixture.tenantID).failureValue)
        #expect(e.code == 900382)
        #expect(e.error == "invalid_request")
        #expect(e.status == 400)
        #expect(e.message == "AADSTS900382: Confidential Client is not supported in Cross Cloud request.")
        // The same through HTTP Basic, and by verified domain.
        var basic = form
        basic["client_secret"] = nil
        #expect(
            ww.issuer.token(form: basic, tenantSegment: Fixture.domain, basicAuth: (Fixture.appID, Fixture.secret))
                .failureValue?.code == 900382)
        // A public client (no credential) and an unknown tenant still get AADSTS90002.
        #expect(ww.issuer.token(form: basic, tenantSegment: Fixture.tenantID).failureValue?.code == 90002)
        let unknown = ww.issuer.token(form: form, tenantSegment: "99999999-2222-4333-8444-555555555555")
        #expect(unknown.failureValue?.code == 90002)
        // Discovery of a tenant of another cloud stays 90002.
        #expect(ww.issuer.resolveTenant(Fixture.tenantID).failureValue?.code == 90002)
    }

    @Test func authorizeAcrossCloudsSignsInThenTheCodeIsRefused() throws {
        let ww = Fixture.issuer(cloud: .worldwide)
        let q = [
            "client_id": Fixture.appID, "response_type": "code", "redirect_uri": Fixture.redirect,
            "scope": "https://outlook.office.com/IMAP.AccessAsUser.All offline_access", "state": "s",
        ]
        guard case .signIn = ww.issuer.authorize(parameters: q, tenantSegment: Fixture.tenantID) else {
            Issue.record("a cross-cloud authorize should show the sign-in page")
            return
        }
        let signedIn = ww.issuer.authorizeSignIn(
            parameters: q, tenantSegment: Fixture.tenantID, login: Fixture.admin, password: Fixture.password)
        guard case .redirect(let r) = signedIn, case .code(let code, _) = r.result else {
            Issue.record("expected a code, got \(signedIn)")
            return
        }
        let redeemed = ww.issuer.token(
            form: [
                "grant_type": "authorization_code", "client_id": Fixture.appID, "client_secret": Fixture.secret,
                "code": code, "redirect_uri": Fixture.redirect,
            ], tenantSegment: Fixture.tenantID)
        #expect(redeemed.failureValue?.code == 900382)
    }

    // MARK: /common

    @Test func clientCredentialsAndPasswordAreRefusedOnCommon() {
        let p = Fixture.issuer()
        let cc = [
            "grant_type": "client_credentials", "client_id": Fixture.appID, "client_secret": Fixture.secret,
            "scope": "https://outlook.office365.us/.default",
        ]
        let e = p.issuer.token(form: cc, tenantSegment: "common").failureValue
        #expect(e?.code == 9_001_023)
        #expect(e?.error == "invalid_request")
        #expect(ropc(p, tenant: "common").failureValue?.code == 9_001_023)
        #expect(ropc(p, tenant: "COMMON").failureValue?.code == 9_001_023)
        // /organizations and a tenant serve both.
        #expect((try? p.issuer.token(form: cc, tenantSegment: "organizations").get()) != nil)
        #expect((try? ropc(p, tenant: "organizations").get()) != nil)
        // Other grants on /common are not refused for it: a garbled refresh token gets its own error.
        let refresh = p.issuer.token(
            form: [
                "grant_type": "refresh_token", "client_id": Fixture.appID, "client_secret": Fixture.secret,
                "refresh_token": "1.Agarbled",
            ], tenantSegment: "common")
        #expect(refresh.failureValue?.code == 9_002_313)
    }

    // MARK: Users

    @Test func mfaRegistrationRequiredOnPasswordAndRefresh() throws {
        var s = Self.scenario()
        let p = Fixture.issuer(s)
        let e = try #require(ropc(p, user: Self.unregistered).failureValue)
        #expect(e.code == 50079)
        #expect(e.error == "interaction_required")
        #expect(
            e.message.contains(
                "you must enroll in multi-factor authentication to access 'https://outlook.office365.us'"))
        // A refresh token issued before the policy applied stops working when it does.
        let refresh = try #require(try ropc(p).get().refreshToken)
        let admin = try #require(s.users.firstIndex { $0.upn == Fixture.admin })
        s.users[admin].mfaRegistrationRequired = true
        let later = TokenIssuer(
            cloud: p.cloud, scenario: s, key: Fixture.gccHighKey, state: p.state, clock: p.clock,
            ids: IdentifierSource(seed: 1))
        let refused = later.token(
            form: [
                "grant_type": "refresh_token", "client_id": Fixture.appID, "client_secret": Fixture.secret,
                "refresh_token": refresh,
            ], tenantSegment: Fixture.tenantID)
        #expect(refused.failureValue?.code == 50079)
        // A wrong password is still a wrong password.
        var form = ["grant_type": "password", "client_id": Fixture.appID, "client_secret": Fixture.secret]
        form.merge(["username": Self.unregistered, "password": "nope", "scope": Fixture.imapScope]) { $1 }
        #expect(p.issuer.token(form: form, tenantSegment: Fixture.tenantID).failureValue?.code == 50126)
    }

    @Test func mfaRequiredAnswersInteractionRequired() throws {
        let p = Fixture.issuer()
        let e = try #require(ropc(p, user: Fixture.mfaUser).failureValue)
        #expect(e.code == 50076)
        #expect(e.error == "interaction_required")
        #expect(e.entry.suberror == "basic_action")
    }

    @Test func userOfAnotherTenantGets50020() throws {
        let p = Fixture.issuer(Self.scenario())
        // Naming the app's tenant.
        let e = try #require(ropc(p, user: Self.outsider).failureValue)
        #expect(e.code == 50020)
        #expect(e.error == "invalid_request")
        #expect(
            e.message
                == "AADSTS50020: User account '\(Self.outsider)' from identity provider 'https://sts.windows.net/\(Self.otherTenantID)/' does not exist in tenant '\(Fixture.tenantID)' and cannot access the application '\(Fixture.appID)'(Jira mail handler) in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Azure Active Directory user account."
        )
        // Through /organizations: the single-tenant app admits its own tenant's users only.
        #expect(ropc(p, user: Self.outsider, tenant: "organizations").failureValue?.code == 50020)
        #expect((try? ropc(p, tenant: "organizations").get()) != nil)
        // A user nobody knows is still 50034.
        #expect(ropc(p, user: "nobody@northwind.onmicrosoft.us").failureValue?.code == 50034)
        // A multi-tenant app admits the outsider through /organizations, with the outsider's tenant.
        let multi = Fixture.issuer(Self.scenario(multiTenant: true))
        let grant = try ropc(multi, user: Self.outsider, tenant: "organizations").get()
        #expect(grant.claims.tid == Self.otherTenantID)
        // Naming a tenant still admits that tenant's users only.
        #expect(ropc(multi, user: Self.outsider).failureValue?.code == 50020)
    }

    @Test func userOfAnotherTenantSeesTheErrorPageAtAuthorize() {
        let p = Fixture.issuer(Self.scenario())
        let q = [
            "client_id": Fixture.appID, "response_type": "code", "redirect_uri": Fixture.redirect,
            "scope": Fixture.imapScope, "state": "s",
        ]
        let outcome = p.issuer.authorizeSignIn(
            parameters: q, tenantSegment: "organizations", login: Self.outsider, password: Fixture.password)
        guard case .errorPage(let e) = outcome else {
            Issue.record("expected the AADSTS50020 error page, got \(outcome)")
            return
        }
        #expect(e.code == 50020)
    }

    // MARK: http_status faults

    @Test func httpStatusFaultAnswersTheStatusWithAJSONBody() throws {
        let p = Fixture.issuer(
            Fixture.scenario(faults: [
                Fault(
                    service: .token, kind: .httpStatus, match: "client_credentials", count: 1, status: 503,
                    retryAfter: 30),
                Fault(service: .token, kind: .httpStatus, match: "password", status: 500),
            ]))
        guard case .serverError(let e, let status, let retryAfter)? = p.issuer.fault(matching: "client_credentials")
        else {
            Issue.record("expected an http_status fault")
            return
        }
        #expect(status == 503 && retryAfter == 30)
        #expect(e.code == 90033 && e.error == "temporarily_unavailable")
        #expect(e.message == "AADSTS90033: A transient error has occurred. Please try again.")
        #expect(p.issuer.fault(matching: "client_credentials") == nil, "count: 1 applies once")
        guard case .serverError(let e500, 500, nil)? = p.issuer.fault(matching: "password") else {
            Issue.record("expected a 500 without Retry-After")
            return
        }
        #expect(e500.error == "server_error")
    }

    static func faultYAML(_ fault: String) -> String {
        """
        version: 1
        name: t
        clouds: [gcc-high]
        tenants:
          - {id: 8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a, cloud: gcc-high, domains: [contoso.onmicrosoft.us]}
        faults:
          - \(fault)
        """
    }

    func problems(_ yaml: String) -> [String] {
        ScenarioLoader.problems(yaml: yaml, fileName: "t.yaml")
    }

    @Test func httpStatusFaultsAreValidatedWithLocations() {
        #expect(problems(Self.faultYAML("{service: token, kind: http_status, status: 503, retry_after: 120}")).isEmpty)
        let tooLow = problems(Self.faultYAML("{service: token, kind: http_status, status: 429}"))
        #expect(
            tooLow == [
                "t.yaml:7:49: faults[0].status: 429 is not a server error. Use a status from 500 to 599 (e.g. 500 or 503); for 429 write `kind: throttle` with `seconds:`."
            ], "\(tooLow)")
        let outOfRange = problems(Self.faultYAML("{service: token, kind: http_status, status: 700}"))
        #expect(
            outOfRange.count == 1 && outOfRange[0].hasPrefix("t.yaml:7:49: faults[0].status: 700 is out of range"),
            "\(outOfRange)")
        let missing = problems(Self.faultYAML("{service: token, kind: http_status}"))
        #expect(
            missing.count == 1 && missing[0].contains("faults[0].status: an `http_status` fault needs the HTTP status"),
            "\(missing)")
        let mail = problems(Self.faultYAML("{service: imap, kind: http_status, status: 503}"))
        #expect(
            mail.count == 1 && mail[0].contains("faults[0].kind: `http_status` faults apply to the token service only"),
            "\(mail)")
        let stray = problems(Self.faultYAML("{service: token, kind: throttle, seconds: 5, retry_after: 5}"))
        #expect(stray.count == 1 && stray[0].contains("faults[0].retry_after: only an `http_status` fault"), "\(stray)")
    }
}

/// Served behaviours seen by curl: an `http_status` fault (status, `Retry-After`, Microsoft's JSON
/// error body; the next request is served), and a confidential client at another cloud's authority.
@Suite(.serialized)
struct TokenServerErrorServeTests {
    static func quickstartWithoutFlow() throws -> String {
        let quickstart = try String(
            contentsOf: TestSupport.repositoryRoot.appendingPathComponent("Scenarios/quickstart.yaml"), encoding: .utf8)
        return try #require(quickstart.components(separatedBy: "# A client flow").first)
    }

    @Test("cross cloud: curl's client_credentials at the Worldwide authority for the GCC High tenant gets 900382")
    func curlSeesCrossCloud900382() throws {
        let yaml = try Self.quickstartWithoutFlow().replacingOccurrences(
            of: "clouds: [gcc-high]", with: "clouds: [gcc-high, worldwide]")
        let mock = try ServedExomock(scenarioYAML: yaml, label: "token-cross-cloud")
        defer { _ = mock.stop() }
        let worldwide = try mock.cloud("worldwide")
        let form = [
            "-d", "grant_type=client_credentials", "-d", "client_id=11111111-2222-3333-4444-555555555555",
            "-d", "scope=https://outlook.office.com/.default",
        ]
        let url = "\(worldwide.authorityURL)/contoso.onmicrosoft.us/oauth2/v2.0/token"
        let confidential = try ServedExomock.curl(
            ["--cacert", mock.ready.caFile, "-i", url, "-d", "client_secret=quickstart-secret"] + form)
        #expect(confidential.output.hasPrefix("HTTP/1.1 400"), "\(confidential.output.prefix(400))")
        #expect(
            confidential.output.contains(
                #"{"error":"invalid_request","error_description":"AADSTS900382: Confidential Client is not supported in Cross Cloud request."#
            ), "\(confidential.output.prefix(600))")
        // Without the secret the Worldwide directory does not know the tenant.
        let publicClient = try ServedExomock.curl(["--cacert", mock.ready.caFile, url] + form)
        #expect(publicClient.output.contains(#""error_codes":[90002]"#), "\(publicClient.output.prefix(600))")
    }

    @Test("http_status fault: curl sees 503, Retry-After: 120 and AADSTS90033, once")
    func curlSeesRetryAfter() throws {
        let withoutFlow = try Self.quickstartWithoutFlow()
        let mock = try ServedExomock(
            scenarioYAML: withoutFlow
                + "faults:\n  - {service: token, kind: http_status, status: 503, retry_after: 120, match: client_credentials, count: 1}\n",
            label: "token-503")
        defer { _ = mock.stop() }
        let cloud = try mock.cloud()
        let request = [
            "--cacert", mock.ready.caFile, "-i", "\(cloud.authorityURL)/contoso.onmicrosoft.us/oauth2/v2.0/token",
            "-d", "grant_type=client_credentials", "-d", "client_id=11111111-2222-3333-4444-555555555555",
            "-d", "client_secret=quickstart-secret", "-d", "scope=https://outlook.office365.us/.default",
        ]
        let failed = try ServedExomock.curl(request)
        let head = failed.output.lowercased()
        #expect(head.hasPrefix("http/1.1 503"), "\(failed.output.prefix(400))")
        #expect(head.contains("\r\nretry-after: 120\r\n"), "\(failed.output.prefix(400))")
        #expect(
            failed.output.contains(
                #"{"error":"temporarily_unavailable","error_description":"AADSTS90033: A transient error has occurred. Please try again."#
            ))
        #expect(failed.output.contains(#""error_codes":[90033]"#))

        let served = try ServedExomock.curl(request)
        #expect(served.output.hasPrefix("HTTP/1.1 200"), "the fault applies once: \(served.output.prefix(400))")
        #expect(try mock.journal().contains("\"http_status\""))
    }
}
