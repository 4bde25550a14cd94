import Foundation
import MicrosoftClouds
import ScenarioModel
import Yams

/// Maps the `flow:` list: steps, their actions and expectations, with each step's position kept so
/// the flow runner can point at it.
extension ScenarioMapper {
    static func location(_ mark: Mark?) -> SourceLocation? {
        mark.map { SourceLocation(line: $0.line, column: $0.column) }
    }

    static func step(_ node: Node, _ path: String, _ r: inout NodeReader) -> FlowStep? {
        guard let f = r.mapping(node, path, keys: Keys.step, what: "flow step") else { return nil }
        var name = ""
        var expect: Expectation?
        var o = OptionalFields()
        o.read(f["name"], into: &name) { r.string($0, f.path("name")) }
        o.readOptional(f["expect"], into: &expect) { expectation($0, f.path("expect"), &r) }
        let present = Keys.stepActions.filter { f[$0] != nil }
        guard present.count == 1, let key = present.first, let actionNode = f[key] else {
            if present.isEmpty {
                r.report(
                    path, at: f.mark, "a flow step needs an action",
                    "Add exactly one of: \(Keys.stepActions.joined(separator: ", "))."
                )
            } else {
                r.report(
                    path, at: f.mark, "a flow step has \(present.count) actions (\(present.joined(separator: ", ")))",
                    "Split it into one step per action."
                )
            }
            return nil
        }
        let actionPath = f.path(key)
        let action: FlowStep.Action?
        switch key {
        case "token": action = token(actionNode, actionPath, &r).map { .token($0) }
        case "advance": action = r.duration(actionNode, actionPath).map { .advanceClock(seconds: $0) }
        case "imap": action = mail(actionNode, actionPath, &r).map { .imap($0) }
        case "pop3": action = mail(actionNode, actionPath, &r).map { .pop3($0) }
        case "smtp": action = smtp(actionNode, actionPath, &r).map { .smtp($0) }
        case "change": action = change(actionNode, actionPath, &r).map { .change($0) }
        case "deliver": action = deliver(actionNode, actionPath, &r).map { .deliver($0) }
        case "wait": action = r.duration(actionNode, actionPath).map { .wait(seconds: $0) }
        case "repeat": action = repeatBlock(actionNode, actionPath, &r).map { .repeatSteps($0) }
        default: action = r.string(actionNode, actionPath).map { .revokeSessions(user: $0) }
        }
        guard o.ok, let action else { return nil }
        return FlowStep(name: name, action: action, expect: expect, location: location(f.mark))
    }

    static func expectation(_ node: Node, _ path: String, _ r: inout NodeReader) -> Expectation? {
        guard let f = r.mapping(node, path, keys: Keys.expect, what: "expectation") else { return nil }
        var e = Expectation()
        var o = OptionalFields()
        o.readOptional(f["success"], into: &e.success) { r.bool($0, f.path("success")) }
        o.readOptional(f["error"], into: &e.error) { r.string($0, f.path("error")) }
        o.readOptional(f["error_code"], into: &e.errorCode) { r.int($0, f.path("error_code"), minimum: 1) }
        o.readOptional(f["status"], into: &e.status) { r.int($0, f.path("status"), minimum: 100, maximum: 599) }
        o.readOptional(f["line"], into: &e.line) { r.string($0, f.path("line")) }
        o.readOptional(f["pattern"], into: &e.pattern) { pattern($0, f.path("pattern"), &r) }
        o.readOptional(f["timeout"], into: &e.timeout) { r.bool($0, f.path("timeout")) }
        o.readOptional(f["closed"], into: &e.closed) { r.bool($0, f.path("closed")) }
        return o.ok ? e : nil
    }

    /// A regular expression, checked to compile.
    static func pattern(_ node: Node, _ path: String, _ r: inout NodeReader) -> String? {
        guard let text = r.string(node, path) else { return nil }
        do {
            _ = try NSRegularExpression(pattern: text)
        } catch {
            r.report(
                path, at: node.mark, "'\(NodeReader.clip(text))' is not a regular expression",
                "Escape special characters with a backslash (`\\[`, `\\(`, `\\.`), or use `line:` for an exact line."
            )
            return nil
        }
        return text
    }

