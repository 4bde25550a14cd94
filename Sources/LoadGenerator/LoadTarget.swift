import FlowRunner
import Foundation
import MailClient
import NIOSSL

/// What a refresh operation posts: the handler's own refresh token, swapped for the new one each
/// time the token service answers.
public struct RefreshGrant: Sendable {
    public var tokenURL: String
    public var clientID: String
    public var secret: String?
    public var scope: String
    public var refreshToken: String

    public init(tokenURL: String, clientID: String, secret: String?, scope: String, refreshToken: String) {
        self.tokenURL = tokenURL
        self.clientID = clientID
        self.secret = secret
        self.scope = scope
        self.refreshToken = refreshToken
    }
}

/// One simulated mail handler: its mailbox and access token, its refresh token, and what it has
/// read so far. One task at a time holds it.
public struct SimulatedHandler: Sendable {
    /// The mailbox (`user=` of XOAUTH2).
    public var mailbox: String
    public var accessToken: String
    public var refresh: RefreshGrant?
    /// Highest IMAP UID read (`--fetch new`).
    var lastUID = 0
    /// POP3 messages read (`--fetch new` without `DELE`).
    var popRead = 0

    public init(mailbox: String, accessToken: String, refresh: RefreshGrant? = nil) {
        self.mailbox = mailbox
        self.accessToken = accessToken
        self.refresh = refresh
    }
}

/// Where the load goes and as whom.
public struct LoadTarget: Sendable {
    /// For the report: `in-process mock (scenario bench)`, `imap 127.0.0.1:19993`.
    public var name: String
    public var imap: MailEndpoint?
    public var pop3: MailEndpoint?
    /// SMTP submission (STARTTLS), for `smtp` operations.
    public var smtp: MailEndpoint?
    /// HTTPS to the token endpoint (refresh operations).
    public var http: HTTPTransport?
    public var handlers: [SimulatedHandler]
    /// How the handlers got their tokens, for the report.
    public var notes: [String]

    public init(
        name: String, imap: MailEndpoint?, pop3: MailEndpoint?, smtp: MailEndpoint? = nil, http: HTTPTransport?,
        handlers: [SimulatedHandler], notes: [String] = []
    ) {
        self.name = name
        self.imap = imap
        self.pop3 = pop3
        self.smtp = smtp
        self.http = http
        self.handlers = handlers
        self.notes = notes
    }

    /// Checks that every kind of `mix` can run: its endpoint is known and each handler has what it needs.
    public func check(_ mix: LoadMix) throws(LoadSetupError) {
        for kind in mix.kinds {
            if kind.usesIMAP, imap == nil {
                throw LoadSetupError(
                    "'\(kind.rawValue)' is in the mix but no IMAP endpoint is known: give --imap HOST:PORT or drop it from --mix"
                )
            }
            if kind.usesPOP3, pop3 == nil {
                throw LoadSetupError(
                    "'\(kind.rawValue)' is in the mix but no POP3 endpoint is known: give --pop3 HOST:PORT or drop it from --mix"
                )
            }
            if kind.usesSMTP, smtp == nil {
                throw LoadSetupError(
                    "'smtp' is in the mix but no SMTP endpoint is known: run against a scenario or serve, or drop it from --mix"
                )
            }
            if kind == .refresh, http == nil || handlers.contains(where: { $0.refresh == nil }) {
                throw LoadSetupError(
                    "'refresh' is in the mix but the handlers have no refresh token: give --token-url with --refresh-tokens, "
                        + "or a scenario user the password grant can sign in (docs/load.md)")
            }
        }
        if handlers.isEmpty {
            throw LoadSetupError("no simulated handler could be set up: give --users-file or a scenario with mailboxes")
        }
    }
}

/// Why a load run could not start (exit status 2).
public struct LoadSetupError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A target given by host and port: any IMAP/POP3 server (Dovecot) and, for refresh, any token endpoint.
public struct ExternalTarget: Sendable {
    public var imap: String?
    public var pop3: String?
    public var starttls = false
    public var caFile: String?
    public var serverName: String?
    /// Lines `MAILBOX ACCESS_TOKEN` (xobench's `--users-file` format); handler i takes line i mod n.
    public var usersFile: String?
    public var tokenURL: String?
    public var clientID: String?
    public var clientSecret: String?
    public var scope: String?
    /// One refresh token a line; handler i takes line i mod n.
    public var refreshTokensFile: String?

