import MicrosoftClouds

/// A rule a scenario breaks, found after parsing: a dangling reference, a duplicate, a value that
/// contradicts another.
///
/// `path` names the field the way the loader records locations (`users[1].full_access[0]`), so
/// the loader can add file, line and column.
public struct ScenarioProblem: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var fix: String

    public init(path: String, message: String, fix: String) {
        self.path = path
        self.message = message
        self.fix = fix
    }

    public var description: String { "\(path): \(message). \(fix)" }
}

extension Scenario {
    /// Every rule this scenario breaks, in document order. Empty when it can run.
    public func problems() -> [ScenarioProblem] {
        var found: [ScenarioProblem] = []
        func add(_ path: String, _ message: String, _ fix: String) {
            found.append(ScenarioProblem(path: path, message: message, fix: fix))
        }

        if version != 1 {
            add(
                "version", "version \(version) is not supported",
                "Write `version: 1`, the only format this exomock reads.")
        }
        if clouds.isEmpty {
            add(
                "clouds", "no cloud is listed",
                "List at least one of: \(CloudName.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        var listedClouds: Set<CloudName> = []
        for (i, cloud) in clouds.enumerated() where !listedClouds.insert(cloud).inserted {
            add("clouds[\(i)]", "cloud '\(cloud.rawValue)' is listed twice", "Remove the second entry.")
        }

        // Tenants.
        var tenantIDs: [String: Int] = [:]
        var domainOwner: [String: Int] = [:]
        for (i, tenant) in tenants.enumerated() {
            let key = tenant.id.lowercased()
            if let first = tenantIDs[key] {
                add(
                    "tenants[\(i)].id", "tenant id '\(tenant.id)' is already used by tenants[\(first)]",
                    "Give each tenant its own GUID.")
            } else {
                tenantIDs[key] = i
            }
            if !Self.isGUID(tenant.id) {
                add(
                    "tenants[\(i)].id", "'\(tenant.id)' is not a GUID",
                    "Write the directory id as 8-4-4-4-12 hex digits, e.g. 8f1c2b7e-4d0a-4c5e-9b1a-2f3e4d5c6b7a.")
            }
            if !clouds.contains(tenant.cloud) {
                add(
                    "tenants[\(i)].cloud",
                    "tenant '\(tenant.id)' is in cloud '\(tenant.cloud.rawValue)', which `clouds` does not list",
                    "Add '\(tenant.cloud.rawValue)' to `clouds`, or move the tenant to a listed cloud.")
            }
            if tenant.domains.isEmpty {
                add(
                    "tenants[\(i)].domains", "tenant '\(tenant.id)' has no domain",
                    "List at least one verified domain, e.g. contoso.onmicrosoft.us.")
            }
            for (j, domain) in tenant.domains.enumerated() {
                let d = domain.lowercased()
                if let owner = domainOwner[d] {
                    add(
                        "tenants[\(i)].domains[\(j)]", "domain '\(domain)' is already verified by tenants[\(owner)]",
                        "A domain belongs to one tenant: remove it here or there.")
                } else {
                    domainOwner[d] = i
                }
            }
        }

        // Mailboxes (declared), then users' own mailboxes.
        var mailboxIndex: [String: Int] = [:]
        for (i, mailbox) in mailboxes.enumerated() {
            let key = mailbox.address.lowercased()
            if let first = mailboxIndex[key] {
                add(
                    "mailboxes[\(i)].address",
                    "mailbox '\(mailbox.address)' is already declared at mailboxes[\(first)]",
                    "Declare each mailbox once.")
            } else {
                mailboxIndex[key] = i
            }
            if domainOwner[mailbox.domain] == nil {
                add(
                    "mailboxes[\(i)].address", "no tenant has the domain of '\(mailbox.address)'",
                    "Add '\(mailbox.domain)' to a tenant's `domains`, or fix the address.")
            }
            var folderNames: [String: Int] = [:]
            for (j, folder) in mailbox.folders.enumerated() {
                let key = folder.name.lowercased()
                if let first = folderNames[key] {
                    add(
                        "mailboxes[\(i)].folders[\(j)].name",
                        "folder '\(folder.name)' is already declared at folders[\(first)]",
                        "Merge the two folder entries.")
                } else {
                    folderNames[key] = j
                }
                if folder.name.isEmpty || folder.name.hasPrefix("/") || folder.name.hasSuffix("/")
                    || folder.name.contains("//")
                {
                    add(
                        "mailboxes[\(i)].folders[\(j)].name",
                        "folder name '\(folder.name)' is not a valid Exchange folder path",
                        "Use names like `Inbox` or `Inbox/Tickets` (`/` separates levels).")
                }
            }
        }
        let mailboxOwners = Set(users.filter(\.hasMailbox).map { $0.upn.lowercased() })
        func mailboxExists(_ address: String) -> Bool {
            mailboxIndex[address.lowercased()] != nil || mailboxOwners.contains(address.lowercased())
        }
        let upns = Set(users.map { $0.upn.lowercased() })
        for (i, mailbox) in mailboxes.enumerated() where mailbox.kind == .user {
            if !upns.contains(mailbox.address.lowercased()) {
                add(
                    "mailboxes[\(i)].type", "user mailbox '\(mailbox.address)' has no user with that UPN",
                    "Add the user under `users`, or write `type: shared`.")
            }
        }

        // Send As trustees: a user or an app.
        for (i, mailbox) in mailboxes.enumerated() {
            for (j, trustee) in mailbox.sendAs.enumerated() {
                if userPosition(trustee) == nil && appPosition(trustee) == nil {
                    add(
                        "mailboxes[\(i)].send_as[\(j)]", "'\(trustee)' is neither a user's UPN nor an app's client id",
                        "Name a user under `users` (by `upn`) or an app under `apps` (by `client_id`).")
                }
            }
        }

        // Users.
        var upnIndex: [String: Int] = [:]
        for (i, user) in users.enumerated() {
            let key = user.upn.lowercased()
            if let first = upnIndex[key] {
                add(
                    "users[\(i)].upn", "user '\(user.upn)' is already declared at users[\(first)]",
                    "Declare each user once.")
            } else {
                upnIndex[key] = i
            }
            if !user.upn.contains("@") {
                add(
                    "users[\(i)].upn", "'\(user.upn)' is not a UPN",
                    "Write it as name@domain, e.g. admin@contoso.onmicrosoft.us.")
            } else if domainOwner[user.domain] == nil {
                add(
                    "users[\(i)].upn",
                    "user '\(user.upn)' is in an unknown tenant: no tenant has the domain '\(user.domain)'",
                    "Add '\(user.domain)' to a tenant's `domains`, or fix the UPN.")
            }
            if mailboxIndex[key] != nil, mailboxes[mailboxIndex[key]!].kind == .shared {
                add(
                    "users[\(i)].upn", "'\(user.upn)' is both a user and a shared mailbox",
                    "A shared mailbox has no sign-in of its own: remove the user or the shared mailbox.")
            }
            for (j, address) in user.fullAccess.enumerated() where !mailboxExists(address) {
                add(
                    "users[\(i)].full_access[\(j)]", "mailbox '\(address)' does not exist",
                    "Declare it under `mailboxes`, or give its user `mailbox: true`.")
            }
            for (j, clientID) in user.consentedApps.enumerated() where appPosition(clientID) == nil {
                add(
                    "users[\(i)].consented_apps[\(j)]", "no app has client id '\(clientID)'",
                    "Use the `client_id` of an app under `apps`.")
            }
        }

        // Apps.
        var appKeys: [String: Int] = [:]
        for (i, app) in apps.enumerated() {
            if !Self.isGUID(app.clientID) {
                add(
                    "apps[\(i)].client_id", "'\(app.clientID)' is not a GUID",
                    "Write the application (client) id as 8-4-4-4-12 hex digits.")
            }
            let tenantIndex = tenantIDs[app.tenant.lowercased()] ?? domainOwner[app.tenant.lowercased()]
            if tenantIndex == nil {
                add(
                    "apps[\(i)].tenant", "app '\(app.name)' is registered in unknown tenant '\(app.tenant)'",
                    "Use the `id` of a tenant under `tenants`.")
            }
            let cloudKey = "\(tenantIndex.map { tenants[$0].cloud.rawValue } ?? "?")/\(app.clientID.lowercased())"
            if let first = appKeys[cloudKey] {
                add(
                    "apps[\(i)].client_id",
                    "client id '\(app.clientID)' is already used by apps[\(first)] in the same cloud",
                    "Client ids are unique within a cloud: give this app its own.")
            } else {
                appKeys[cloudKey] = i
            }
            if app.kind != .confidential, !app.secrets.isEmpty {
                add(
                    "apps[\(i)].secrets", "public app '\(app.name)' has client secrets",
                    "Public clients authenticate without a secret: remove `secrets`, or write `type: confidential`.")
            }
            for (j, uri) in app.redirectURIs.enumerated() where !Self.isRedirectURI(uri) {
                add(
                    "apps[\(i)].redirect_uris[\(j)]", "'\(uri)' is not an absolute http(s) URI",
                    "Write the URI exactly as the client sends it, e.g. http://localhost:8080/callback.")
            }
            for (j, p) in app.delegatedPermissions.enumerated() where !App.knownDelegatedPermissions.contains(p) {
                add(
                    "apps[\(i)].delegated_permissions[\(j)]", "unknown delegated permission '\(p)'",
                    "Use one of: \(App.knownDelegatedPermissions.joined(separator: ", ")).")
            }
            for (j, p) in app.applicationPermissions.enumerated() where !App.knownApplicationPermissions.contains(p) {
                add(
                    "apps[\(i)].application_permissions[\(j)]", "unknown application permission '\(p)'",
                    "Use one of: \(App.knownApplicationPermissions.joined(separator: ", ")).")
            }
            for (j, address) in app.mailboxAccess.enumerated() where !mailboxExists(address) {
                add(
                    "apps[\(i)].mailbox_access[\(j)]", "mailbox '\(address)' does not exist",
                    "Declare it under `mailboxes`, or give its user `mailbox: true`.")
            }
            if app.kind != .confidential, !app.certificates.isEmpty {
                add(
                    "apps[\(i)].certificates", "\(app.kind.rawValue) app '\(app.name)' has certificates",
                    "Only confidential clients authenticate with a certificate: remove `certificates`, or write `type: confidential`."
                )
            }
            if let frequency = app.signInFrequency, frequency <= 0 {
                add(
                    "apps[\(i)].sign_in_frequency", "sign-in frequency must be longer than zero",
                    "Write a positive duration such as 1h or 1d, or remove the key.")
            }
        }
        for (i, user) in users.enumerated() {
            if let frequency = user.signInFrequency, frequency <= 0 {
                add(
                    "users[\(i)].sign_in_frequency", "sign-in frequency must be longer than zero",
                    "Write a positive duration such as 1h or 1d, or remove the key.")
            }
        }

        // Browser session.
        for (i, upn) in browserSignedIn.enumerated() where upnIndex[upn.lowercased()] == nil {
            add("browser.signed_in[\(i)]", "user '\(upn)' is not declared", "List a UPN from `users`.")
        }

        // Lifetimes.
        let lifetimeFields: [(String, Double?)] = [
            ("access_token", lifetimes.accessToken), ("refresh_token_inactivity", lifetimes.refreshTokenInactivity),
            ("refresh_token_max_age", lifetimes.refreshTokenMaxAge),
            ("authorization_code", lifetimes.authorizationCode),
            ("device_code", lifetimes.deviceCode), ("id_token", lifetimes.idToken),
        ]
        for (field, value) in lifetimeFields {
            if let value, value <= 0 {
                add(
                    "lifetimes.\(field)", "lifetime must be longer than zero",
                    "Write a positive duration such as 1h or 90d.")
            }
        }

        // Faults.
        for (i, fault) in faults.enumerated() {
            for problem in fault.problems(in: self) {
                add("faults[\(i)].\(problem.field)", problem.message, problem.fix)
            }
        }

        // Flow.
        var saved: Set<String> = []
        flowProblems(flow, path: "flow", saved: &saved, into: &found)
        return found
    }

    /// Every mailbox, declared or implied by a user's `mailbox: true`, with default folders added.
    public var allMailboxes: [Mailbox] {
        var result = mailboxes
        var declared = Set(mailboxes.map { $0.address.lowercased() })
        for user in users where user.hasMailbox && declared.insert(user.upn.lowercased()).inserted {
            result.append(Mailbox(address: user.upn, kind: .user))
        }
        for i in result.indices {
            for (name, key) in zip(Mailbox.defaultFolderNames, Self.defaultFolderKeys)
            where !result[i].folders.contains(where: { $0.name.lowercased() == key }) {
                result[i].folders.append(Folder(name: name))
            }
        }
        return result
    }

    /// `Mailbox.defaultFolderNames` lower-cased, once (not per mailbox: a 100,000-mailbox start-up).
    static let defaultFolderKeys = Mailbox.defaultFolderNames.map { $0.lowercased() }

    static func isGUID(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.map(\.count) == [8, 4, 4, 4, 12] else { return false }
        return parts.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }

    static func isRedirectURI(_ text: String) -> Bool {
        guard let schemeEnd = text.range(of: "://") else { return false }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        return (scheme == "http" || scheme == "https") && text.count > schemeEnd.upperBound.utf16Offset(in: text)
    }
}