    static func token(_ node: Node, _ path: String, _ r: inout NodeReader) -> TokenStep? {
        guard let f = r.mapping(node, path, keys: Keys.token, what: "token step") else { return nil }
        let tenant = r.required(f, "tenant").flatMap { r.string($0, f.path("tenant")) }
        let app = r.required(f, "app").flatMap { r.string($0, f.path("app")) }
        let grant = r.required(f, "grant").flatMap {
            r.choice($0, f.path("grant"), TokenStep.Grant.self, what: "grant")
        }
        var step = TokenStep(tenant: tenant ?? "", app: app ?? "", grant: grant ?? .clientCredentials)
        var o = OptionalFields()
        o.readOptional(f["cloud"], into: &step.cloud) { r.choice($0, f.path("cloud"), CloudName.self, what: "cloud") }
        o.readOptional(f["user"], into: &step.user) { r.string($0, f.path("user")) }
        o.read(f["scopes"], into: &step.scopes) {
            r.strings(
                $0, f.path("scopes"), example: "`[https://outlook.office365.us/IMAP.AccessAsUser.All, offline_access]`")
        }
        o.readOptional(f["save_as"], into: &step.saveAs) { r.string($0, f.path("save_as")) }
        o.readOptional(f["from"], into: &step.from) { r.string($0, f.path("from")) }
        o.readOptional(f["secret"], into: &step.secret) { r.string($0, f.path("secret")) }
        o.readOptional(f["password"], into: &step.password) { r.string($0, f.path("password")) }
        o.readOptional(f["prompt"], into: &step.prompt) { r.string($0, f.path("prompt")) }
        o.readOptional(f["login_hint"], into: &step.loginHint) { r.string($0, f.path("login_hint")) }
        o.readOptional(f["domain_hint"], into: &step.domainHint) { r.string($0, f.path("domain_hint")) }
        o.read(f["pkce"], into: &step.pkce) { r.bool($0, f.path("pkce")) }
        o.read(f["consent"], into: &step.consent) { r.bool($0, f.path("consent")) }
        guard o.ok, tenant != nil, app != nil, grant != nil else { return nil }
        return step
    }

    /// An `smtp` step: a mail session (STARTTLS unless `tls:` says otherwise) and an optional message,
    /// given by `to` with `subject` and `body` (`from` defaults to the mailbox).
    static func smtp(_ node: Node, _ path: String, _ r: inout NodeReader) -> SMTPStep? {
        guard let f = r.mapping(node, path, keys: Keys.smtp, what: "smtp step"),
            let session = mailFields(f, path, &r, defaultTLS: .starttls)
        else { return nil }
        var step = SMTPStep(session: session)
        let messageKeys = ["from", "to", "subject", "body"].filter { f[$0] != nil }
        guard !messageKeys.isEmpty else { return step }
        var message = OutgoingMessage(to: [], subject: "", body: "")
        var o = OptionalFields()
        let to = r.required(f, "to").flatMap {
            r.strings($0, f.path("to"), example: "`[customer@fabrikam.com]`")
        }
        o.readOptional(f["from"], into: &message.from) { r.string($0, f.path("from")) }
        o.read(f["subject"], into: &message.subject) { r.string($0, f.path("subject")) }
        o.read(f["body"], into: &message.body) { r.string($0, f.path("body")) }
        guard o.ok, let to else { return nil }
        message.to = to
        step.message = message
        return step
    }

    static func mail(_ node: Node, _ path: String, _ r: inout NodeReader) -> MailStep? {
        guard let f = r.mapping(node, path, keys: Keys.mail, what: "mail step") else { return nil }
        return mailFields(f, path, &r, defaultTLS: .implicit)
    }