    public init() {}

    /// Endpoints and handlers, `clients` of them.
    public func make(clients: Int, timeout: Double) throws(LoadSetupError) -> LoadTarget {
        let tls = try tlsContext()
        let imapEndpoint = try imap.map { text throws(LoadSetupError) in try endpoint(text, option: "--imap", tls: tls)
        }
        let popEndpoint = try pop3.map { text throws(LoadSetupError) in try endpoint(text, option: "--pop3", tls: tls) }
        var pairs: [(String, String)] = []
        if let usersFile {
            for line in try Self.lines(usersFile, option: "--users-file") {
                let words = line.split(separator: " ", omittingEmptySubsequences: true)
                guard words.count == 2 else {
                    throw LoadSetupError(
                        "\(usersFile): '\(line.prefix(40))' is not 'MAILBOX ACCESS_TOKEN'; write one mailbox and token a line"
                    )
                }
                pairs.append((String(words[0]), String(words[1])))
            }
        }
        var refreshTokens: [String] = []
        if let refreshTokensFile {
            guard tokenURL != nil, clientID != nil else {
                throw LoadSetupError("--refresh-tokens needs --token-url and --client-id (and --scope) to redeem them")
            }
            refreshTokens = try Self.lines(refreshTokensFile, option: "--refresh-tokens")
        }
        var http: HTTPTransport?
        if tokenURL != nil {
            do {
                http = try HTTPTransport(caFile: caFile, timeoutSeconds: timeout, connectionsPerHost: clients)
            } catch { throw LoadSetupError("--ca \(caFile ?? ""): cannot be used for HTTPS (\(error))") }
        }
        let count = max(pairs.count, refreshTokens.count) == 0 ? 0 : clients
        let handlers = (0..<count).map { i in
            let pair = pairs.isEmpty ? ("", "") : pairs[i % pairs.count]
            var handler = SimulatedHandler(mailbox: pair.0, accessToken: pair.1)
            if !refreshTokens.isEmpty, let tokenURL, let clientID {
                handler.refresh = RefreshGrant(
                    tokenURL: tokenURL, clientID: clientID, secret: clientSecret, scope: scope ?? "",
                    refreshToken: refreshTokens[i % refreshTokens.count])
            }
            return handler
        }
        let name = [imap.map { "imap \($0)" }, pop3.map { "pop3 \($0)" }, tokenURL.map { "token \($0)" }].compactMap {
            $0
        }
        return LoadTarget(
            name: name.joined(separator: ", "), imap: imapEndpoint, pop3: popEndpoint, http: http, handlers: handlers,
            notes: ["tokens from \(usersFile ?? refreshTokensFile ?? "nowhere")"])
    }

    func tlsContext() throws(LoadSetupError) -> NIOSSLContext? {
        guard let caFile else { return nil }
        do {
            return try MailEndpoint.tlsContext(trusting: caFile)
        } catch { throw LoadSetupError("--ca \(caFile): not a PEM certificate file a TLS client can trust (\(error))") }
    }

    func endpoint(_ text: String, option: String, tls: NIOSSLContext?) throws(LoadSetupError) -> MailEndpoint {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (1...65535).contains(port)
        else {
            throw LoadSetupError("\(option) \(text): write HOST:PORT, e.g. \(option) 127.0.0.1:993")
        }
        let host = String(text[..<colon])
        guard let tls else {
            throw LoadSetupError("\(option) needs --ca FILE: the CA the server's certificate chains to")
        }
        return MailEndpoint(
            host: host, port: port, security: starttls ? .starttls : .implicit, serverName: serverName ?? host, tls: tls
        )
    }

    static func lines(_ file: String, option: String) throws(LoadSetupError) -> [String] {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw LoadSetupError("\(option) \(file): cannot be read; check the path")
        }
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard !lines.isEmpty else { throw LoadSetupError("\(option) \(file): has no line; write one a line") }
        return lines
    }
}
