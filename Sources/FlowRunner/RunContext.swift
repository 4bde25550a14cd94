import Determinism
import Exomock
import Foundation
import Journal
import MailClient
import MicrosoftClouds
import NIOHTTP1
import NIOSSL
import ScenarioModel

/// Tokens a step saved (`save_as`), with what a later refresh needs.
struct SavedTokens: Sendable {
    var accessToken: String?
    var refreshToken: String?
    /// When the access token expires (its `exp`), on the virtual clock.
    var expires: Date?
    /// The step that got them: cloud, tenant, app and scopes for a refresh.
    var origin: TokenStep
}

/// An expectation that did not hold: where, and what was expected and seen.
struct StepFailure: Error, Sendable {
    var line: Int
    var step: String
    var expected: String
    var got: String
    /// The last protocol lines before the failure.
    var context: [String]
}

/// Everything a flow run holds: where the mock is, the virtual time, saved tokens, the journal
/// cursor and the transcript. One task drives it from the first step to the last.
final class RunContext {
    let scenario: Scenario
    let file: String
    let ready: ReadyDocument
    let http: HTTPTransport
    let mailTLS: NIOSSLContext
    let reveal: Bool
    var now: Date
    var saved: [String: SavedTokens] = [:]
    var journalCursor = 0
    var transcript = Transcript()
    var stepLabel = ""
    /// Sessions `keep_open` steps left open; dropped (closed without a goodbye) when the flow ends.
    var heldSessions: [any MailProtocolClient] = []
    /// Messages `smtp` steps have sent so far (numbers their `Message-ID`s).
    var sentMessages = 0
    /// Protocol lines of the current step, for a failure's context.
    var recentLines: [String] = []

    init(scenario: Scenario, file: String, ready: ReadyDocument, reveal: Bool, timeout: Double) throws {
        self.scenario = scenario
        self.file = file
        self.ready = ready
        self.reveal = reveal
        self.http = try HTTPTransport(caFile: ready.caFile, timeoutSeconds: timeout)
        self.mailTLS = try MailEndpoint.tlsContext(trusting: ready.caFile)
        self.now = scenario.clock.start
    }

    var time: String { Timestamps.rfc3339(now) }

    func add(_ kind: Transcript.Entry.Kind, _ text: String) {
        transcript.add(kind, time: time, step: stepLabel, text)
        if kind == .client || kind == .server || kind == .request || kind == .response {
            recentLines.append("\(kind.rawValue) \(text)")
            if recentLines.count > 8 { recentLines.removeFirst() }
        }
    }

    /// `****` unless `--reveal`.
    func mask(_ secret: String) -> String { reveal ? secret : "****" }

    // MARK: Where things are

    func cloudEndpoints(_ cloud: CloudName) throws -> ReadyDocument.CloudEndpoints {
        guard let endpoints = ready.clouds.first(where: { $0.name == cloud.rawValue }) else {
            throw RunError.setup("the mock does not serve cloud '\(cloud.rawValue)'; add it to the scenario's `clouds`")
        }
        return endpoints
    }

    /// The cloud an app, user or mailbox lives in (by its tenant).
    func homeCloud(ofApp clientID: String) -> CloudName? {
        scenario.app(clientID: clientID).flatMap { scenario.tenantCloud($0.tenant) }
    }

    func homeCloud(ofAddress address: String) -> CloudName? { scenario.tenant(forAddress: address)?.cloud }

    var adminURL: String { ready.adminURL }

    // MARK: Admin API

    /// A request to the admin API (`path` after its base URL), carrying this run's admin token.
    func admin(
        _ method: HTTPMethod, _ path: String, json: [String: String]? = nil, body: [UInt8]? = nil,
        contentType: String? = nil
    ) async throws -> HTTPAnswer {
        try await http.request(
            method, adminURL + path, json: json, body: body, contentType: contentType,
            authorization: "Bearer \(ready.adminToken)")
    }

    /// Moves the virtual clock and notes it.
    func advance(seconds: Double, reason: String) async throws {
        let answer = try await admin(.POST, "/clock/advance", json: ["by": DurationText.format(seconds: seconds)])
        guard answer.status == 200 else {
            throw RunError.setup("the admin API refused to advance the clock: HTTP \(answer.status) \(answer.body)")
        }
        // A virtual clock moved exactly this far; only a realtime one needs reading back (parsing the
        // answer on every round of a long `repeat` cost about 3 % of the run's CPU, in ICU).
        if scenario.clock.mode == .virtual {
            now += seconds
        } else {
            try await syncClock()
        }
        add(.note, "clock +\(DurationText.format(seconds: seconds)) \(reason)".trimmingCharacters(in: .whitespaces))
    }

    /// Reads the virtual clock.
    func syncClock() async throws {
        let answer = try await admin(.GET, "/clock")
        if let text = answer.json?["now"] as? String, let date = Timestamps.parseRFC3339(text) { now = date }
    }

    /// The decisions the server recorded since the last call, into the transcript.
    func readJournal(show: Bool = true) async throws {
        // The quiet rounds of a repeat block skip it; the block catches up before its last round.
        guard transcript.recording || !show else { return }
        let answer = try await admin(.GET, "/journal?after=\(journalCursor)")
        for line in answer.body.split(separator: "\n") {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
                continue
            }
            if let seq = object["seq"] as? Int { journalCursor = max(journalCursor, seq) }
            guard show, let event = object["event"] as? String, JournalView.shows(event) else { continue }
            let detail = object["detail"] as? [String: String] ?? [:]
            add(
                .journal,
                JournalView.render(
                    event: event, service: object["service"] as? String, cloud: object["cloud"] as? String,
                    detail: detail))
        }
    }
}

/// Which journal events a transcript shows, and how.
enum JournalView {
    /// Events that are bookkeeping, not decisions.
    static let hidden: Set<JournalEvent.Name> = [
        .discoveryServed, .clockAdvanced, .scenarioReady, .connectionOpened, .connectionClosed,
    ]

    static func shows(_ event: String) -> Bool { !hidden.contains { $0.rawValue == event } }

    /// Keys never shown (they vary by machine or carry no decision).
    static let skippedKeys: Set<String> = ["connection", "port", "remote", "peer", "client_address"]

    static func render(event: String, service: String?, cloud: String?, detail: [String: String]) -> String {
        let fields = detail.filter { !skippedKeys.contains($0.key) && !$0.value.isEmpty }.sorted { $0.key < $1.key }
            .map { "\($0.key)=\(quoted($0.value))" }
        let origin = [cloud, service].compactMap { $0 }.joined(separator: "/")
        return ([origin.isEmpty ? event : "\(origin) \(event)"] + fields).joined(separator: " ")
    }

    static func quoted(_ value: String) -> String {
        value.contains(" ") || value.isEmpty ? "\"\(value)\"" : value
    }
}

/// Why a run could not start or go on (exit 2), as opposed to an unmet expectation (exit 1).
public enum RunError: Error, CustomStringConvertible, Sendable {
    case setup(String)
    public var description: String {
        switch self {
        case .setup(let why): why
        }
    }
}
