import Foundation
import ScenarioModel
import Testing

/// `ScenarioIndex` answers what a scan from the front answered (first match, any case), and a scenario
/// changed after its first lookup is looked up afresh: the index is a cache, never a stale view.
struct ScenarioIndexTests {
    static let tenantID = "8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a"
    static let appID = "11111111-2222-3333-4444-555555555555"

    static var scenario: Scenario {
        Scenario(
            name: "index", clouds: [.gccHigh, .worldwide],
            tenants: [
                Tenant(id: tenantID, cloud: .gccHigh, domains: ["contoso.onmicrosoft.us", "Contoso.US"]),
                Tenant(id: "9f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a", cloud: .worldwide, domains: ["contoso.us"]),
            ],
            apps: [
                App(name: "first", clientID: appID, tenant: tenantID),
                App(name: "second", clientID: appID, tenant: tenantID),
            ],
            users: [
                User(upn: "Alice@contoso.onmicrosoft.us", password: "one", hasMailbox: false),
                User(upn: "alice@CONTOSO.onmicrosoft.us", password: "two"),
                User(upn: "bob@contoso.onmicrosoft.us", password: "three"),
            ],
            mailboxes: [Mailbox(address: "Helpdesk@contoso.onmicrosoft.us", kind: .shared)])
    }

    @Test func answersAsAScanFromTheFrontDid() {
        let s = Self.scenario
        #expect(s.user("ALICE@contoso.onmicrosoft.us")?.password == "one")
        #expect(s.user("bob@Contoso.onmicrosoft.us")?.password == "three")
        #expect(s.user("carol@contoso.onmicrosoft.us") == nil)
        #expect(s.app(clientID: Self.appID.uppercased())?.name == "first")
        #expect(s.tenant("contoso.us")?.cloud == .gccHigh)
        #expect(s.tenant(Self.tenantID.uppercased())?.cloud == .gccHigh)
        #expect(s.tenant("9F1C2B7E-4d0a-4c5e-9b1a-2f3e4d5c6b7a")?.cloud == .worldwide)
        #expect(s.tenant(forAddress: "x@CONTOSO.US")?.id == Self.tenantID)
        #expect(s.tenant(forAddress: "no-at-sign")?.id == nil)
        #expect(s.mailbox(address: "helpdesk@CONTOSO.onmicrosoft.us")?.kind == .shared)
        #expect(s.mailbox(address: "bob@contoso.onmicrosoft.us")?.kind == .user)
        #expect(s.mailbox(address: "nobody@contoso.onmicrosoft.us") == nil)
        #expect(s.problems().contains { $0.path == "users[1].upn" })
    }

    @Test func aChangedScenarioIsLookedUpAfresh() {
        var s = Self.scenario
        #expect(s.user("carol@contoso.onmicrosoft.us") == nil)
        let copy = s
        s.users.append(User(upn: "carol@contoso.onmicrosoft.us", password: "four"))
        #expect(s.user("carol@contoso.onmicrosoft.us")?.password == "four")
        #expect(copy.user("carol@contoso.onmicrosoft.us") == nil)
        s.users[2].upn = "robert@contoso.onmicrosoft.us"
        #expect(s.user("bob@contoso.onmicrosoft.us") == nil)
        #expect(s.user("robert@contoso.onmicrosoft.us")?.password == "three")
        s.apps.removeFirst()
        #expect(s.app(clientID: Self.appID)?.name == "second")
        s.mailboxes = []
        #expect(s.mailbox(address: "helpdesk@contoso.onmicrosoft.us") == nil)
        s.tenants.reverse()
        #expect(s.tenant("contoso.us")?.cloud == .worldwide)
        // The index is not part of the value: equal entries, equal scenarios, encoded without it.
        #expect(Self.scenario == Self.scenario)
        let encoded = String(decoding: (try? JSONEncoder().encode(Self.scenario)) ?? Data(), as: UTF8.self)
        #expect(encoded.contains("\"users\"") && !encoded.contains("indexBox"))
    }

    /// A live change goes through the index too: a user added by a change is found by the next login.
    @Test func liveChangesSeeTheirOwnEdits() throws {
        let live = LiveScenario(Self.scenario)
        try live.apply(Change(kind: .resetPassword, user: "BOB@contoso.onmicrosoft.us", password: "new"), at: Date())
        #expect(live.current.user("bob@contoso.onmicrosoft.us")?.password == "new")
        try live.apply(Change(kind: .disableIMAP, mailbox: "bob@contoso.onmicrosoft.us"), at: Date())
        #expect(live.snapshot.mailbox(address: "bob@contoso.onmicrosoft.us")?.imapEnabled == false)
        #expect(live.current.mailboxes.count == 2)
    }
}
