/// exomock's version, defined once: `exomock --version` prints it.
public enum ExomockVersion {
    /// Semantic version of the command line and the ready-file producer. Bump it with every release.
    public static let current = "0.3.0"
}
