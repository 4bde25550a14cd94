import ExomockLimits

/// What one simulated mail handler does in one operation.
public enum LoadKind: String, CaseIterable, Sendable, Codable, Comparable {
    /// A `refresh_token` grant at the token endpoint.
    case refresh
    /// IMAP: connect, XOAUTH2, `SELECT INBOX`, FETCH of new mail (and `--flag`, `--expunge`), LOGOUT.
    case imap
    /// IMAP: connect, XOAUTH2, LOGOUT.
    case imapLogin = "imap-login"
    /// POP3: connect, XOAUTH2, `STAT`, `RETR` of new mail (and `--expunge`: `DELE`), QUIT.
    case pop3
    /// POP3: connect, XOAUTH2, QUIT.
    case pop3Login = "pop3-login"
    /// SMTP submission: connect, EHLO, STARTTLS, EHLO, XOAUTH2, one message (`--message-size`) to an
    /// address outside the scenario (the mock keeps it in its bounded outbox), QUIT.
    case smtp

    public static func < (a: LoadKind, b: LoadKind) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// Whether the kind needs a mail access token (and which listener).
    var usesIMAP: Bool { self == .imap || self == .imapLogin }
    var usesPOP3: Bool { self == .pop3 || self == .pop3Login }
    var usesSMTP: Bool { self == .smtp }
    var loginOnly: Bool { self == .imapLogin || self == .pop3Login }
}

/// A `--mix` or `--fetch` value that cannot be used, with how to fix it.
public struct LoadOptionError: Error, Sendable, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// How often each kind runs: `refresh=1,imap=4,pop3=1`.
public struct LoadMix: Sendable, Equatable {
    /// Kinds with a weight above zero, in `LoadKind` order.
    public private(set) var weights: [LoadKind: Int]

    public init(_ weights: [LoadKind: Int]) throws(LoadOptionError) {
        let used = weights.filter { $0.value > 0 }
        guard !used.isEmpty else {
            throw LoadOptionError("the mix has no kind with a weight above 0; e.g. --mix imap=1")
        }
        let total = used.values.reduce(0, +)
        guard total <= Limits.loadMaximumMixWeight else {
            throw LoadOptionError(
                "the mix's weights add up to \(total), over \(Limits.loadMaximumMixWeight); use smaller numbers with the same ratios"
            )
        }
        self.weights = used
    }

    /// Parses `KIND=WEIGHT,…` (a bare `KIND` weighs 1).
    public static func parse(_ text: String) throws(LoadOptionError) -> LoadMix {
        var weights: [LoadKind: Int] = [:]
        for item in text.split(separator: ",", omittingEmptySubsequences: true) {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let names = LoadKind.allCases.map(\.rawValue).joined(separator: ", ")
            guard let kind = LoadKind(rawValue: parts[0]) else {
                throw LoadOptionError(
                    "--mix: '\(parts[0])' is not a kind; use one of \(names), e.g. --mix refresh=1,imap=4,pop3=1")
            }
            guard weights[kind] == nil else {
                throw LoadOptionError("--mix: '\(kind.rawValue)' is given twice; give each kind once")
            }
            let weight = parts.count > 1 ? Int(parts[1]) : 1
            guard let weight, weight >= 0 else {
                throw LoadOptionError(
                    "--mix: the weight of '\(kind.rawValue)' must be a whole number ≥ 0, not '\(parts[1])'")
            }
            weights[kind] = weight
        }
        return try LoadMix(weights)
    }

    public var kinds: [LoadKind] { weights.keys.sorted() }

    /// One cycle in which each kind appears as often as its weight, spread evenly (smooth weighted
    /// round robin): `imap=2,pop3=1` → imap, pop3, imap. Operation `n` runs `sequence[n % count]`.
    public var sequence: [LoadKind] {
        let kinds = self.kinds
        let total = weights.values.reduce(0, +)
        var current = Array(repeating: 0, count: kinds.count)
        var out: [LoadKind] = []
        out.reserveCapacity(total)
        for _ in 0..<total {
            var best = 0
            for i in kinds.indices {
                current[i] += weights[kinds[i]]!
                if current[i] > current[best] { best = i }
            }
            current[best] -= total
            out.append(kinds[best])
        }
        return out
    }
}

/// Which messages an `imap` or `pop3` operation reads.
public enum FetchPolicy: String, Sendable, CaseIterable {
    /// What arrived since the handler's last operation (IMAP: UIDs above the last one seen; POP3:
    /// message numbers above the last one read, or all after `DELE`): a handler polling a mailbox.
    case new
    /// Every message (up to `--max-messages`) each time: a throughput test.
    case all
}
