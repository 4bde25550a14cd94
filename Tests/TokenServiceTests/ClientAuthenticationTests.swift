import EntraTokens
import Foundation
import ScenarioModel
import Testing
import _CryptoExtras

/// Certificate credentials at the token endpoint: each assertion failure gets Microsoft's AADSTS answer
/// (`invalid_client`, HTTP 401), and a good assertion gets an app-only token.
@Suite struct ClientAuthenticationTests {
    typealias A = ClientAssertionTests

    static func parts() -> Fixture.Parts {
        var scenario = Fixture.scenario()
        scenario.apps[0].certificates = [AppCertificate(pem: A.minted.certificatePEM, file: "handler.pem")]
        return Fixture.issuer(scenario)
    }

    static func clientCredentials(_ p: Fixture.Parts, assertion: String, clientID: String = Fixture.appID)
        -> Result<TokenGrant, EntraError>
    {
        p.issuer.token(
            form: [
                "grant_type": "client_credentials", "client_id": clientID,
                "scope": "https://outlook.office365.us/.default",
                "client_assertion_type": ClientAssertionVerifier.assertionType, "client_assertion": assertion,
            ], tenantSegment: Fixture.tenantID, endpointBase: "https://127.0.0.1:8443")
    }

    @Test("a good assertion on the called host or the authority host gets a token")
    func accepted() throws {
        let p = Self.parts()
        #expect(throws: Never.self) { try Self.clientCredentials(p, assertion: try A.assertion()).get() }
        let onCalledHost = try A.assertion { _, c in
            c["aud"] = "https://127.0.0.1:8443/\(Fixture.tenantID)/oauth2/v2.0/token"
        }
        #expect(throws: Never.self) { try Self.clientCredentials(p, assertion: onCalledHost).get() }
    }

    @Test("each failure's code, error and status")
    func failures() throws {
        let p = Self.parts()
        func answer(_ assertion: String, clientID: String = Fixture.appID) -> (Int?, String?, Int?) {
            let e = Self.clientCredentials(p, assertion: assertion, clientID: clientID).failureValue
            return (e?.code, e?.entry.error, e?.entry.status)
        }
        let wrongAudience = try A.assertion { _, c in c["aud"] = "https://login.microsoftonline.com/x/oauth2/v2.0/token"
        }
        #expect(answer(wrongAudience) == (50012, "invalid_client", 401))
        let twoAudiences = try A.assertion { _, c in c["aud"] = [A.endpoint, A.endpoint] }
        #expect(answer(twoAudiences) == (5_002_741, "invalid_client", 401))
        #expect(answer(try A.assertion { _, c in c["iss"] = "x" }) == (700021, "invalid_client", 401))
        #expect(answer(try A.assertion(thumbprint: "none")) == (50027, "invalid_client", 401))
        let otherKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let e = Self.clientCredentials(p, assertion: try A.assertion(signer: otherKey)).failureValue
        #expect(e?.code == 700027)
        #expect(
            e?.message.contains(
                "[Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '\(A.minted.certificate.thumbprint)'"
            ) == true)
        p.clock.advance(by: 600)
        let expired = Self.clientCredentials(p, assertion: try A.assertion()).failureValue
        #expect(expired?.code == 700024)
        #expect(
            expired?.message.hasPrefix(
                "AADSTS700024: Client assertion is not within its valid time range. Current time: 2026-01-01T00:10:00.0000000Z, assertion valid from 2026-01-01T00:00:00.0000000Z, expiry time of assertion 2026-01-01T00:10:00.0000000Z."
            ) == true)
        // A public client may not present an assertion (AADSTS700025).
        let publicClient = p.issuer.token(
            form: [
                "grant_type": "password", "client_id": Fixture.publicAppID, "username": Fixture.admin,
                "password": Fixture.password, "scope": Fixture.imapScope,
                "client_assertion_type": ClientAssertionVerifier.assertionType, "client_assertion": try A.assertion(),
            ], tenantSegment: Fixture.tenantID)
        #expect(publicClient.failureValue?.code == 700025)
    }
}
