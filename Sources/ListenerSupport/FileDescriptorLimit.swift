import ExomockLimits

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's open-file limit (`RLIMIT_NOFILE`), which caps how many connections can be open at
/// once: every connection is one descriptor. Linux starts processes at a soft limit of 1024 with a far
/// higher hard limit, which would cap a load test near 1,000 connections; `exomock serve` raises the
/// soft limit to the hard one at startup and says so on stderr when even that is below what the
/// listeners allow (`Limits.maximumConnectionsPerListener`).
public enum FileDescriptorLimit {
    /// Descriptors kept for listeners, files, pipes and the event loops.
    public static let reserve = 256

    /// Raises the soft limit to the hard limit. Returns the limits in force afterwards, or nil when
    /// they cannot be read.
    @discardableResult
    public static func raiseToHardLimit() -> (soft: Int, hard: Int)? {
        var limit = rlimit()
        guard getrlimit(resourceNoFile, &limit) == 0 else { return nil }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resourceNoFile, &raised) == 0 { limit = raised }
        }
        return (clamp(limit.rlim_cur), clamp(limit.rlim_max))
    }

    /// A sentence for stderr when `soft` descriptors cannot hold `connections` connections, else nil.
    public static func warning(soft: Int, hard: Int, connections: Int = Limits.maximumConnectionsPerListener) -> String?
    {
        let usable = max(0, soft - reserve)
        guard usable < connections else { return nil }
        return
            "exomock: warning: the open-file limit (RLIMIT_NOFILE) is \(soft) (hard limit \(hard)), so at most about \(usable) "
            + "IMAP/POP3 connections can be open at once; a listener allows \(connections) (Limits.maximumConnectionsPerListener). "
            + "Connections past that are refused by the kernel. To hold more, raise the hard limit before starting exomock, "
            + "e.g. `ulimit -Hn \(connections + reserve); ulimit -n \(connections + reserve)` or LimitNOFILE= in a systemd unit."
    }

    static func clamp(_ value: rlim_t) -> Int { value > rlim_t(Int.max) ? Int.max : Int(value) }

    #if canImport(Glibc)
        static let resourceNoFile = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
        static let resourceNoFile = RLIMIT_NOFILE
    #endif
}
