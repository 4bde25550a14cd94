/// `apps: N` entries of `scale:`: app registrations generated from one template (`ScaleBlock.app`).
///
/// The client id is a GUID whose last digits are `{n}`: `11111111-2222-3333-4444-{n}` gives
/// `11111111-2222-3333-4444-000000000001` … so every id is a valid GUID, the same on every run, and
/// can be written down in a flow. The name and secret values take `{n}` like addresses do (zero-padded to
/// the digits of the count). `mailbox_access` holds addresses (every app gets them) and address patterns
/// of `shared_mailboxes`/`users` entries, which share that entry's mailboxes out: app n gets mailbox n,
/// n + count, n + 2 × count, …
extension ScaleBlock {
    /// Characters in a GUID written 8-4-4-4-12.
    public static let guidLength = 36

    /// The client id pattern without its `{n}`, which is the pattern's last characters.
    public var clientIDPrefix: String { String(app.clientID.dropLast(Self.placeholder.count)) }

    /// Digits `{n}` fills in the client id: the GUID's length less the prefix.
    public var clientIDDigits: Int { Self.guidLength - clientIDPrefix.count }

    /// The client id of app n (1…count): the prefix, then n zero-padded to the rest of the GUID.
    public func clientID(_ n: Int) -> String {
        let digits = String(n)
        return clientIDPrefix + String(repeating: "0", count: max(0, clientIDDigits - digits.count)) + digits
    }

    /// The n (1…count) whose client id is `clientID` (case-insensitive), if this entry generates it.
    public func number(ofClientID clientID: String) -> Int? {
        guard kind == .app, count >= 1, clientID.count == Self.guidLength else { return nil }
        let prefix = clientIDPrefix.lowercased()
        let text = clientID.lowercased()
        guard text.hasPrefix(prefix) else { return nil }
        let digits = text.dropFirst(prefix.count)
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(digits), (1...count).contains(n) else {
            return nil
        }
        return n
    }

    /// Whether a `mailbox_access` item is an address pattern (names another entry) rather than an address.
    public static func isPattern(_ item: String) -> Bool { item.contains(placeholder) }

    /// The `shared_mailboxes`/`users` entry among `blocks` whose address pattern is `pattern`
    /// (case-insensitive).
    public static func mailboxEntry(_ pattern: String, among blocks: [ScaleBlock]) -> ScaleBlock? {
        let key = pattern.lowercased()
        return blocks.first { $0.kind != .app && $0.address.lowercased() == key }
    }

    /// The mailboxes of `entry` app n (1…count) gets: n, n + count, n + 2 × count, … up to entry.count.
    public func shareNumbers(_ n: Int, of entry: ScaleBlock) -> StrideTo<Int> {
        stride(from: n, to: entry.count + 1, by: max(1, count))
    }

    /// FullAccess grants the entry's `mailbox_access` makes, all apps together.
    public func mailboxAccessGrants(among blocks: [ScaleBlock]) -> Int {
        app.mailboxAccess.reduce(0) { total, item in
            guard Self.isPattern(item) else { return total + count }
            return total + (Self.mailboxEntry(item, among: blocks)?.count ?? 0)
        }
    }

    /// One `mailbox_access` item, resolved once per entry rather than once per app.
    public enum AccessItem: Sendable {
        /// An address every app gets.
        case address(String)
        /// A mailbox entry shared out, with its address pattern split at `{n}` (splitting per address
        /// was most of a 1,000-app, 100,000-mailbox expansion).
        case share(ScaleBlock, parts: [String])
    }

    /// The template's `mailbox_access` items; a pattern naming no mailbox entry among `blocks` is left out
    /// (the loader refuses it).
    public func accessItems(among blocks: [ScaleBlock]) -> [AccessItem] {
        app.mailboxAccess.compactMap { item in
            guard Self.isPattern(item) else { return .address(item) }
            return Self.mailboxEntry(item, among: blocks).map {
                .share($0, parts: $0.address.components(separatedBy: Self.placeholder))
            }
        }
    }

    /// App n (1…count), filled from the template.
    public func app(_ n: Int, among blocks: [ScaleBlock]) -> App { app(n, access: accessItems(among: blocks)) }

    /// App n (1…count), filled from the template, with `access` from `accessItems(among:)`.
    public func app(_ n: Int, access: [AccessItem]) -> App {
        var made = app
        made.name = fill(app.name, n)
        made.clientID = clientID(n)
        made.secrets = app.secrets.map { ClientSecret(value: fill($0.value, n), expires: $0.expires) }
        made.mailboxAccess = []
        for item in access {
            switch item {
            case .address(let address):
                made.mailboxAccess.append(address)
            case .share(let entry, let parts):
                made.mailboxAccess.append(
                    contentsOf: shareNumbers(n, of: entry).map { parts.joined(separator: entry.padded($0)) })
            }
        }
        return made
    }
}

extension Scenario {
    /// Adds the apps of the `apps: N` entries among `blocks`, in order. O(apps + grants).
    mutating func expandApps(_ blocks: [ScaleBlock]) {
        let appBlocks = blocks.filter { $0.kind == .app }
        apps.reserveCapacity(apps.count + appBlocks.reduce(0) { $0 + $1.count })
        for block in appBlocks {
            let access = block.accessItems(among: blocks)
            for n in 1...max(1, block.count) where block.count > 0 { apps.append(block.app(n, access: access)) }
        }
    }
}

extension ScaleBlock {
    /// Whether `text` is a GUID written 8-4-4-4-12, the rule declared client ids follow.
    public static func isGUID(_ text: String) -> Bool { Scenario.isGUID(text) }

    /// Whether `text` is an absolute http(s) URI, the rule declared redirect URIs follow.
    public static func isRedirectURI(_ text: String) -> Bool { Scenario.isRedirectURI(text) }
}
