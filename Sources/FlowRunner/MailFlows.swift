import Determinism
import ExomockLimits
import Foundation
import MailClient
import MicrosoftClouds
import ScenarioModel

/// The mail protocols a flow step speaks.
enum MailService: String {
    case imap, pop3, smtp

    /// Connects the protocol's client and reads its greeting (SMTP: and the first `EHLO`).
    func connect(to endpoint: MailEndpoint, timeout: Double) async throws -> (any MailProtocolClient, CommandOutcome) {
        switch self {
        case .imap: try await IMAPClient.connect(to: endpoint, timeout: timeout, recording: true)
        case .pop3: try await POP3Client.connect(to: endpoint, timeout: timeout, recording: true)
        case .smtp: try await SMTPClient.connect(to: endpoint, timeout: timeout, recording: true)
        }
    }
}

/// IMAP, POP3 and SMTP sessions as a mail handler runs them: connect, TLS, XOAUTH2, the step's commands
/// (each checked against its own `expect`), goodbye.
extension RunContext {
    func runMail(_ m: MailStep, service: MailService, commands: [MailCommand], stepName: String) async throws
        -> Observation
    {
        let cloud = m.cloud ?? homeCloud(ofAddress: m.mailbox) ?? scenario.clouds[0]
        let endpoints = try cloudEndpoints(cloud)
        guard
            let listener = endpoints.listeners.first(where: {
                $0.service == service.rawValue && $0.tls == m.tls.rawValue
            })
        else {
            throw RunError.setup(
                "cloud '\(cloud.rawValue)' has no \(service.rawValue) listener with \(m.tls.rawValue) TLS")
        }
        var token: String?
        if m.auth == .xoauth2, let name = m.token {
            if m.refresh, let saved = saved[name], let expires = saved.expires, expires <= now {
                add(.note, "the access token '\(name)' expired at \(Timestamps.rfc3339(expires)): refreshing it first")
                var refresh = saved.origin
                refresh.grant = .refreshToken
                refresh.from = name
                refresh.saveAs = name
                let refreshed = try await runToken(refresh)
                try await readJournal()
                if !refreshed.success { return refreshed }
            }
            token = saved[name]?.accessToken
        }
        let host = m.host ?? (service == .smtp ? Cloud.named(cloud).smtpHost : endpoints.outlookHost)
        let endpoint = MailEndpoint(
            host: listener.host, port: listener.port, security: m.tls == .implicit ? .implicit : .starttls,
            serverName: host, tls: mailTLS)
        let timeout = m.readTimeout ?? Limits.clientDefaultTimeoutSeconds
        add(.note, "connect \(service.rawValue) \(host) (\(m.tls == .implicit ? "TLS" : "STARTTLS"))")
        let session: any MailProtocolClient
        let greeting: CommandOutcome
        do {
            (session, greeting) = try await service.connect(to: endpoint, timeout: timeout)
        } catch {
            add(.note, "connection failed: \(error)")
            return Observation(success: false, closed: true, summary: "the connection failed (\(error))")
        }
        var observation = try await converse(
            session, greeting: greeting, m, commands: commands, token: token, stepName: stepName,
            service: service.rawValue)
        flushWire(session)
        observation.lines = session.wire.filter { $0.direction == .server }.map(\.text)
        return observation
    }

