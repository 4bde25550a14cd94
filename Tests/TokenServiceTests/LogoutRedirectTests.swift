import EntraTokenService
import Foundation
import Hummingbird
import HummingbirdTesting
import Journal
import Testing

/// The logout endpoint redirects only to a `post_logout_redirect_uri` registered on the app the request
/// names (`client_id`, or the `aud` of `id_token_hint`); anything else (`javascript:`, another site, no
/// app named) gets the signed-out page and no `Location`, and the journal says why.
@Suite("Logout redirect")
struct LogoutRedirectTests {
    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    /// An unsigned JWT whose payload has `aud`: the app `id_token_hint` names.
    static func idTokenHint(aud: String) -> String {
        let payload = Data(#"{"aud":"\#(aud)","tid":"t"}"#.utf8).base64EncodedString()
            .replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
        return "eyJhbGciOiJub25lIn0.\(payload).sig"
    }

    /// GETs the logout endpoint with `query`; the status, the Location header and the journal's detail.
    func logout(_ query: String) async throws -> (
        status: HTTPResponse.Status, location: String?, detail: [String: String]
    ) {
        let h = RouterTests().harness()
        let answer = try await h.app.test(.router) { client in
            try await client.execute(uri: "/contoso.onmicrosoft.us/oauth2/v2.0/logout?\(query)", method: .get) {
                ($0.status, $0.headers[.location])
            }
        }
        let event = h.journal.events().last { $0.event == .ssoCleared }
        return (answer.0, answer.1, event?.detail ?? [:])
    }

    @Test func aRegisteredURIOfTheNamedAppIsFollowed() async throws {
        let byClient = try await logout(
            "post_logout_redirect_uri=\(Self.encoded(Fixture.redirect))&client_id=\(Fixture.appID)&state=s1")
        #expect(byClient.status == .found)
        #expect(byClient.location == Fixture.redirect + "?state=s1")
        let byHint = try await logout(
            "post_logout_redirect_uri=\(Self.encoded(Fixture.redirect))&id_token_hint=\(Self.idTokenHint(aud: Fixture.appID))"
        )
        #expect(byHint.status == .found)
        #expect(byHint.location == Fixture.redirect)
    }

    @Test(arguments: [
        ("javascript:alert(document.cookie)", true, "not_a_redirect_uri"),
        ("https://attacker.example/phish", true, "not_a_redirect_uri"),
        (Fixture.redirect + "/../evil", true, "not_a_redirect_uri"),
        (Fixture.redirect, false, "no_app_named"),
    ])
    func anythingElseGetsTheSignedOutPage(target: String, namesApp: Bool, reason: String) async throws {
        let query =
            "post_logout_redirect_uri=\(Self.encoded(target))" + (namesApp ? "&client_id=\(Fixture.appID)" : "")
        let answer = try await logout(query)
        #expect(answer.status == .ok)
        #expect(answer.location == nil, "redirected to \(answer.location ?? "")")
        #expect(answer.detail["redirect_refused"] == reason, "\(answer.detail)")
        #expect(answer.detail["post_logout_redirect_uri"] == target)
    }

    @Test func noTargetIsTheSignedOutPage() async throws {
        let answer = try await logout("client_id=\(Fixture.appID)")
        #expect(answer.status == .ok && answer.location == nil)
        #expect(answer.detail["redirect_refused"] == nil)
    }
}
