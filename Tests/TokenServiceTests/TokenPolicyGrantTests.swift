import EntraTokens
import Foundation
import ScenarioModel
import Testing

/// The refresh-token policies at the grant, on the virtual clock: a SPA's fixed 24 hours, sign-in
/// frequency per user and per app (the shortest wins), and password events by client type.
@Suite struct TokenPolicyGrantTests {
    static let spaID = "0a1b2c3d-1111-4222-8333-5a5a5a5a5a5a"

    static func parts(_ edit: (inout Scenario) -> Void = { _ in }) -> Fixture.Parts {
        var s = Fixture.scenario()
        s.apps.append(
            App(
                name: "SPA", clientID: spaID, tenant: Fixture.tenantID, kind: .spa, redirectURIs: [Fixture.redirect],
                delegatedPermissions: s.apps[0].delegatedPermissions, adminConsent: true))
        edit(&s)
        return Fixture.issuer(s)
    }

    /// The password grant; `secret` only for the confidential app.
    static func signIn(_ p: Fixture.Parts, client: String, user: String = Fixture.admin) throws -> String {
        var form = [
            "grant_type": "password", "client_id": client, "username": user, "password": Fixture.password,
            "scope": Fixture.imapScope,
        ]
        if client == Fixture.appID { form["client_secret"] = Fixture.secret }
        return try #require(try p.issuer.token(form: form, tenantSegment: Fixture.tenantID).get().refreshToken)
    }

    static func refresh(_ p: Fixture.Parts, _ token: String, client: String) -> Result<TokenGrant, EntraError> {
        var form = [
            "grant_type": "refresh_token", "client_id": client, "refresh_token": token, "scope": Fixture.imapScope,
        ]
        if client == Fixture.appID { form["client_secret"] = Fixture.secret }
        return p.issuer.token(form: form, tenantSegment: Fixture.tenantID)
    }

    @Test("a SPA's refresh token dies 24 hours after sign-in, however often it was refreshed")
    func spaFixedLifetime() throws {
        let p = Self.parts()
        var token = try Self.signIn(p, client: Self.spaID)
        for _ in 0..<23 {
            p.clock.advance(by: 3_600)
            token = try #require(try Self.refresh(p, token, client: Self.spaID).get().refreshToken)
        }
        p.clock.advance(by: 3_599)
        token = try #require(try Self.refresh(p, token, client: Self.spaID).get().refreshToken)
        p.clock.advance(by: 1)
        let e = Self.refresh(p, token, client: Self.spaID).failureValue
        #expect(e?.code == 700084)
        #expect(
            e?.message
                == "AADSTS700084: The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime of 1.00:00:00, which cannot be extended. It is now expired and a new sign in request must be sent by the SPA to the sign in page. The token was issued on 2026-01-01T00:00:00.0000000Z."
        )
        // A confidential app's token from the same sign-in time is not bound by it.
        let q = Self.parts()
        let web = try Self.signIn(q, client: Fixture.appID)
        q.clock.advance(by: 2 * 86_400)
        #expect((try? Self.refresh(q, web, client: Fixture.appID).get()) != nil)
    }

    @Test("sign-in frequency: the user's, the app's and the scenario's; the shortest applies")
    func signInFrequency() throws {
        let p = Self.parts { s in
            s.users[0].signInFrequency = 3_600
            s.apps[0].signInFrequency = 7_200
            s.lifetimes.refreshTokenMaxAge = 86_400
        }
        let admin = try Self.signIn(p, client: Fixture.appID)
        let agent = try Self.signIn(p, client: Fixture.appID, user: Fixture.agent)
        p.clock.advance(by: 3_600)
        let e = Self.refresh(p, admin, client: Fixture.appID).failureValue
        #expect(e?.code == 70043)
        #expect(e?.message.hasSuffix("the maximum allowed lifetime for this request is 3600.") == true)
        #expect((try? Self.refresh(p, agent, client: Fixture.appID).get()) != nil)
        p.clock.advance(by: 3_600)
        #expect(Self.refresh(p, agent, client: Fixture.appID).failureValue?.code == 70043)
    }

    @Test("change_password ends a public client's refresh token only; a reset in the Entra admin center ends both")
    func passwordEvents() throws {
        let p = Self.parts()
        let web = try Self.signIn(p, client: Fixture.appID)
        let spa = try Self.signIn(p, client: Self.spaID)
        p.state.addSSO(Fixture.admin)
        p.clock.advance(by: 60)
        p.state.passwordChanged(upn: Fixture.admin, surface: .user, at: p.clock.now())
        #expect(p.state.ssoSessions.isEmpty)
        let e = Self.refresh(p, spa, client: Self.spaID).failureValue
        #expect(e?.code == 50173)
        #expect(
            e?.message.contains(
                "The grant was issued on '2026-01-01 00:00:00Z' and the TokensValidFrom date (before which tokens are not valid) for this user is '2026-01-01 00:01:00Z'."
            ) == true)
        let next = try #require(try Self.refresh(p, web, client: Fixture.appID).get().refreshToken)
        p.state.passwordChanged(upn: Fixture.admin, surface: .entraAdminCenter, at: p.clock.now())
        #expect(Self.refresh(p, next, client: Fixture.appID).failureValue?.code == 50173)
        #expect(Self.refresh(p, web, client: Fixture.appID).failureValue?.code == 50173)
    }
}
