import Determinism
import EntraTokens
import ExomockLimits
import Foundation
import Hummingbird
import Journal
import Logging
import MicrosoftClouds
import ScenarioModel

/// One cloud's Entra ID token service on Hummingbird 2: authorize (with the login pages), token (v2 and
/// v1), devicecode, logout, discovery, keys and instance discovery, at Microsoft's paths.
///
/// The rules live in `EntraTokens.TokenIssuer`; this type turns HTTP requests into its calls and its
/// results into Microsoft's responses (canonical JSON, Microsoft's headers), consults the scenario's
/// token faults, and writes every request and decision to the journal.
public final class TokenService: Sendable {
    public let cloud: Cloud
    public let issuer: TokenIssuer
    public let journal: Journal
    let ids: IdentifierSource
    let key: CloudSigningKey
    /// Scheme written into discovery documents when the request does not say (the runtime serves HTTPS).
    let defaultScheme: String

    public convenience init(
        cloud: Cloud, scenario: Scenario, key: CloudSigningKey, state: IdentityState, journal: Journal,
        clock: VirtualClock,
        ids: IdentifierSource, scheme: String = "https"
    ) {
        self.init(
            cloud: cloud, live: LiveScenario(scenario, clock: clock), key: key, state: state, journal: journal,
            clock: clock, ids: ids, scheme: scheme)
    }

    /// A token service reading the served scenario from `live`, so changes apply to the next request.
    public init(
        cloud: Cloud, live: LiveScenario, key: CloudSigningKey, state: IdentityState, journal: Journal,
        clock: VirtualClock,
        ids: IdentifierSource, scheme: String = "https"
    ) {
        self.cloud = cloud
        self.issuer = TokenIssuer(cloud: cloud, live: live, key: key, state: state, clock: clock, ids: ids)
        self.journal = journal
        self.ids = ids
        self.key = key
        self.defaultScheme = scheme
    }

    var state: IdentityState { issuer.state }

    // MARK: Routes

    /// Every public endpoint of this cloud's token service, one route collection per endpoint family.
    public func addRoutes(to router: Router<BasicRequestContext>) {
        router.addRoutes(authorizeRoutes)
        router.addRoutes(tokenRoutes)
        router.addRoutes(deviceCodeRoutes)
        router.addRoutes(discoveryRoutes)
    }

    /// Admin routes (plain HTTP on loopback, mounted by the runtime under its admin API); see `adminRoutes`.
    public func addAdminRoutes(to group: RouterGroup<BasicRequestContext>) {
        group.addRoutes(adminRoutes)
    }

    // MARK: Helpers

    func connection() -> String { "token-\(state.nextRequestNumber())" }

    func record(_ connection: String, _ event: JournalEvent.Name, _ detail: [String: String]) {
        journal.record(
            cloud: cloud.name.rawValue, service: .token, connection: connection, event: event, detail: detail)
    }

    func baseURL(_ request: Request) -> String {
        let host = request.head.authority ?? cloud.authorityHost
        let scheme = request.uri.scheme?.rawValue ?? defaultScheme
        return "\(scheme)://\(host)"
    }

    func tenantSegment(_ context: BasicRequestContext) -> String { context.parameters.get("tenant") ?? "" }

    static func headers(contentType: String, requestID: String, noStore: Bool = true) -> HTTPFields {
        var h = HTTPFields()
        if noStore {
            h[.cacheControl] = "no-store, no-cache"
            h[.init("Pragma")!] = "no-cache"
        }
        h[.contentType] = contentType
        h[.init("x-ms-request-id")!] = requestID
        return h
    }

    static func body(_ text: String) -> ResponseBody { ResponseBody(byteBuffer: ByteBuffer(string: text)) }

    func json(_ status: HTTPResponse.Status, _ value: CanonicalJSON, requestID: String, noStore: Bool = true)
        -> Response
    {
        Response(
            status: status,
            headers: Self.headers(
                contentType: "application/json; charset=utf-8", requestID: requestID, noStore: noStore),
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.bytes)))
    }

    func html(_ status: HTTPResponse.Status, _ text: String, requestID: String) -> Response {
        Response(
            status: status, headers: Self.headers(contentType: "text/html; charset=utf-8", requestID: requestID),
            body: Self.body(text))
    }

    static func adminJSON(_ status: HTTPResponse.Status, _ fields: [String: CanonicalJSON]) -> Response {
        var h = HTTPFields()
        h[.contentType] = "application/json"
        let sorted = CanonicalJSON.object(fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        return Response(status: status, headers: h, body: body(sorted.serialized + "\n"))
    }

    func readForm(_ request: Request) async throws -> Result<[String: String], FormParameters.Problem> {
        var request = request
        let buffer = try await request.collectBody(upTo: Limits.httpMaximumBodySize)
        return FormParameters.parse(String(buffer: buffer))
    }

    func queryParameters(_ request: Request) -> Result<[String: String], FormParameters.Problem> {
        FormParameters.parse(request.uri.query ?? "")
    }

    func basicAuth(_ request: Request) -> (id: String, secret: String)? {
        guard let value = request.headers[.authorization], value.lowercased().hasPrefix("basic "),
            let data = Data(base64Encoded: String(value.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        let id = FormParameters.decode(text[..<colon])
        let secret = FormParameters.decode(text[text.index(after: colon)...])
        return (id, secret)
    }
}