    static func mailFields(
        _ f: Fields, _ path: String, _ r: inout NodeReader, defaultTLS: MailStep.TLS
    ) -> MailStep? {
        let mailbox = r.required(f, "mailbox").flatMap { r.string($0, f.path("mailbox")) }
        var step = MailStep(mailbox: mailbox ?? "", tls: defaultTLS)
        var o = OptionalFields()
        o.readOptional(f["token"], into: &step.token) { r.string($0, f.path("token")) }
        o.readOptional(f["cloud"], into: &step.cloud) { r.choice($0, f.path("cloud"), CloudName.self, what: "cloud") }
        o.readOptional(f["host"], into: &step.host) { r.string($0, f.path("host")) }
        o.read(f["tls"], into: &step.tls) { r.choice($0, f.path("tls"), MailStep.TLS.self, what: "TLS mode") }
        o.read(f["auth"], into: &step.auth) { r.choice($0, f.path("auth"), MailStep.Auth.self, what: "authentication") }
        o.read(f["refresh"], into: &step.refresh) { r.bool($0, f.path("refresh")) }
        o.readOptional(f["read_timeout"], into: &step.readTimeout) { r.duration($0, f.path("read_timeout")) }
        o.read(f["keep_open"], into: &step.keepOpen) { r.bool($0, f.path("keep_open")) }
        o.read(f["commands"], into: &step.commands) {
            list($0, f.path("commands"), example: "`[SELECT INBOX]`", &r, command)
        }
        guard o.ok, mailbox != nil else { return nil }
        if step.auth == .xoauth2, step.token == nil {
            r.report(
                f.path("token"), at: f.mark, "missing required key 'token' in mail step",
                "Add `token:` naming an earlier step's `save_as`, or write `auth: none` to log in with commands."
            )
            return nil
        }
        return step
    }

    /// A command: a plain string, or `{send: 'FETCH 1 BODY[]', expect: {...}}`.
    static func command(_ node: Node, _ path: String, _ r: inout NodeReader) -> MailCommand? {
        if case .scalar = node {
            return r.string(node, path).map { MailCommand($0, location: location(node.mark)) }
        }
        guard let f = r.mapping(node, path, keys: Keys.command, what: "command") else { return nil }
        let text = r.required(f, "send").flatMap { r.string($0, f.path("send")) }
        var expect: CommandExpectation?
        var data: String?
        var o = OptionalFields()
        o.readOptional(f["expect"], into: &expect) { commandExpectation($0, f.path("expect"), &r) }
        o.readOptional(f["data"], into: &data) { r.string($0, f.path("data")) }
        guard o.ok, let text else { return nil }
        return MailCommand(text, expect: expect, location: location(f.mark), data: data)
    }

    static func commandExpectation(_ node: Node, _ path: String, _ r: inout NodeReader) -> CommandExpectation? {
        guard let f = r.mapping(node, path, keys: Keys.commandExpect, what: "command expectation") else { return nil }
        var e = CommandExpectation()
        var o = OptionalFields()
        o.readOptional(f["status"], into: &e.status) { statusWord($0, f.path("status"), &r) }
        o.readOptional(f["line"], into: &e.line) { r.string($0, f.path("line")) }
        o.readOptional(f["pattern"], into: &e.pattern) { pattern($0, f.path("pattern"), &r) }
        o.readOptional(f["exists"], into: &e.exists) { r.int($0, f.path("exists")) }
        o.readOptional(f["bytes"], into: &e.bytes) { r.int($0, f.path("bytes")) }
        o.readOptional(f["closed"], into: &e.closed) { r.bool($0, f.path("closed")) }
        return o.ok ? e : nil
    }

    /// The status words a command can end with.
    static let statusWords = ["OK", "NO", "BAD", "+OK", "-ERR"]

    static func statusWord(_ node: Node, _ path: String, _ r: inout NodeReader) -> String? {
        guard let text = r.string(node, path) else { return nil }
        if let code = Int(text), (200...599).contains(code), text.utf8.count == 3 { return text }
        guard let word = statusWords.first(where: { $0.caseInsensitiveCompare(text) == .orderedSame }) else {
            r.report(
                path, at: node.mark, "unknown status '\(NodeReader.clip(text))'",
                "Use OK, NO or BAD for IMAP, +OK or -ERR for POP3 (quote +OK and -ERR), a reply code such as 250 or 535 for SMTP."
            )
            return nil
        }
        return word
    }

