import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// One HTTP exchange, as the runner (and the load generator) needs it.
public struct HTTPAnswer: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: String

    public func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }

    /// The JSON object of the body, if it is one.
    public var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
    }
}

/// Why an HTTP request got no answer.
public enum HTTPFailure: Error, CustomStringConvertible {
    case noAnswer(String)
    public var description: String {
        switch self {
        case .noAnswer(let why): why
        }
    }
}

/// HTTPS to the token services (trusting the test CA) and plain HTTP to the admin API, with
/// redirects left to the caller (a browser flow reads the `Location` of each 302). The load generator
/// shares it, with one kept-alive connection per simulated handler (`connectionsPerHost`).
public final class HTTPTransport: Sendable {
    let client: HTTPClient
    let timeout: TimeAmount

    /// `caFile` nil trusts the system's roots (a real token endpoint).
    public init(caFile: String?, timeoutSeconds: Double, connectionsPerHost: Int? = nil) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile { tls.trustRoots = .file(caFile) }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow)
        configuration.timeout = .init(connect: .seconds(10), read: .milliseconds(Int64(timeoutSeconds * 1000)))
        configuration.httpVersion = .http1Only
        if let connectionsPerHost {
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = connectionsPerHost
        }
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        timeout = .milliseconds(Int64(timeoutSeconds * 1000))
    }

    public func shutdown() async {
        try? await client.shutdown()
    }

    public func request(
        _ method: HTTPMethod, _ url: String, form: [(String, String)]? = nil, json: [String: String]? = nil,
        body: [UInt8]? = nil, contentType: String? = nil, authorization: String? = nil
    ) async throws -> HTTPAnswer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: FormEncoding.encode(form)))
        } else if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            let data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
            request.body = .bytes(ByteBuffer(bytes: data))
        } else if let body {
            request.headers.add(name: "Content-Type", value: contentType ?? "application/octet-stream")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await client.execute(request, timeout: timeout)
            let buffer = try await response.body.collect(upTo: 8 * 1024 * 1024)
            return HTTPAnswer(
                status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                body: String(buffer: buffer)
            )
        } catch {
            throw HTTPFailure.noAnswer("\(method) \(URLText.pathAndQuery(url)): \(error)")
        }
    }
}

/// `application/x-www-form-urlencoded`, as browsers and MSAL write it.
enum FormEncoding {
    static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)

    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if unreserved.contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    static func encode(_ fields: [(String, String)]) -> String {
        fields.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    /// Parses `a=b&c=d` (a query or a fragment).
    static func decode(_ text: Substring) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key =
                String(parts[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(parts[0])
            let value =
                parts.count > 1
                ? (String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "") : ""
            out[key] = value
        }
        return out
    }
}

enum URLText {
    /// `https://127.0.0.1:4431/t/oauth2/v2.0/token` → `/t/oauth2/v2.0/token` (ports never reach a transcript).
    static func pathAndQuery(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        guard let slash = rest.firstIndex(of: "/") else { return "/" }
        return String(rest[slash...])
    }
}
