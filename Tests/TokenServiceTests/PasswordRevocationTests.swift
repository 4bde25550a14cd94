import EntraTokens
import Foundation
import ScenarioModel
import Testing

/// Microsoft's refresh-token revocation table as a value, and the per-user history built on it.
@Suite struct PasswordRevocationTests {
    let t0 = Date(timeIntervalSince1970: 1_767_225_600)
    let upn = "Admin@contoso.onmicrosoft.us"

    @Test("the table, row by row")
    func table() {
        let userRows: [PasswordChangeSurface] = [.user, .selfService, .azurePortal]
        for surface in userRows {
            let event = CredentialEvent.password(surface)
            #expect(PasswordRevocationRules.revokes(event, .passwordBasedCookie), "\(surface)")
            #expect(PasswordRevocationRules.revokes(event, .passwordBasedToken), "\(surface)")
            #expect(!PasswordRevocationRules.revokes(event, .nonPasswordBasedCookie), "\(surface)")
            #expect(!PasswordRevocationRules.revokes(event, .nonPasswordBasedToken), "\(surface)")
            #expect(!PasswordRevocationRules.revokes(event, .confidentialClientToken), "\(surface)")
        }
        for surface in [PasswordChangeSurface.entraAdminCenter, .m365AdminCenter] {
            let event = CredentialEvent.password(surface)
            #expect(PasswordRevocationRules.revokes(event, .passwordBasedToken), "\(surface)")
            #expect(!PasswordRevocationRules.revokes(event, .nonPasswordBasedCookie), "\(surface)")
            #expect(PasswordRevocationRules.revokes(event, .nonPasswordBasedToken), "\(surface)")
            #expect(PasswordRevocationRules.revokes(event, .confidentialClientToken), "\(surface)")
        }
        for credential in SessionCredential.allCases {
            #expect(PasswordRevocationRules.revokes(.revokeSessions, credential))
        }
    }

    @Test("a user's own change keeps a confidential client's token and ends a public client's")
    func userChange() {
        var history = CredentialHistory()
        let epoch = history.epoch(upn: upn)
        history.record(.password(.user), upn: upn.lowercased(), at: t0.addingTimeInterval(60))
        let publicToken = history.revocation(
            upn: upn, credential: .passwordBasedToken, issuedEpoch: epoch, authTime: t0)
        #expect(publicToken?.validFrom == t0.addingTimeInterval(60))
        #expect(
            history.revocation(
                upn: upn, credential: .confidentialClientToken, issuedEpoch: epoch, authTime: t0) == nil)
    }

    @Test(
        "a revocation at the same virtual instant as the issue still counts; a sign-in after it lives")
    func sameInstant() {
        var history = CredentialHistory()
        let epoch = history.epoch(upn: upn)
        history.record(.password(.entraAdminCenter), upn: upn, at: t0)
        #expect(
            history.revocation(
                upn: upn, credential: .confidentialClientToken, issuedEpoch: epoch, authTime: t0) != nil)
        let after = history.epoch(upn: upn)
        #expect(after == epoch + 1)
        #expect(
            history.revocation(
                upn: upn, credential: .confidentialClientToken, issuedEpoch: after, authTime: t0) == nil)
    }

    @Test("only the latest revocation per kind is kept, and it is the one reported")
    func latestWins() {
        var history = CredentialHistory()
        for i in 1...1_000 {
            history.record(.password(.user), upn: upn, at: t0.addingTimeInterval(Double(i)))
        }
        history.record(.revokeSessions, upn: upn, at: t0.addingTimeInterval(5_000))
        let r = history.revocation(
            upn: upn, credential: .confidentialClientToken, issuedEpoch: 3, authTime: t0)
        #expect(
            r == CredentialHistory.Revocation(epoch: 1_001, validFrom: t0.addingTimeInterval(5_000)))
        #expect(history.epoch(upn: "other@contoso.onmicrosoft.us") == 0)
    }
}
