/// Why `serve` could not start or keep running. Each says what was wrong and how to fix it.
public enum ServeError: Error, CustomStringConvertible, Sendable {
    case portInUse(what: String, host: String, port: Int)
    case bindFailed(what: String, host: String, port: Int, reason: String)
    case certificates(reason: String, directory: String)
    case readyFile(path: String, reason: String)
    case scenario(String)

    public var description: String {
        switch self {
        case .portInUse(let what, let host, let port):
            return
                "port \(port) on \(host) is already in use, so the \(what) cannot listen there. Stop the program using it (`ss -ltnp 'sport = :\(port)'` shows which), or run without --hosts to use ephemeral ports."
        case .bindFailed(let what, let host, let port, let reason):
            return
                "the \(what) cannot listen on \(host):\(port): \(reason). Ports below 1024 need root (--hosts); without --hosts exomock uses ephemeral ports on 127.0.0.1."
        case .certificates(let reason, let directory):
            return
                "the test certificates in \(directory) cannot be used: \(reason). Delete that directory to have exomock create new ones, or run `exomock certs --out \(directory)`."
        case .readyFile(let path, let reason):
            return "the ready file \(path) cannot be written: \(reason). Point --ready-file at a writable directory."
        case .scenario(let text):
            return text
        }
    }
}
