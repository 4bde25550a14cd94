import Determinism
import Foundation
import MailStore
import MicrosoftClouds
import ScenarioModel

/// Plays steps in order; the first unmet expectation throws a `StepFailure`.
extension RunContext {
    func runSteps(_ steps: [FlowStep], prefix: String) async throws {
        for (i, step) in steps.enumerated() {
            try await runStep(step, label: prefix.isEmpty ? "\(i + 1)" : "\(prefix).\(i + 1)")
        }
    }

    func runStep(_ step: FlowStep, label: String) async throws {
        stepLabel = label
        recentLines = []
        let name = step.name.isEmpty ? step.actionKey : step.name
        add(.step, step.name.isEmpty ? step.actionKey : "\(step.name) (\(step.actionKey))")
        let observation: Observation?
        switch step.action {
        case .token(let t):
            observation = try await runToken(t)
        case .imap(let m):
            observation = try await runMail(m, service: .imap, commands: m.commands, stepName: name)
        case .pop3(let m):
            observation = try await runMail(m, service: .pop3, commands: m.commands, stepName: name)
        case .smtp(let s):
            observation = try await runMail(
                s.session, service: .smtp, commands: s.commands(text: renderMessage(s)), stepName: name)
        case .advanceClock(let seconds):
            try await advance(seconds: seconds, reason: "")
            observation = nil
        case .wait(let seconds):
            add(.note, "waiting \(DurationText.format(seconds: seconds)) of real time")
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            observation = nil
        case .revokeSessions(let upn):
            let cloud = homeCloud(ofAddress: upn) ?? scenario.clouds[0]
            observation = try await admin(
                "/\(cloud.rawValue)/revoke-sessions", json: ["user": upn], what: "revoke sessions of \(upn)")
        case .change(let change):
            var body = ["kind": change.kind.rawValue]
            for (key, value) in [
                ("user", change.user), ("mailbox", change.mailbox), ("app", change.app),
                ("password", change.password), ("secret", change.secret), ("by", change.by?.rawValue),
            ] {
                if let value { body[key] = value }
            }
            var shownBody = body
            if shownBody["password"] != nil { shownBody["password"] = mask(body["password"]!) }
            if shownBody["secret"] != nil { shownBody["secret"] = mask(body["secret"]!) }
            observation = try await admin("/changes", json: body, shown: shownBody, what: change.kind.rawValue)
        case .deliver(let delivery):
            observation = try await deliver(delivery)
        case .repeatSteps(let block):
            try await runRepeat(block, label: label)
            observation = nil
        }
        try await readJournal()
        stepLabel = label
        guard let observation else { return }
        if let problem = StepCheck.unmet(step.expect, observation) {
            add(.verdict, "FAILED: expected \(problem.expected), got \(problem.got)")
            throw StepFailure(
                line: step.location?.line ?? 0, step: name, expected: problem.expected, got: problem.got,
                context: recentLines)
        }
        add(.verdict, "ok: \(observation.summary)")
    }

    /// A POST to the admin API, shown in the transcript.
    func admin(_ path: String, json: [String: String], shown: [String: String]? = nil, what: String) async throws
        -> Observation
    {
        let text = (shown ?? json).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        add(.request, "admin POST \(path) \(text)")
        let answer = try await admin(.POST, path, json: json)
        let error = answer.json?["error"] as? String
        add(.response, "\(answer.status)" + (error.map { " error=\"\($0)\"" } ?? ""))
        let ok = (200..<300).contains(answer.status)
        return Observation(
            success: ok, httpStatus: answer.status, error: error, lines: [answer.body],
            summary: ok ? "\(what) done" : "\(what) refused: HTTP \(answer.status) \(error ?? "")")
    }

