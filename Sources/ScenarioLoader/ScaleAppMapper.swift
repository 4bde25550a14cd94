import ScenarioModel
import Yams

/// `apps: N` entries of `scale:`: the template of N app registrations. Every rule a declared app must
/// keep is checked here, where the entry is written, so the generated apps (which have no lines of their
/// own) never reach `Scenario.problems()` broken, N times over.
enum ScaleAppMapper {
    static let keys = [
        "apps", "name", "client_id", "tenant", "secrets", "redirect_uris", "delegated_permissions",
        "application_permissions", "admin_consent", "multi_tenant", "mailbox_access",
    ]

    /// Reads the template into `block.app`; false (with the problems reported) when any part is wrong.
    static func entry(
        _ f: Fields, into block: inout ScaleBlock, _ r: inout NodeReader, declared: ScaleMapper.Declared,
        pending: inout [ScaleMapper.Reference]
    ) -> Bool {
        var ok = true
        var app = App(name: "", clientID: "", tenant: "")
        if let node = r.required(f, "name"), let name = r.string(node, f.path("name")) {
            app.name = name
        } else {
            ok = false
        }
        if let node = r.required(f, "client_id"), let clientID = r.string(node, f.path("client_id")) {
            app.clientID = clientID
            block.app = app
            ok = checkClientID(block, node, f.path("client_id"), &r, declared: declared) && ok
        } else {
            ok = false
        }
        if let node = r.required(f, "tenant"), let tenant = r.string(node, f.path("tenant")) {
            app.tenant = tenant
            if !declared.tenants.contains(tenant.lowercased()) {
                r.report(
                    f.path("tenant"), at: node.mark, "no tenant has the id or domain '\(tenant)'",
                    "Use the `id` (or a verified domain) of a tenant under `tenants`.")
                ok = false
            }
        } else {
            ok = false
        }
        if let read = ScenarioMapper.readAppOptionals(f, into: app, &r) { app = read } else { ok = false }
        ok = checkLists(app, f, &r) && ok
        for (j, item) in app.mailboxAccess.enumerated() {
            let path = f.path("mailbox_access[\(j)]")
            pending.append(
                ScaleMapper.Reference(
                    kind: .mailbox(apps: block.count), path: path, mark: r.mark(for: path), text: item))
        }
        block.app = app
        return ok
    }

    /// Redirect URIs and permissions, by the rules of declared apps (`Scenario.problems()`).
    static func checkLists(_ app: App, _ f: Fields, _ r: inout NodeReader) -> Bool {
        var ok = true
        func report(_ key: String, _ j: Int, _ message: String, _ fix: String) {
            let path = f.path("\(key)[\(j)]")
            r.report(path, at: r.mark(for: path), message, fix)
            ok = false
        }
        for (j, uri) in app.redirectURIs.enumerated() where !ScaleBlock.isRedirectURI(uri) {
            report(
                "redirect_uris", j, "'\(uri)' is not an absolute http(s) URI",
                "Write the URI exactly as the client sends it, e.g. http://localhost:8080/callback.")
        }
        for (j, p) in app.delegatedPermissions.enumerated() where !App.knownDelegatedPermissions.contains(p) {
            report(
                "delegated_permissions", j, "unknown delegated permission '\(p)'",
                "Use one of: \(App.knownDelegatedPermissions.joined(separator: ", ")).")
        }
        for (j, p) in app.applicationPermissions.enumerated() where !App.knownApplicationPermissions.contains(p) {
            report(
                "application_permissions", j, "unknown application permission '\(p)'",
                "Use one of: \(App.knownApplicationPermissions.joined(separator: ", ")).")
        }
        return ok
    }

    /// A GUID whose last digits are `{n}`, with room for the count's digits, generating no declared id.
    static func checkClientID(
        _ block: ScaleBlock, _ node: Node, _ path: String, _ r: inout NodeReader, declared: ScaleMapper.Declared
    ) -> Bool {
        let pattern = block.app.clientID
        let example =
            "Write a GUID with `{n}` for its last digits, e.g. `11111111-2222-3333-4444-{n}` "
            + "(11111111-2222-3333-4444-000000000001 and on)."
        guard pattern.hasSuffix(ScaleBlock.placeholder),
            pattern.components(separatedBy: ScaleBlock.placeholder).count == 2
        else {
            r.report(path, at: node.mark, "'\(pattern)' needs exactly one `{n}`, at its end", example)
            return false
        }
        guard block.clientIDDigits > 0, ScaleBlock.isGUID(block.clientID(0)) else {
            r.report(path, at: node.mark, "'\(pattern)' does not make a GUID when `{n}` fills its last digits", example)
            return false
        }
        let width = String(block.count).count
        guard block.clientIDDigits >= width else {
            r.report(
                path, at: node.mark,
                "`{n}` has room for \(block.clientIDDigits) digit(s) in '\(pattern)', and \(block.count) apps need \(width)",
                "Put `{n}` in place of more of the GUID's last digits, or generate fewer apps.")
            return false
        }
        for (existing, place) in declared.apps where block.number(ofClientID: existing) != nil {
            r.report(
                path, at: node.mark, "the pattern generates client id '\(existing)', which \(place) already declares",
                "Change the pattern, or the declared app's `client_id`.")
            return false
        }
        return true
    }
}
