import MicrosoftClouds
import Synchronization

/// The scenario's entities by lower-cased key, so finding a user, an app, a tenant or a mailbox costs
/// O(1) instead of a scan of every entry (a scan per grant, per send-as trustee or per consented app made
/// checking and serving a 10,000-user scenario quadratic). Each key maps to the position of the first
/// entry that has it, the entry a scan from the front would find.
public struct ScenarioIndex: Sendable {
    /// UPN → position in `users`.
    let users: [String: Int]
    /// Client id → position in `apps`.
    let apps: [String: Int]
    /// Tenant id or verified domain → position in `tenants` (the first tenant with that id or domain).
    let tenants: [String: Int]
    /// Verified domain → position in `tenants` (the first tenant that verified it).
    let domains: [String: Int]
    /// Address → position in `mailboxes` (declared ones).
    let mailboxes: [String: Int]

    init(_ scenario: Scenario) {
        users = Self.positions(scenario.users) { [$0.upn] }
        apps = Self.positions(scenario.apps) { [$0.clientID] }
        tenants = Self.positions(scenario.tenants) { [$0.id] + $0.domains }
        domains = Self.positions(scenario.tenants) { $0.domains }
        mailboxes = Self.positions(scenario.mailboxes) { [$0.address] }
    }

    /// Each lower-cased key of each element, mapped to the first element that has it.
    static func positions<T>(_ elements: [T], keys: (T) -> [String]) -> [String: Int] {
        var index: [String: Int] = [:]
        index.reserveCapacity(elements.count)
        for (position, element) in elements.enumerated() {
            for key in keys(element) where index[key.lowercased()] == nil { index[key.lowercased()] = position }
        }
        return index
    }
}

/// The index of one scenario value, built on the first lookup and shared by its copies. `Scenario`
/// replaces its box whenever `tenants`, `apps`, `users` or `mailboxes` change, so a box never describes
/// other values than those it was built from.
final class ScenarioIndexBox: Sendable, Equatable {
    private let built = Mutex<ScenarioIndex?>(nil)

    init() {}

    func index(of scenario: Scenario) -> ScenarioIndex {
        built.withLock { built in
            if let built { return built }
            let index = ScenarioIndex(scenario)
            built = index
            return index
        }
    }

    /// A cache, not part of the value: two scenarios with equal entries are equal whatever their boxes hold.
    static func == (_: ScenarioIndexBox, _: ScenarioIndexBox) -> Bool { true }
}

extension Scenario {
    /// The user with this UPN (case-insensitive). O(1).
    public func user(_ upn: String) -> User? { index.users[upn.lowercased()].map { users[$0] } }

    /// The app with this client id (case-insensitive). O(1).
    public func app(clientID: String) -> App? { index.apps[clientID.lowercased()].map { apps[$0] } }

    /// The cloud of a tenant named by id or domain.
    public func tenantCloud(_ idOrDomain: String) -> CloudName? { tenant(idOrDomain)?.cloud }

    /// The tenant with this id or verified domain. O(1).
    public func tenant(_ idOrDomain: String) -> Tenant? {
        index.tenants[idOrDomain.lowercased()].map { tenants[$0] }
    }

    /// The tenant a UPN or mailbox address belongs to, by its domain. O(1).
    public func tenant(forAddress address: String) -> Tenant? {
        guard let domain = address.split(separator: "@").last else { return nil }
        return index.domains[domain.lowercased()].map { tenants[$0] }
    }

    /// The mailbox with this address as the scenario has it now: declared under `mailboxes`, or a user's
    /// own (`mailbox: true`); without the default folders `allMailboxes` adds. O(1).
    public func mailbox(address: String) -> Mailbox? {
        if let declared = declaredMailboxPosition(address) { return mailboxes[declared] }
        guard let owner = user(address), owner.hasMailbox else { return nil }
        return Mailbox(address: owner.upn, kind: .user)
    }

    /// The position of the mailbox under `mailboxes` with this address, if it is declared there.
    func declaredMailboxPosition(_ address: String) -> Int? { index.mailboxes[address.lowercased()] }

    /// The position in `users` of the user with this UPN.
    func userPosition(_ upn: String) -> Int? { index.users[upn.lowercased()] }

    /// The position in `apps` of the app with this client id.
    func appPosition(_ clientID: String) -> Int? { index.apps[clientID.lowercased()] }

    var index: ScenarioIndex { indexBox.index(of: self) }
}
