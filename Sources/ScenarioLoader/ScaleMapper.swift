import ExomockLimits
import Foundation
import ScenarioModel
import Yams

/// `scale:`: users and shared mailboxes generated from one entry each (`ScaleBlock`). Every rule is
/// checked here, where the entry is written, because the entries it adds have no lines of their own.
enum ScaleMapper {
    static let keys = ["shared_mailboxes", "users", "address", "password", "inbox", "full_access"]

    /// What the scenario declares, for the checks.
    struct Declared {
        var domains: Set<String>
        var apps: Set<String>
        var users: Set<String>
        /// Lower-cased addresses of declared mailboxes and users, with where each is declared.
        var addresses: [String: String]

        init(tenants: [Tenant], apps: [App], users: [User], mailboxes: [Mailbox]) {
            domains = Set(tenants.flatMap { $0.domains.map { $0.lowercased() } })
            self.apps = Set(apps.map { $0.clientID.lowercased() })
            self.users = Set(users.map { $0.upn.lowercased() })
            addresses = [:]
            for (i, m) in mailboxes.enumerated() { addresses[m.address.lowercased()] = "mailboxes[\(i)]" }
            for (i, u) in users.enumerated() { addresses[u.upn.lowercased()] = "users[\(i)]" }
        }
    }

    static func scale(_ node: Node, _ path: String, _ r: inout NodeReader, declared: Declared) -> [ScaleBlock]? {
        var total = 0
        var earlier: [(ScaleBlock, String)] = []
        let blocks = ScenarioMapper.list(node, path, example: "`- shared_mailboxes: 1000`", &r) {
            (item: Node, itemPath: String, r: inout NodeReader) -> ScaleBlock? in
            guard let block = entry(item, itemPath, &r, declared: declared) else { return nil }
            var ok = true
            total += block.count
            if total > Limits.scenarioMaximumScaleCount {
                r.report(
                    itemPath, at: item.mark,
                    "the `scale` entries generate \(total) users and mailboxes; the limit is \(Limits.scenarioMaximumScaleCount)",
                    "Generate fewer (Limits.scenarioMaximumScaleCount).")
                ok = false
            }
            for (other, otherPath) in earlier {
                let (small, large) = other.count <= block.count ? (other, block) : (block, other)
                if let n = (1...small.count).first(where: { large.number(of: small.address($0)) != nil }) {
                    r.report(
                        "\(itemPath).address", at: item.mark,
                        "this entry and \(otherPath) both generate '\(small.address(n))'",
                        "Give each entry its own address pattern.")
                    ok = false
                }
            }
            earlier.append((block, itemPath))
            return ok ? block : nil
        }
        return blocks
    }

    static func entry(_ node: Node, _ path: String, _ r: inout NodeReader, declared: Declared) -> ScaleBlock? {
        guard let f = r.mapping(node, path, keys: keys, what: "scale entry") else { return nil }
        var ok = true
        var block = ScaleBlock(kind: .shared, count: 0, address: "")
        switch (f["shared_mailboxes"], f["users"]) {
        case (let n?, nil), (nil, let n?):
            block.kind = f["users"] == nil ? .shared : .user
            let key = block.kind == .shared ? "shared_mailboxes" : "users"
            if let count = r.int(n, f.path(key), minimum: 1, maximum: Limits.scenarioMaximumScaleCount) {
                block.count = count
            } else {
                ok = false
            }
        case (_?, _?):
            r.report(
                path, at: f.mark, "a scale entry has both `shared_mailboxes` and `users`", "Split it into two entries.")
            ok = false
        case (nil, nil):
            r.report(
                path, at: f.mark, "a scale entry needs `shared_mailboxes: N` or `users: N`",
                "Write e.g. `- shared_mailboxes: 1000` with `address: support{n}@contoso.onmicrosoft.us`.")
            ok = false
        }
        if let node = r.required(f, "address"), let address = r.string(node, f.path("address")) {
            block.address = address
            ok = checkAddress(block, node, f.path("address"), &r, declared: declared) && ok
        } else {
            ok = false
        }
        if let node = f["password"] {
            if block.kind == .shared {
                r.report(
                    f.path("password"), at: node.mark, "shared mailboxes have no password",
                    "Remove `password`, or generate `users:` instead.")
                ok = false
            } else if let password = r.string(node, f.path("password")) {
                block.password = password
            } else {
                ok = false
            }
        }
        if let node = f["inbox"] {
            if case .generated(let count, let size, let seed)? = ScenarioMapper.generated(node, f.path("inbox"), &r) {
                block.inboxCount = count
                block.inboxSize = size
                block.inboxSeed = seed
            } else {
                ok = false
            }
        }
        if let node = f["full_access"] {
            if let principals = r.strings(
                node, f.path("full_access"), example: "`[<an app's client id>, agent@contoso.com]`")
            {
                block.fullAccess = principals
                for (j, principal) in principals.enumerated() {
                    let key = principal.lowercased()
                    if !declared.apps.contains(key) && !declared.users.contains(key) {
                        r.report(
                            f.path("full_access[\(j)]"), at: node.mark,
                            "'\(principal)' is neither an app's client id nor a declared user's UPN",
                            "Name an app under `apps` (by `client_id`) or a user under `users` (by `upn`).")
                        ok = false
                    }
                }
            } else {
                ok = false
            }
        }
        return ok ? block : nil
    }

    /// One `{n}` before the `@`, a domain some tenant verified, no address the scenario declares.
    static func checkAddress(
        _ block: ScaleBlock, _ node: Node, _ path: String, _ r: inout NodeReader, declared: Declared
    ) -> Bool {
        let address = block.address
        let parts = address.components(separatedBy: ScaleBlock.placeholder)
        guard parts.count == 2, parts[0].contains("@") == false, parts[1].filter({ $0 == "@" }).count == 1 else {
            r.report(
                path, at: node.mark, "'\(address)' needs exactly one `{n}`, before the `@`",
                "Write a pattern such as `support{n}@contoso.onmicrosoft.us`.")
            return false
        }
        guard declared.domains.contains(block.domain) else {
            r.report(
                path, at: node.mark, "no tenant has the domain '\(block.domain)'",
                "Add '\(block.domain)' to a tenant's `domains`, or fix the pattern.")
            return false
        }
        if block.count > 0 {
            for (existing, place) in declared.addresses where block.number(of: existing) != nil {
                r.report(
                    path, at: node.mark, "the pattern generates '\(existing)', which \(place) already declares",
                    "Change the pattern, or the declared entry.")
                return false
            }
        }
        return true
    }
}
