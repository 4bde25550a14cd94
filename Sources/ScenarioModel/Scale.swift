import Determinism

/// One entry of a scenario's `scale:` list: many users (each with a mailbox) or shared mailboxes from one
/// address pattern, each Inbox holding generated (virtual) mail, and FullAccess for the listed principals
/// on every one of them; or many app registrations from one template (`apps: N`, `ScaleApps.swift`). The
/// loader adds what it describes to `users`, `mailboxes`, `apps` and the principals' `full_access` /
/// `mailbox_access`, so everything downstream sees ordinary entries.
public struct ScaleBlock: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// `shared_mailboxes: N`: shared mailboxes, no sign-in of their own.
        case shared
        /// `users: N`: users, each with their own mailbox.
        case user
        /// `apps: N`: app registrations made from `app`, a template with `{n}` in its name, client id and
        /// secrets.
        case app
    }

    public var kind: Kind
    public var count: Int
    /// The address (UPN for users) with `{n}` for 1…count, zero-padded to the digits of `count`
    /// (`support{n}@contoso.com` with 1000 gives support0001 … support1000).
    public var address: String
    /// Users: the password of each, `{n}` allowed.
    public var password: String
    /// Each mailbox's Inbox: `inboxCount` generated messages of about `inboxSize` bytes; mailbox n's seed
    /// is derived from `inboxSeed` and n, so every mailbox holds different mail.
    public var inboxCount: Int
    public var inboxSize: Int
    public var inboxSeed: UInt64
    /// UPNs of users and client ids of apps given FullAccess on every generated mailbox.
    public var fullAccess: [String]
    /// Apps only: the template every generated app is filled from (`ScaleBlock.app(_:)`). Its `clientID`
    /// is a GUID whose last digits are `{n}`; its `mailboxAccess` holds addresses and address patterns
    /// of other entries (`mailboxAccess(_:of:among:)`).
    public var app: App = App(name: "", clientID: "", tenant: "")

    public static let placeholder = "{n}"

    public init(
        kind: Kind, count: Int, address: String, password: String = "", inboxCount: Int = 0, inboxSize: Int = 2048,
        inboxSeed: UInt64 = 1, fullAccess: [String] = []
    ) {
        self.kind = kind
        self.count = count
        self.address = address
        self.password = password
        self.inboxCount = inboxCount
        self.inboxSize = inboxSize
        self.inboxSeed = inboxSeed
        self.fullAccess = fullAccess
    }

    /// Digits every generated number is padded to.
    public var width: Int { String(max(count, 1)).count }

    /// n zero-padded to `width` digits.
    public func padded(_ n: Int) -> String {
        let digits = String(n)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// `pattern` with each `{n}` replaced by n, zero-padded.
    public func fill(_ pattern: String, _ n: Int) -> String {
        pattern.components(separatedBy: Self.placeholder).joined(separator: padded(n))
    }

    /// The address of entry n (1…count).
    public func address(_ n: Int) -> String { fill(address, n) }

    /// The seed of entry n's Inbox: spread with SplitMix64, so neighbouring mailboxes share no stream.
    public func inboxSeed(_ n: Int) -> UInt64 {
        var mix = SplitMix64(seed: inboxSeed &+ UInt64(n))
        return mix.next()
    }

    /// The n (1…count) whose address is `address` (case-insensitive), if this entry generates it. O(length).
    public func number(of address: String) -> Int? {
        guard let hole = self.address.range(of: Self.placeholder) else { return nil }
        let prefix = self.address[..<hole.lowerBound].lowercased()
        let suffix = self.address[hole.upperBound...].lowercased()
        let text = address.lowercased()
        guard text.count == prefix.count + width + suffix.count, text.hasPrefix(prefix), text.hasSuffix(suffix) else {
            return nil
        }
        let middle = text.dropFirst(prefix.count).dropLast(suffix.count)
        guard middle.allSatisfy(\.isASCII), let n = Int(middle), (1...count).contains(n) else { return nil }
        return n
    }

    /// The domain the pattern's addresses are in, lower-cased.
    public var domain: String { address.split(separator: "@").last.map { $0.lowercased() } ?? "" }
}

extension Scenario {
    /// Adds the users, mailboxes and FullAccess grants of `blocks`, in order. The blocks must already be
    /// valid (the loader checks them where they are written); costs O(entries), no lookups per entry.
    public mutating func expand(_ blocks: [ScaleBlock]) {
        // Apps first, so a mailbox entry's `full_access` finds a generated app like a declared one.
        expandApps(blocks)
        for block in blocks where block.kind != .app {
            var addresses: [String] = []
            addresses.reserveCapacity(block.count)
            if block.kind == .user { users.reserveCapacity(users.count + block.count) }
            mailboxes.reserveCapacity(
                mailboxes.count + (block.kind == .shared || block.inboxCount > 0 ? block.count : 0))
            // Split once: `replacingOccurrences` per entry was a tenth of a 100,000-mailbox start-up.
            let addressParts = block.address.components(separatedBy: ScaleBlock.placeholder)
            let passwordParts = block.password.components(separatedBy: ScaleBlock.placeholder)
            for n in 1...max(1, block.count) where block.count > 0 {
                let number = block.padded(n)
                let address = addressParts.joined(separator: number)
                addresses.append(address)
                let inbox: [Folder] =
                    block.inboxCount > 0
                    ? [
                        Folder(
                            name: "Inbox",
                            messages: [
                                .generated(count: block.inboxCount, size: block.inboxSize, seed: block.inboxSeed(n))
                            ])
                    ] : []
                switch block.kind {
                case .shared:
                    mailboxes.append(Mailbox(address: address, kind: .shared, folders: inbox))
                case .user:
                    users.append(User(upn: address, password: passwordParts.joined(separator: number)))
                    if !inbox.isEmpty { mailboxes.append(Mailbox(address: address, kind: .user, folders: inbox)) }
                case .app:
                    break
                }
            }
            for principal in block.fullAccess {
                let key = principal.lowercased()
                if let a = apps.firstIndex(where: { $0.clientID.lowercased() == key }) {
                    apps[a].mailboxAccess.append(contentsOf: addresses)
                } else if let u = users.firstIndex(where: { $0.upn.lowercased() == key }) {
                    users[u].fullAccess.append(contentsOf: addresses)
                }
            }
        }
    }
}
