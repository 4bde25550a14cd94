import ExomockLimits
import Foundation
import ScenarioModel
import Yams

/// `scale:`: users and shared mailboxes generated from one entry each (`ScaleBlock`). Every rule is
/// checked here, where the entry is written, because the entries it adds have no lines of their own.
enum ScaleMapper {
    /// The keys of `shared_mailboxes`/`users` entries.
    static let mailboxKeys = ["shared_mailboxes", "users", "address", "password", "inbox", "full_access"]
    static let keys = mailboxKeys + ScaleAppMapper.keys
    static let countKeys: [(String, ScaleBlock.Kind)] = [
        ("shared_mailboxes", .shared), ("users", .user), ("apps", .app),
    ]

    /// What the scenario declares, for the checks.
    struct Declared {
        var domains: Set<String>
        /// Lower-cased tenant ids and verified domains.
        var tenants: Set<String>
        /// Lower-cased client id → where the app is declared (`apps[0]`).
        var apps: [String: String]
        var users: Set<String>
        /// Lower-cased addresses of declared mailboxes and users, with where each is declared.
        var addresses: [String: String]
        /// Lower-cased addresses of every mailbox that exists: declared ones, and users' own.
        var mailboxes: Set<String>

        init(tenants: [Tenant], apps: [App], users: [User], mailboxes: [Mailbox]) {
            domains = Set(tenants.flatMap { $0.domains.map { $0.lowercased() } })
            self.tenants = domains.union(tenants.map { $0.id.lowercased() })
            self.apps = [:]
            for (i, app) in apps.enumerated() where self.apps[app.clientID.lowercased()] == nil {
                self.apps[app.clientID.lowercased()] = "apps[\(i)]"
            }
            self.users = Set(users.map { $0.upn.lowercased() })
            addresses = [:]
            for (i, m) in mailboxes.enumerated() { addresses[m.address.lowercased()] = "mailboxes[\(i)]" }
            for (i, u) in users.enumerated() { addresses[u.upn.lowercased()] = "users[\(i)]" }
            self.mailboxes = Set(mailboxes.map { $0.address.lowercased() })
            self.mailboxes.formUnion(users.filter(\.hasMailbox).map { $0.upn.lowercased() })
        }
    }

    /// A name one entry writes that another entry may generate, checked once every entry is read.
    struct Reference {
        enum Kind {
            /// A mailbox entry's `full_access` item that is no declared app or user: a generated app?
            case principal
            /// An apps entry's `mailbox_access` item; `apps` is how many apps the entry generates.
            case mailbox(apps: Int)
        }
        var kind: Kind
        var path: String
        var mark: Mark?
        var text: String
    }