    /// Puts a message into a mailbox folder through the admin API.
    func deliver(_ d: Delivery) async throws -> Observation {
        let messages: [[UInt8]]
        switch d.message {
        case .file(let path, _):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw RunError.setup("the message file \(path) cannot be read")
            }
            messages = [Array(data)]
        case .generated(let count, let size, let seed):
            messages = GeneratedMail.messages(count: count, size: size, seed: seed, recipient: d.mailbox, end: now)
        }
        let folder = FormEncoding.escape(d.folder)
        var last = Observation(success: true, summary: "")
        for bytes in messages {
            let path =
                "/mailboxes/\(FormEncoding.escape(d.mailbox).replacingOccurrences(of: "%40", with: "@"))/messages?folder=\(folder)"
            add(.request, "admin POST \(path) (\(bytes.count) bytes)")
            let answer = try await admin(.POST, path, body: bytes, contentType: "message/rfc822")
            let uid = answer.json?["uid"].map { "\($0)" }
            add(
                .response,
                "\(answer.status)" + (uid.map { " uid=\($0)" } ?? "")
                    + ((answer.json?["error"] as? String).map { " error=\"\($0)\"" } ?? ""))
            guard (200..<300).contains(answer.status) else {
                return Observation(
                    success: false, httpStatus: answer.status, summary: "delivery refused: HTTP \(answer.status)")
            }
            last = Observation(
                success: true, httpStatus: answer.status,
                summary: "\(messages.count) message(s) delivered to \(d.mailbox)/\(d.folder)")
        }
        return last
    }

    /// A `repeat` block: the first and the last round in full, the rounds between them quietly (a
    /// failure in a quiet round still ends the run with its located message).
    func runRepeat(_ block: Repeat, label: String) async throws {
        let rounds = block.rounds
        add(
            .note,
            "repeat: \(rounds) round(s)"
                + (block.every.map { ", one every \(DurationText.format(seconds: $0)) of virtual time" } ?? ""))
        defer { transcript.recording = true }
        for round in 1...max(rounds, 1) where rounds > 0 {
            let loud = round == 1 || round == rounds
            if round == 2, rounds > 2 { add(.note, "rounds 2 to \(rounds - 1) run without a transcript") }
            transcript.recording = loud
            // Quiet rounds keep the journal cursor close, so no catch-up answer grows large.
            if !loud, round % 50 == 0 || round == rounds - 1 { try await readJournal(show: false) }
            if loud { add(.note, "round \(round) of \(rounds)") }
            try await runSteps(block.steps, prefix: label)
            if let every = block.every { try await advance(seconds: every, reason: "(next round)") }
        }
        transcript.recording = true
        stepLabel = label
        add(.note, "repeat: \(rounds) round(s) passed")
    }
}

/// A step's expectation against what it saw. No `expect` means the step must succeed.
enum StepCheck {
    static func unmet(_ expect: Expectation?, _ o: Observation) -> (expected: String, got: String)? {
        let e = expect ?? Expectation()
        let wantSuccess = e.success ?? !e.expectsFailure
        if wantSuccess != o.success {
            return (wantSuccess ? "success" : "a failure", o.summary)
        }
        if let error = e.error, o.error != error {
            return ("error \(error)", o.error.map { "error \($0) (\(o.summary))" } ?? o.summary)
        }
        if let code = e.errorCode, !o.errorCodes.contains(code) {
            return (
                "AADSTS\(code)",
                o.errorCodes.isEmpty ? o.summary : o.errorCodes.map { "AADSTS\($0)" }.joined(separator: ", ")
            )
        }
        if let status = e.status, o.httpStatus != status {
            return ("HTTP \(status)", o.httpStatus.map { "HTTP \($0)" } ?? o.summary)
        }
        if let line = e.line, !o.lines.contains(where: { LineMatch.same($0, line) }) {
            return ("the line '\(line)'", o.summary)
        }
        if let pattern = e.pattern, !o.lines.contains(where: { LineMatch.matches($0, pattern) }) {
            return ("a line matching /\(pattern)/", o.summary)
        }
        if let timeout = e.timeout, timeout != o.timedOut {
            return (timeout ? "a read timeout" : "no timeout", o.summary)
        }
        if let closed = e.closed, closed != o.closed {
            return (closed ? "the connection to be closed" : "the connection to stay open", o.summary)
        }
        return nil
    }
}
