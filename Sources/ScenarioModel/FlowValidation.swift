import MicrosoftClouds

extension Scenario {
    /// The rules a flow breaks: references to apps, users, mailboxes and saved tokens, in step order
    /// (a `repeat` block's steps are checked once, in place).
    func flowProblems(_ steps: [FlowStep], path: String, saved: inout Set<String>, into found: inout [ScenarioProblem])
    {
        func add(_ path: String, _ message: String, _ fix: String) {
            found.append(ScenarioProblem(path: path, message: message, fix: fix))
        }
        func userDeclared(_ upn: String) -> Bool { user(upn) != nil }
        func mailboxExists(_ address: String) -> Bool { mailbox(address: address) != nil }
        for (i, step) in steps.enumerated() {
            let here = "\(path)[\(i)]"
            let expectsFailure = step.expect?.expectsFailure ?? false
            switch step.action {
            case .token(let t):
                let owner = app(clientID: t.app)
                if owner == nil {
                    add(
                        "\(here).token.app", "no app has client id '\(t.app)'",
                        "Use the `client_id` of an app under `apps`.")
                }
                if let cloud = t.cloud, !clouds.contains(cloud) {
                    add("\(here).token.cloud", "cloud '\(cloud.rawValue)' is not in `clouds`", "Add it to `clouds`.")
                }
                if let owner, let cloud = t.cloud, !expectsFailure, let home = tenantCloud(owner.tenant), home != cloud
                {
                    add(
                        "\(here).token.cloud",
                        "app '\(owner.name)' is registered in cloud '\(home.rawValue)', not '\(cloud.rawValue)'",
                        "Ask the app's own cloud, or add `expect: {success: false}` if this step reproduces the wrong-cloud mistake."
                    )
                }
                if let upn = t.user, !userDeclared(upn) {
                    add("\(here).token.user", "user '\(upn)' is not declared", "Use a UPN from `users`.")
                }
                if [.authorizationCode, .password, .deviceCode].contains(t.grant), t.user == nil {
                    add(
                        "\(here).token.user", "grant '\(t.grant.rawValue)' signs a user in, but no `user` is given",
                        "Add `user:` with a UPN from `users`."
                    )
                }
                if t.grant == .refreshToken {
                    if let from = t.from {
                        if !saved.contains(from) {
                            add(
                                "\(here).token.from", "no earlier step saved tokens as '\(from)'",
                                "Add `save_as: \(from)` to an earlier token step.")
                        }
                    } else {
                        add(
                            "\(here).token.from", "a refresh_token step needs the tokens to refresh",
                            "Add `from:` naming an earlier step's `save_as`.")
                    }
                }
                if let name = t.saveAs { saved.insert(name) }
            case .imap, .pop3, .smtp:
                guard let m = step.mailSession else { break }
                let kind = step.actionKey
                if case .smtp(let smtp) = step.action {
                    if m.tls == .implicit {
                        add(
                            "\(here).smtp.tls",
                            "Exchange Online's SMTP submission is STARTTLS on port 587, not implicit TLS",
                            "Remove `tls:` (STARTTLS is the default for smtp steps)."
                        )
                    }
                    if let message = smtp.message, message.to.isEmpty {
                        add(
                            "\(here).smtp.to", "a message needs at least one recipient",
                            "Add `to: [customer@fabrikam.com]`.")
                    }
                }
                if !mailboxExists(m.mailbox), !expectsFailure {
                    add(
                        "\(here).\(kind).mailbox", "mailbox '\(m.mailbox)' does not exist",
                        "Declare it, or add `expect: {success: false}` to reproduce a missing mailbox."
                    )
                }
                if let token = m.token, !saved.contains(token) {
                    add(
                        "\(here).\(kind).token", "no earlier step saved tokens as '\(token)'",
                        "Add `save_as: \(token)` to an earlier token step.")
                }
                if let cloud = m.cloud, !clouds.contains(cloud) {
                    add("\(here).\(kind).cloud", "cloud '\(cloud.rawValue)' is not in `clouds`", "Add it to `clouds`.")
                }
                if let host = m.host, let cloud = m.cloud ?? tenant(forAddress: m.mailbox)?.cloud ?? clouds.first {
                    let known = Cloud.named(cloud).outlookHosts + [Cloud.named(cloud).smtpHost]
                    if !known.contains(host.lowercased()) {
                        add(
                            "\(here).\(kind).host", "'\(host)' is not a host of cloud '\(cloud.rawValue)'",
                            "Use one of: \(known.joined(separator: ", ")) (docs/clouds.md)."
                        )
                    }
                }
                if let seconds = m.readTimeout, seconds <= 0 {
                    add(
                        "\(here).\(kind).read_timeout", "the read timeout must be longer than zero",
                        "Write a duration such as 10s.")
                }
            case .advanceClock(let seconds):
                if seconds <= 0 {
                    add("\(here).advance", "the clock only moves forward", "Write a positive duration such as 91d.")
                }
            case .wait(let seconds):
                if seconds <= 0 || seconds > 600 {
                    add(
                        "\(here).wait", "a wait must be longer than zero and at most 10 minutes of real time",
                        "Write a duration such as 2s; use `advance` for virtual time.")
                }
            case .revokeSessions(let upn):
                if !userDeclared(upn) {
                    add("\(here).revoke_sessions", "user '\(upn)' is not declared", "Use a UPN from `users`.")
                }
            case .change(let change):
                if let upn = change.user, !userDeclared(upn) {
                    add("\(here).change.user", "user '\(upn)' is not declared", "Use a UPN from `users`.")
                }
                if let address = change.mailbox, !mailboxExists(address) {
                    add(
                        "\(here).change.mailbox", "mailbox '\(address)' does not exist",
                        "Use a mailbox the scenario declares.")
                }
                if let id = change.app, app(clientID: id) == nil {
                    add(
                        "\(here).change.app", "no app has client id '\(id)'",
                        "Use the `client_id` of an app under `apps`.")
                }
            case .deliver(let delivery):
                if !mailboxExists(delivery.mailbox) {
                    add(
                        "\(here).deliver.mailbox", "mailbox '\(delivery.mailbox)' does not exist",
                        "Use a mailbox the scenario declares.")
                }
            case .repeatSteps(let block):
                if let every = block.every, every <= 0 {
                    add("\(here).repeat.every", "the period must be longer than zero", "Write a duration such as 15m.")
                } else if block.rounds < 1 {
                    add(
                        "\(here).repeat.for", "`for` is shorter than one period, so the block never runs",
                        "Make `for` at least as long as `every`.")
                }
                flowProblems(block.steps, path: "\(here).repeat.steps", saved: &saved, into: &found)
            }
        }
    }
}
