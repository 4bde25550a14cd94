import ExomockLimits

/// The load generator's own bounds (rows in `docs/load.md`, each crossed by a test in
/// `LoadGeneratorTests`). They keep a long run's memory flat whatever the target answers.
extension Limits {
    /// Distinct error classes a report keeps; further classes are counted under `other`. A server
    /// that puts a request id in every error line would otherwise grow the table without end.
    public static let loadMaximumErrorClasses = 64
    /// Largest sum of `--mix` weights (the weighted cycle holds one entry per unit of weight).
    public static let loadMaximumMixWeight = 1_000
    /// Most simulated handlers (`--clients`): each holds a connection or two at a time.
    public static let loadMaximumClients = 50_000
    /// Highest latency a histogram records exactly, in microseconds (one hour); longer ones are
    /// recorded as this value.
    public static let loadHighestTrackableMicroseconds: UInt64 = 3_600_000_000
    /// Longest server line kept as an error class's text (the rest is cut).
    public static let loadErrorLineLength = 120
}