    static func scale(_ node: Node, _ path: String, _ r: inout NodeReader, declared: Declared) -> [ScaleBlock]? {
        var total = 0
        var earlier: [(ScaleBlock, String)] = []
        var pending: [Reference] = []
        let blocks = ScenarioMapper.list(node, path, example: "`- shared_mailboxes: 1000`", &r) {
            (item: Node, itemPath: String, r: inout NodeReader) -> ScaleBlock? in
            guard let block = entry(item, itemPath, &r, declared: declared, pending: &pending) else { return nil }
            var ok = true
            total += block.count
            if total > Limits.scenarioMaximumScaleCount {
                r.report(
                    itemPath, at: item.mark,
                    "the `scale` entries generate \(total) users, mailboxes and apps; the limit is \(Limits.scenarioMaximumScaleCount)",
                    "Generate fewer (Limits.scenarioMaximumScaleCount).")
                ok = false
            }
            for (other, otherPath) in earlier where (other.kind == .app) == (block.kind == .app) {
                let (small, large) = other.count <= block.count ? (other, block) : (block, other)
                if block.kind == .app {
                    if let n = (1...small.count).first(where: { large.number(ofClientID: small.clientID($0)) != nil }) {
                        r.report(
                            "\(itemPath).client_id", at: item.mark,
                            "this entry and \(otherPath) both generate client id '\(small.clientID(n))'",
                            "Give each entry its own client id pattern.")
                        ok = false
                    }
                } else if let n = (1...small.count).first(where: { large.number(of: small.address($0)) != nil }) {
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
        guard let blocks else { return nil }
        var ok = resolve(pending, blocks, &r, declared: declared)
        ok = grantsFit(blocks, path, node, &r) && ok
        return ok ? blocks : nil
    }

    static func entry(
        _ node: Node, _ path: String, _ r: inout NodeReader, declared: Declared, pending: inout [Reference]
    ) -> ScaleBlock? {
        guard let f = r.mapping(node, path, keys: keys, what: "scale entry") else { return nil }
        var ok = true
        var block = ScaleBlock(kind: .shared, count: 0, address: "")
        let given = countKeys.filter { f[$0.0] != nil }
        guard given.count == 1, let (key, kind) = given.first, let n = f[key] else {
            if given.isEmpty {
                r.report(
                    path, at: f.mark, "a scale entry needs `shared_mailboxes: N`, `users: N` or `apps: N`",
                    "Write e.g. `- shared_mailboxes: 1000` with `address: support{n}@contoso.onmicrosoft.us`.")
            } else {
                r.report(
                    path, at: f.mark,
                    given.count == 2
                        ? "a scale entry has both `\(given[0].0)` and `\(given[1].0)`"
                        : "a scale entry has `shared_mailboxes`, `users` and `apps`",
                    "Split it into \(given.count == 2 ? "two" : "three") entries.")
            }
            return nil
        }
        block.kind = kind
        if let count = r.int(n, f.path(key), minimum: 1, maximum: Limits.scenarioMaximumScaleCount) {
            block.count = count
        } else {
            ok = false
        }
        let foreign = kind == .app ? mailboxKeys : ScaleAppMapper.keys
        for other in foreign where other != key && !countKeys.contains(where: { $0.0 == other }) {
            guard let node = f[other] else { continue }
            r.report(
                f.path(other), at: node.mark,
                kind == .app
                    ? "`\(other)` is for `shared_mailboxes` and `users` entries"
                    : "`\(other)` is for `apps` entries",
                kind == .app
                    ? "Remove it; generated apps get mailboxes with `mailbox_access`."
                    : "Remove it, or move it to an `apps: N` entry.")
            ok = false
        }
        if kind == .app {
            guard ScaleAppMapper.entry(f, into: &block, &r, declared: declared, pending: &pending), ok else {
                return nil
            }
            return block
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
                    if declared.apps[key] == nil && !declared.users.contains(key) {
                        pending.append(
                            Reference(
                                kind: .principal, path: f.path("full_access[\(j)]"), mark: node.mark, text: principal))
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

    /// The references entries make to what other entries generate: a generated app in a mailbox entry's
    /// `full_access`, and an apps entry's `mailbox_access` items.
    static func resolve(_ pending: [Reference], _ blocks: [ScaleBlock], _ r: inout NodeReader, declared: Declared)
        -> Bool
    {
        var ok = true
        for reference in pending {
            let text = reference.text
            switch reference.kind {
            case .principal:
                guard !blocks.contains(where: { $0.number(ofClientID: text) != nil }) else { continue }
                r.report(
                    reference.path, at: reference.mark,
                    "'\(text)' is neither an app's client id nor a declared user's UPN",
                    "Name an app under `apps` or generated by an `apps` entry (by `client_id`) or a user under `users` (by `upn`)."
                )
            case .mailbox(let apps) where ScaleBlock.isPattern(text):
                guard let entry = ScaleBlock.mailboxEntry(text, among: blocks) else {
                    r.report(
                        reference.path, at: reference.mark,
                        "'\(text)' is not the `address` of a `shared_mailboxes` or `users` entry",
                        "Write another scale entry's `address` pattern exactly, or one mailbox's address.")
                    ok = false
                    continue
                }
                guard entry.count < apps else { continue }
                r.report(
                    reference.path, at: reference.mark,
                    "\(apps) apps share the \(entry.count) mailboxes '\(text)' generates, so apps past \(entry.count) would get none",
                    "Generate at most \(entry.count) apps, or more mailboxes.")
            case .mailbox:
                let key = text.lowercased()
                guard !declared.mailboxes.contains(key),
                    !blocks.contains(where: { $0.kind != .app && $0.number(of: key) != nil })
                else { continue }
                r.report(
                    reference.path, at: reference.mark, "mailbox '\(text)' does not exist",
                    "Declare it under `mailboxes`, give its user `mailbox: true`, or generate it with a `scale` entry.")
            }
            ok = false
        }
        return ok
    }

    /// The FullAccess grants the entries make together stay within `Limits.scenarioMaximumScaleGrants`.
    static func grantsFit(_ blocks: [ScaleBlock], _ path: String, _ node: Node, _ r: inout NodeReader) -> Bool {
        var total = 0
        for (i, block) in blocks.enumerated() {
            let grants =
                block.kind == .app
                ? block.mailboxAccessGrants(among: blocks) : block.count * block.fullAccess.count
            total += grants
            guard total > Limits.scenarioMaximumScaleGrants else { continue }
            let field = block.kind == .app ? "mailbox_access" : "full_access"
            r.report(
                "\(path)[\(i)].\(field)", at: r.mark(for: "\(path)[\(i)].\(field)"),
                "the `scale` entries grant FullAccess \(total) times; the limit is \(Limits.scenarioMaximumScaleGrants)",
                "Give fewer principals FullAccess on every mailbox, or share a mailbox entry out among generated apps "
                    + "by naming its `address` pattern in `mailbox_access` (Limits.scenarioMaximumScaleGrants).")
            return false
        }
        return true
    }
}
