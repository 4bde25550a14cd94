import AdminAPI
import Hummingbird
import MailAuthentication
import MicrosoftClouds
import ScenarioModel

/// `serve --hosts`: each cloud on its own loopback address and the standard ports, reached by the
/// real host names through `/etc/hosts`.
///
/// Clouds share names: worldwide and GCC share every name; GCC High and DoD share `login.microsoftonline.us`
/// and, as the Atlassian DoD/GCC High KB configures DoD, `outlook.office365.us`. A machine's `/etc/hosts`
/// sends a name to one address, so a shared name belongs to the first cloud of the scenario that has it
/// (its *host*), and the host's address serves every cloud that shares a name with it (its *guests*), the
/// way Microsoft's one `login.microsoftonline.us` and one `outlook.office365.us` serve both US Government
/// clouds: the token service picks the cloud by the tenant in the request path, IMAP and POP3 by the key
/// that signed the token. A guest keeps its own address for the names only it has
/// (`outlook-dod.office365.us`).
public struct HostsMode: Sendable {
    /// The scenario's clouds, in order.
    public let clouds: [Cloud]
    /// Which cloud's address each host name is served at.
    public let owner: [String: CloudName]

    public init(clouds: [Cloud]) {
        self.clouds = clouds
        var owner: [String: CloudName] = [:]
        for cloud in clouds {
            for host in cloud.allHostNames where owner[host] == nil { owner[host] = cloud.name }
        }
        self.owner = owner
    }

    /// The names served at `cloud`'s address.
    public func ownedNames(of cloud: Cloud) -> [String] { cloud.allHostNames.filter { owner[$0] == cloud.name } }

    /// The `/etc/hosts` line for a cloud: its loopback address and the names served there; nil when every
    /// name of the cloud is served at another cloud's address (GCC next to worldwide).
    public func line(for cloud: Cloud) -> String? {
        let names = ownedNames(of: cloud)
        return names.isEmpty ? nil : "\(cloud.hostsModeAddress) \(names.joined(separator: " "))"
    }

    /// The clouds served at `host`'s address besides itself: those with a name `host` owns.
    public func guests(of host: CloudName) -> [CloudName] {
        clouds.filter { cloud in
            cloud.name != host && cloud.allHostNames.contains { owner[$0] == host }
        }.map(\.name)
    }
}

/// The mail login decision (IMAP, POP3, SMTP) at an address that serves several clouds: the first cloud whose signing key
/// verifies the token decides (each cloud's `ExchangeAuthenticator` still checks issuer, audience, tenant
/// and mailbox). A token no member's key verifies gets the host cloud's answer (`NO AUTHENTICATE failed.`).
struct CloudGroupAuthenticator: MailAuthenticating {
    /// The host cloud first, then its guests.
    let members: [any MailAuthenticating]

    func authenticate(_ credentials: XOAUTH2Credentials, service: MailService) -> MailAccessDecision {
        first(of: members.map { $0.authenticate(credentials, service: service) }) {
            if case .rejected(.signatureInvalid, _) = $0 { return true }
            return false
        }
    }

    func authenticateBasic(user: String, password: String, service: MailService) -> MailAccessDecision {
        first(of: members.map { $0.authenticateBasic(user: user, password: password, service: service) }) {
            if case .authenticatedNotConnected(.mailboxNotFound, _) = $0 { return true }
            return false
        }
    }

    /// Send As is a property of the directory, the same answer in every cloud.
    func maySend(as address: String, grant: MailGrant) -> Bool { members[0].maySend(as: address, grant: grant) }

    /// The first decision that is not "another cloud's", else the host's.
    private func first(of decisions: [MailAccessDecision], isOtherCloud: (MailAccessDecision) -> Bool)
        -> MailAccessDecision
    {
        decisions.first { !isOtherCloud($0) } ?? decisions[0]
    }
}

/// The token service at an address that serves several clouds: a request goes to the cloud of the tenant
/// named by its first path segment (id or verified domain); tenant-less paths (`/common`, `/organizations`,
/// discovery) and unknown tenants go to the host cloud.
struct CloudTokenRouter: HTTPResponderBuilder {
    /// The host cloud first, then its guests, each with its token service's router.
    let routers: [(cloud: CloudName, router: Router<BasicRequestContext>)]
    let live: LiveScenario

    func buildResponder() -> CallbackResponder<BasicRequestContext> {
        let responders = routers.map { ($0.cloud, $0.router.buildResponder()) }
        let live = live
        return CallbackResponder { input, context in
            // No Host, a body too large or too slow: answered here, before any route (HTTPRequestGuard).
            var request = input
            if let refusal = await HTTPRequestGuard.admit(&request) { return refusal }
            let segment = request.uri.path.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
            let tenantCloud = live.snapshot.scenario.tenantCloud(segment)
            let responder = responders.first { $0.0 == tenantCloud }?.1 ?? responders[0].1
            return try await responder.respond(to: request, context: context)
        }
    }
}