    static func change(_ node: Node, _ path: String, _ r: inout NodeReader) -> Change? {
        guard let f = r.mapping(node, path, keys: Keys.change, what: "change") else { return nil }
        guard
            let kind = r.required(f, "kind").flatMap({ r.choice($0, f.path("kind"), Change.Kind.self, what: "change") })
        else { return nil }
        var change = Change(kind: kind)
        var o = OptionalFields()
        o.readOptional(f["user"], into: &change.user) { r.string($0, f.path("user")) }
        o.readOptional(f["mailbox"], into: &change.mailbox) { r.string($0, f.path("mailbox")) }
        o.readOptional(f["app"], into: &change.app) { r.string($0, f.path("app")) }
        o.readOptional(f["password"], into: &change.password) { r.string($0, f.path("password")) }
        o.readOptional(f["secret"], into: &change.secret) { r.string($0, f.path("secret")) }
        o.readOptional(f["by"], into: &change.by) {
            r.choice($0, f.path("by"), PasswordChangeSurface.self, what: "password reset surface")
        }
        guard o.ok else { return nil }
        var ok = true
        if let by = change.by, let node = f["by"], kind != .resetPassword || by == .user {
            let fix =
                by == .user && kind == .resetPassword
                ? "Use `kind: change_password` for a user changing their own password."
                : "Remove `by`; only `reset_password` takes it."
            r.report(
                f.path("by"), at: node.mark, "`by: \(by.rawValue)` does not apply to a `\(kind.rawValue)` change", fix)
            ok = false
        }
        for key in change.requiredKeys where f[key] == nil {
            r.report(
                f.path(key), at: f.mark, "a `\(kind.rawValue)` change needs `\(key)`",
                "Add `\(key):` to this change."
            )
            ok = false
        }
        if kind == .removeFullAccess, f["user"] == nil, f["app"] == nil {
            r.report(
                path, at: f.mark, "a `remove_full_access` change needs `user` or `app`",
                "Add `user:` (a UPN) or `app:` (a client id) whose FullAccess to the mailbox goes."
            )
            ok = false
        }
        return ok ? change : nil
    }

    static func deliver(_ node: Node, _ path: String, _ r: inout NodeReader) -> Delivery? {
        guard let f = r.mapping(node, path, keys: Keys.deliver, what: "delivery") else { return nil }
        let mailbox = r.required(f, "mailbox").flatMap { r.string($0, f.path("mailbox")) }
        var folder = "Inbox"
        var o = OptionalFields()
        o.read(f["folder"], into: &folder) { r.string($0, f.path("folder")) }
        let source = messageSource(f, path, &r)
        guard o.ok, let mailbox, let source else { return nil }
        return Delivery(mailbox: mailbox, folder: folder, message: source)
    }

    static func repeatBlock(_ node: Node, _ path: String, _ r: inout NodeReader) -> Repeat? {
        guard let f = r.mapping(node, path, keys: Keys.repeatBlock, what: "repeat block") else { return nil }
        let steps = r.required(f, "steps").flatMap { list($0, f.path("steps"), example: "`- imap: {...}`", &r, step) }
        var block = Repeat(steps: steps ?? [])
        var o = OptionalFields()
        o.readOptional(f["times"], into: &block.times) { r.int($0, f.path("times"), minimum: 1, maximum: 10_000_000) }
        o.readOptional(f["every"], into: &block.every) { r.duration($0, f.path("every")) }
        o.readOptional(f["for"], into: &block.duration) { r.duration($0, f.path("for")) }
        guard o.ok, steps != nil else { return nil }
        switch (block.times, block.every, block.duration) {
        case (.some, nil, nil), (nil, .some, .some): return block
        default:
            r.report(
                path, at: f.mark, "a repeat block needs `times`, or `every` with `for`",
                "Write `times: 3`, or `every: 15m` and `for: 90d` (rounds on the virtual clock)."
            )
            return nil
        }
    }
}
