import Determinism
import ExomockLimits
import Foundation
import Hummingbird
import Journal
import Prometheus
import ScenarioModel
import Synchronization

/// The loopback control surface of a running scenario: health, the scenario, the virtual clock,
/// the journal, Prometheus metrics, plus routes that services contribute (token revocation, SSO
/// session, device-code approval, new mail).
///
/// Plain HTTP on 127.0.0.1 only, guarded by `AdminGuard` (this run's `token`, loopback `Host` names, no
/// browser `Origin`); every answer is JSON with sorted keys (or JSON lines, or the Prometheus text
/// format), so scripts can diff it.
public struct AdminAPI: Sendable {
    public typealias RouteContributor = @Sendable (Router<BasicRequestContext>) -> Void

    /// The served scenario, live changes (`POST /changes`) included.
    let scenario: LiveScenario
    let clock: VirtualClock
    let journal: Journal
    let registry: PrometheusCollectorRegistry
    let contributors: [RouteContributor]
    let startedAt: Date
    /// The credential every request must carry (`Authorization: Bearer`).
    let token: AdminToken

    public init(
        scenario: LiveScenario,
        clock: VirtualClock,
        journal: Journal,
        registry: PrometheusCollectorRegistry,
        contributors: [RouteContributor] = [],
        token: AdminToken
    ) {
        self.scenario = scenario
        self.clock = clock
        self.journal = journal
        self.registry = registry
        self.contributors = contributors
        self.startedAt = clock.now()
        self.token = token
    }

    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        // First, so it guards every route added below, contributed ones and unknown paths included.
        router.add(middleware: AdminGuard(token: token))
        let scenario = scenario
        let clock = clock
        let journal = journal
        let registry = registry
        let clockGauge = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "exomock", metricName: "virtual_time", unitName: "seconds",
                helpText: "The scenario's virtual clock, as a Unix time."
            )
        )
        let eventsGauge = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "exomock", metricName: "journal_events", unitName: "total",
                helpText: "Events recorded in the journal so far."
            )
        )

        router.get("/health") { _, _ in
            AdminJSON.response([
                "status": "ok", "scenario": scenario.current.name, "now": Timestamps.rfc3339(clock.now()),
            ])
        }
        router.get("/scenario") { request, _ in
            // Secrets (client secrets, passwords, private keys) only when asked: `?secrets=true`.
            let data = AdminJSON.encoded(scenario.current)
            let showSecrets = request.uri.queryParameters.get("secrets") == "true"
            return AdminJSON.response(jsonData: showSecrets ? data : ScenarioRedaction.redact(data))
        }
        router.get("/clock") { _, _ in
            AdminJSON.response(["now": Timestamps.rfc3339(clock.now())])
        }
        router.post("/clock/advance") { request, context in
            let body = Data(buffer: try await request.body.collect(upTo: Limits.httpMaximumBodySize))
            if let problem = StrictJSON.problem(in: body, keys: ["by"]) {
                return AdminJSON.error(.badRequest, problem.message, fix: problem.fix)
            }
            struct Advance: Decodable { var by: String }
            guard let advance = try? JSONDecoder().decode(Advance.self, from: body) else {
                return AdminJSON.error(
                    .badRequest, "the body must be JSON like {\"by\": \"91d\"}",
                    fix: "Send a duration such as 90d, 1h30m, 15m or 30s in \"by\".")
            }
            guard let seconds = DurationText.parse(advance.by), seconds > 0 else {
                return AdminJSON.error(
                    .badRequest, "'\(QuotedInput.shown(advance.by))' is not a positive duration",
                    fix: "Write it like 91d, 1h30m, 15m, 30s or 250ms.")
            }
            let before = clock.now()
            let after: Date
            switch clock.advance(checked: seconds, atMost: Limits.scenarioMaximumDurationSeconds) {
            case .success(let moved): after = moved
            case .failure(let refused): return AdminJSON.error(.badRequest, refused.description, fix: refused.fix)
            }
            journal.record(
                cloud: nil,
                service: .admin,
                event: .clockAdvanced,
                detail: ["by": advance.by, "from": Timestamps.rfc3339(before), "to": Timestamps.rfc3339(after)]
            )
            return AdminJSON.response(ClockAdvanced(now: Timestamps.rfc3339(after), advancedSeconds: seconds))
        }
        router.get("/journal") { request, _ in
            let after = request.uri.queryParameters.get("after", as: Int.self) ?? 0
            var headers = HTTPFields()
            headers[.contentType] = "application/x-ndjson"
            return Response(
                status: .ok, headers: headers,
                body: .init(byteBuffer: ByteBuffer(string: journal.jsonLines(after: after))))
        }
        let exported = ExportedCounts()
        router.get("/metrics") { _, _ in
            clockGauge.set(clock.now().timeIntervalSince1970)
            eventsGauge.set(Double(journal.recordedCount))
            exported.publish(journal.eventCounts(), to: registry)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            return Response(
                status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        for contribute in contributors { contribute(router) }
        return router
    }
}

/// `POST /clock/advance`'s answer: the new instant, and the seconds moved as a JSON number.
struct ClockAdvanced: Encodable {
    var now: String
    var advancedSeconds: Double

    enum CodingKeys: String, CodingKey {
        case now
        case advancedSeconds = "advanced_seconds"
    }
}

/// The journal counts already added to the Prometheus counters, so each scrape adds only what is new.
final class ExportedCounts: Sendable {
    private let counts = Mutex<[Journal.EventKind: Int]>([:])

    /// Adds to `exomock_events_total{cloud,service,event}` (logins, grants, rejections, faults) what
    /// each count grew by since the last scrape.
    func publish(_ current: [Journal.EventKind: Int], to registry: PrometheusCollectorRegistry) {
        let descriptor = MetricNameDescriptor(
            namespace: "exomock", metricName: "events", unitName: "total",
            helpText:
                "Journal events by cloud, service and event (logins, grants, rejections, faults), dropped ones included."
        )
        counts.withLock { counts in
            for (kind, count) in current {
                let delta = count - counts[kind, default: 0]
                counts[kind] = count
                guard delta > 0 else { continue }
                registry.makeCounter(
                    descriptor: descriptor,
                    labels: [
                        ("cloud", kind.cloud ?? ""), ("service", kind.service.rawValue), ("event", kind.event.rawValue),
                    ]
                ).increment(by: Int64(delta))
            }
        }
    }
}

/// JSON helpers shared by admin routes (ours and the ones services contribute).
public enum AdminJSON {
    /// A 200 (or `status`) response with `value` as JSON, keys sorted.
    public static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        response(jsonData: encoded(value), status: status)
    }

    /// `value` as the admin API writes JSON: keys sorted, pretty-printed, ISO 8601 dates.
    static func encoded<T: Encodable>(_ value: T) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return (try? encoder.encode(value)) ?? Data("{}".utf8)
    }

    /// A response with JSON already encoded.
    static func response(jsonData data: Data, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(
            status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: Array(data) + [0x0A])))
    }

    /// An error answer: `{"error": what, "fix": how}`.
    public static func error(_ status: HTTPResponse.Status, _ message: String, fix: String) -> Response {
        response(["error": message, "fix": fix], status: status)
    }
}
