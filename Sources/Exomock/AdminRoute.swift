/// One route of the admin API as registered: `GET /faults`, `DELETE /faults/{id}`, `POST /gcc-high/sso`.
public struct AdminRoute: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The HTTP method, upper case.
    public var method: String
    /// The path, with parameters written the OpenAPI way (`{address}`, not Hummingbird's `:address`).
    public var path: String

    public init(method: String, path: String) {
        self.method = method
        self.path = path.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
        }.joined(separator: "/")
    }

    public var description: String { "\(method) \(path)" }

    public static func < (a: AdminRoute, b: AdminRoute) -> Bool { (a.path, a.method) < (b.path, b.method) }
}