    func converse(
        _ session: any MailProtocolClient, greeting: CommandOutcome, _ m: MailStep, commands: [MailCommand],
        token: String?,
        stepName: String, service: String
    ) async throws -> Observation {
        var observation = Observation(success: true, summary: "")
        func ended(_ outcome: CommandOutcome, doing: String) -> Observation? {
            switch outcome.ending {
            case .completed: return nil
            case .closed:
                return Observation(success: false, closed: true, summary: "the server closed the connection \(doing)")
            case .timedOut(let s):
                return Observation(
                    success: false, timedOut: true,
                    summary: "no answer within \(DurationText.format(seconds: s)) \(doing)")
            case .failed(let why):
                return Observation(success: false, closed: true, summary: "the connection failed \(doing): \(why)")
            }
        }
        if let stop = ended(greeting, doing: "before its greeting") { return await finish(session, stop) }
        if m.tls == .starttls {
            let outcome = try await session.startTLS()
            if let stop = ended(outcome, doing: "at STARTTLS") { return await finish(session, stop) }
            guard outcome.succeeded else {
                return await finish(
                    session, Observation(success: false, summary: "STARTTLS refused: \(outcome.lines.last ?? "")"))
            }
        }
        if m.auth == .xoauth2 {
            let shownToken = reveal ? (token ?? "") : "<access token '\(m.token ?? "")'>"
            let outcome = try await session.authenticateXOAUTH2(
                user: m.mailbox, token: token ?? "", display: "user=\(m.mailbox) auth=Bearer \(shownToken)")
            if let stop = ended(outcome, doing: "at authentication") { return await finish(session, stop) }
            try await readJournalQuietly(session)
            guard outcome.succeeded else {
                return await finish(
                    session, Observation(success: false, summary: "authentication refused: \(outcome.lines.last ?? "")")
                )
            }
        }
        for command in commands {
            var outcome = try await session.command(command.text, display: nil)
            if let data = command.data, outcome.ending == .completed, outcome.status == "354",
                let smtp = session as? SMTPClient
            {
                let verdict = try await smtp.sendMessageData(data)
                outcome.lines += verdict.lines
                outcome.status = verdict.status
                outcome.ending = verdict.ending
            }
            if command.expect?.closed == true, outcome.ending == .completed {
                await session.readUntilClosed(&outcome)
            }
            if let expect = command.expect {
                if let problem = CommandCheck.unmet(expect, outcome) {
                    try await readJournalQuietly(session)
                    await session.close()
                    throw StepFailure(
                        line: command.location?.line ?? 0, step: stepName,
                        expected: "command '\(command.text)' \(problem.expected)", got: problem.got,
                        context: recentLines)
                }
                if var stop = ended(outcome, doing: "at '\(command.text)'") {
                    stop.success = true
                    stop.summary += ", as the command expected"
                    return await finish(session, stop)
                }
                continue
            }
            if let stop = ended(outcome, doing: "at '\(command.text)'") { return await finish(session, stop) }
            if !outcome.succeeded {
                observation = Observation(
                    success: false, summary: "'\(command.text)' answered: \(outcome.lines.last ?? "")")
                break
            }
        }
        if observation.success, m.keepOpen {
            observation.summary = "\(service) session left open (keep_open)"
            heldSessions.append(session)
            return observation
        }
        if observation.success { observation.summary = "\(service) session completed" }
        return await finish(session, observation)
    }

    /// Says goodbye (LOGOUT or QUIT) unless the connection already ended, and closes.
    func finish(_ session: any MailProtocolClient, _ observation: Observation) async -> Observation {
        if !observation.closed && !observation.timedOut { await session.goodbye() }
        await session.close()
        return observation
    }

    /// Moves the session's new wire lines into the transcript.
    func flushWire(_ session: any MailProtocolClient) {
        for line in session.takeNewWire() {
            add(
                line.direction == .client ? .client : .server,
                line.text + (line.dataBytes > 0 ? "  (+\(line.dataBytes) bytes)" : ""))
        }
    }

    /// The journal entries so far, after the protocol lines that caused them.
    func readJournalQuietly(_ session: any MailProtocolClient) async throws {
        flushWire(session)
        try await readJournal()
    }
}

/// One command's own expectation.
enum CommandCheck {
    static func unmet(_ e: CommandExpectation, _ o: CommandOutcome) -> (expected: String, got: String)? {
        let closed = o.ending == .closed
        if let wantClosed = e.closed, wantClosed != closed {
            return wantClosed
                ? ("to end with the server closing the connection", "\(describe(o))")
                : ("to keep the connection open", "the server closed it")
        }
        if let status = e.status {
            if o.status?.uppercased() != status.uppercased() {
                return ("to answer \(status)", describe(o))
            }
        }
        if let line = e.line, !o.lines.contains(where: { LineMatch.same($0, line) }) {
            return ("to answer the line '\(line)'", describe(o))
        }
        if let pattern = e.pattern, !o.lines.contains(where: { LineMatch.matches($0, pattern) }) {
            return ("to answer a line matching /\(pattern)/", describe(o))
        }
        if let exists = e.exists {
            let seen = o.lines.compactMap { line -> Int? in
                let words = line.split(separator: " ")
                return words.count == 3 && words[0] == "*" && words[2].uppercased() == "EXISTS" ? Int(words[1]) : nil
            }.last
            if seen != exists { return ("to report \(exists) EXISTS", seen.map { "\($0) EXISTS" } ?? "no EXISTS line") }
        }
        if let bytes = e.bytes, bytes != o.dataBytes {
            return ("to carry \(bytes) bytes of message data", "\(o.dataBytes) bytes")
        }
        return nil
    }

    static func describe(_ o: CommandOutcome) -> String {
        switch o.ending {
        case .completed: return "'\(o.lines.last ?? "")'"
        case .closed: return "the server closed the connection" + (o.lines.last.map { " after '\($0)'" } ?? "")
        case .timedOut(let s): return "no answer within \(DurationText.format(seconds: s))"
        case .failed(let why): return "a failed connection (\(why))"
        }
    }
}

/// How an expected line is compared: exactly, or with the IMAP tag written as `TAG`.
enum LineMatch {
    static func same(_ actual: String, _ expected: String) -> Bool {
        if actual == expected { return true }
        guard expected.hasPrefix("TAG "), let space = actual.firstIndex(of: " ") else { return false }
        return "TAG" + actual[space...] == expected
    }

    static func matches(_ actual: String, _ pattern: String) -> Bool {
        actual.range(of: pattern, options: .regularExpression) != nil
    }
}
