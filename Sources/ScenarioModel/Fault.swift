import Foundation
import MicrosoftClouds

/// A failure injected into a service: Microsoft's answers (throttling, AADSTS codes, server errors),
/// protocol answers in place of the real ones, delays, dropped connections, and network faults below TLS.
///
/// The same fields (snake_case) are a scenario's `faults:` entry and the JSON body of `POST /faults`.
/// Which fields each kind needs and accepts is `Fault.problems(clouds:)`; when a fault fires is
/// `FaultBoard`'s one rule; `docs/faults.md` describes every kind and field.
public struct Fault: Sendable, Equatable, Codable {
    public enum Service: String, Sendable, Codable, CaseIterable {
        case token, imap, pop3, smtp
    }

    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Token service: HTTP 429 `Too Many Requests` with `Retry-After: seconds`. IMAP and POP3: Exchange's
        /// throttling (authenticated, but the next mailbox command is refused as "not connected").
        case throttle
        /// Delay every matching request or command by `seconds` of real time.
        case latency
        /// Close the connection without a reply; with `bytes`, after the first `bytes` bytes of the answer.
        case disconnect
        /// Token service: answer with the AADSTS error `code`.
        case aadsts
        /// Token service: answer with HTTP `status` (500–599) and Microsoft's JSON error body, with
        /// `Retry-After: retry_after` when given.
        case httpStatus = "http_status"
        /// Token service: the real JSON answer cut at half its length, then the connection closes.
        case truncatedBody = "truncated_body"
        /// Token service: status 200 with a body that is not JSON.
        case malformedJSON = "malformed_json"
        /// Mail: `line` in place of the real answer (IMAP: tagged unless it starts with `* `).
        case reply
        /// Mail: Exchange's abrupt close (`* BYE Connection is closed. 13`, `-ERR ...`, `421 4.3.2 ...`).
        case bye
        /// Network: a TCP reset (RST), at once or after the server wrote `bytes` bytes.
        case reset
        /// Network: stop answering, at once or after the server wrote `bytes` bytes.
        case stall
        /// Network: a clean close (FIN) after the server wrote `bytes` bytes.
        case closeAfter = "close_after"
        /// Network: the server's writes paced to `bytes_per_second`.
        case bandwidth
        /// Network: every read and every write delayed by `seconds`.
        case networkLatency = "network_latency"
        /// Network: when the server closes, wait `seconds` before the FIN.
        case slowClose = "slow_close"
        /// Network: the TLS handshake fails with a fatal handshake_failure alert.
        case tlsRefuse = "tls_refuse"
        /// Network: present a certificate with `certificate`'s problem.
        case certificate

        /// The kinds that act on a connection below TLS, matched per connection at accept.
        public var isNetwork: Bool {
            switch self {
            case .reset, .stall, .closeAfter, .bandwidth, .networkLatency, .slowClose, .tlsRefuse, .certificate:
                return true
            case .throttle, .latency, .disconnect, .aadsts, .httpStatus, .truncatedBody, .malformedJSON, .reply, .bye:
                return false
            }
        }
    }

    /// What is wrong with the certificate a `certificate` fault presents.
    public enum CertificateProblem: String, Sendable, Codable, CaseIterable {
        /// Signed by the test CA, but its validity ended.
        case expired
        /// Signed by the test CA and valid, but for another host name.
        case wrongHost = "wrong_host"
    }

    public var service: Service
    public var kind: Kind
    /// Only this cloud (nil: every cloud in the scenario).
    public var cloud: CloudName?
    /// Only requests or commands matching this: a token `grant_type` or endpoint, or a mail command name.
    public var match: String?
    /// Only requests or commands for this user or mailbox (UPN, compared case-insensitively).
    public var user: String?
    /// Only requests from this app (token: the request's `client_id`; mail: the token's `appid`).
    public var clientID: String?
    /// Skip this many matching requests before the fault starts.
    public var after: Int
    /// Apply to this many matching requests, then stop (nil: for ever).
    public var count: Int?
    /// Only from this instant of virtual time on (nil: from the start).
    public var from: Date?
    /// Only before this instant of virtual time (nil: for ever).
    public var until: Date?
    /// Fire with this probability (0 < p ≤ 1), drawn from the scenario's seed (nil: always).
    public var probability: Double?
    /// For `latency`, `network_latency`, `slow_close`: seconds; for `throttle`: the `Retry-After` seconds.
    public var seconds: Double?
    /// For `aadsts`: the AADSTS code to answer with.
    public var code: Int?
    /// For `http_status`: the HTTP status (500–599).
    public var status: Int?
    /// For `http_status`: the `Retry-After` seconds (nil: no header).
    public var retryAfter: Int?
    /// For `reply`: the line sent in place of the real answer.
    public var line: String?
    /// For `disconnect`, `reset`, `stall`, `close_after`: bytes written before the fault acts.
    public var bytes: Int?
    /// For `bandwidth`: the rate the server's writes are paced to.
    public var bytesPerSecond: Int?
    /// For `certificate`: what is wrong with the certificate presented.
    public var certificate: CertificateProblem?

    enum CodingKeys: String, CodingKey {
        case service, kind, cloud, match, user
        case clientID = "client_id"
        case after, count, from, until, probability, seconds, code, status
        case retryAfter = "retry_after"
        case line, bytes
        case bytesPerSecond = "bytes_per_second"
        case certificate
    }

    public init(
        service: Service,
        kind: Kind,
        cloud: CloudName? = nil,
        match: String? = nil,
        user: String? = nil,
        clientID: String? = nil,
        after: Int = 0,
        count: Int? = nil,
        from: Date? = nil,
        until: Date? = nil,
        probability: Double? = nil,
        seconds: Double? = nil,
        code: Int? = nil,
        status: Int? = nil,
        retryAfter: Int? = nil,
        line: String? = nil,
        bytes: Int? = nil,
        bytesPerSecond: Int? = nil,
        certificate: CertificateProblem? = nil
    ) {
        self.service = service
        self.kind = kind
        self.cloud = cloud
        self.match = match
        self.user = user
        self.clientID = clientID
        self.after = after
        self.count = count
        self.from = from
        self.until = until
        self.probability = probability
        self.seconds = seconds
        self.code = code
        self.status = status
        self.retryAfter = retryAfter
        self.line = line
        self.bytes = bytes
        self.bytesPerSecond = bytesPerSecond
        self.certificate = certificate
    }
}
