import Foundation

/// The admin API as every test calls it: each request carries the run's token
/// (`Authorization: Bearer <admin_token>`), as the ready file gives it. One helper, so no test builds
/// an admin request without it.
public struct AdminClient: Sendable {
    /// `admin_url` from the ready file.
    public let url: String
    /// `admin_token` from the ready file.
    public let token: String

    public init(url: String, token: String) {
        self.url = url
        self.token = token
    }

    /// The header that authorizes a request.
    public var authorization: String { "Authorization: Bearer \(token)" }

    /// curl's arguments for the header (`-H "Authorization: Bearer ..."`).
    public var curlHeader: [String] { ["-H", authorization] }

    /// `curl -sS` to `path` (with its query) on the admin API with the token; `arguments` come before
    /// the URL (`["-X", "POST", "-H", "Content-Type: application/json", "-d", body]`).
    public func curl(_ path: String, _ arguments: [String] = []) throws -> ProgramResult {
        try ServedExomock.curl(curlHeader + arguments + [url + path])
    }

    /// The same with an HTTP status line appended (`-w "\n%{http_code}"`): the body and the status.
    public func request(_ path: String, _ arguments: [String] = []) throws -> (status: Int, body: String) {
        let result = try curl(path, arguments + ["-w", "\n%{http_code}"])
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.last ?? "") ?? 0
        return (status, lines.dropLast().joined(separator: "\n"))
    }
}
