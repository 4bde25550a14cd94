import ExomockLimits
import Foundation
import Journal
import MailAuthentication
import SMTPWire

/// One SMTP submission connection's protocol state (RFC 5321, RFC 3207 STARTTLS, RFC 4954 AUTH), as a value.
///
/// It never touches a channel, the clock, the store or a token. It returns `Effect`s (send a reply, check
/// a token, start TLS, read DATA, deliver, close), and the driver feeds the answers back
/// (`authenticated`, `delivered`). Exchange Online's order: EHLO, STARTTLS, EHLO again, AUTH, then
/// MAIL/RCPT/DATA; no AUTH is offered or accepted before TLS, and no mail before AUTH.
public struct SMTPSession: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// Exchange's front-end server name (`MN2PR01CA0007`).
        public var serverName: String
        /// The host in the banner and EHLO (`MN2PR01CA0007.outlook.office365.com`).
        public var host: String
        /// The client's address, shown in the EHLO reply (`Hello [127.0.0.1]`).
        public var clientAddress: String
        /// Basic authentication (AUTH LOGIN) allowed by the scenario.
        public var basicAuth: Bool
        /// The listener is plain text and offers STARTTLS (port 587).
        public var offersSTARTTLS: Bool
        public var maximumRecipients: Int
        public var advertisedSize: Int

        public init(
            serverName: String, host: String, clientAddress: String, basicAuth: Bool, offersSTARTTLS: Bool = true,
            maximumRecipients: Int = Limits.smtpMaximumRecipients,
            advertisedSize: Int = Limits.smtpAdvertisedMessageSize
        ) {
            self.serverName = serverName
            self.host = host
            self.clientAddress = clientAddress
            self.basicAuth = basicAuth
            self.offersSTARTTLS = offersSTARTTLS
            self.maximumRecipients = maximumRecipients
            self.advertisedSize = advertisedSize
        }

        var diag: String { SMTPTexts.diagnosticHost(serverName: serverName) }
    }

    public enum Mechanism: String, Sendable, Equatable {
        case xoauth2 = "XOAUTH2"
        case login = "LOGIN"
    }

    /// Where a SASL exchange stands.
    public enum Authentication: Sendable, Equatable {
        case none
        /// `334 ` sent for XOAUTH2: the next line is the client's response.
        case awaitingXOAUTH2
        /// AUTH LOGIN: waiting for the user name, then the password.
        case awaitingLoginUser
        case awaitingLoginPassword(user: String)
        /// Waiting for the driver's answer to an `.authenticate…` effect.
        case checking(Mechanism)
        case authenticated(MailGrant)
    }

    /// A mail transaction (MAIL, RCPTs) in progress.
    public struct Transaction: Sendable, Equatable {
        public var from: String
        public var recipients: [String]
    }

    public enum Effect: Sendable, Equatable {
        case send(SMTPReply)
        case record(JournalEvent.Name, [String: String])
        /// The `220` for STARTTLS has been sent: put TLS in front and discard buffered plaintext.
        case startTLS
        case authenticateXOAUTH2(XOAUTH2Credentials)
        case authenticateBasic(user: String, password: String)
        /// The `354` has been sent: read the message (`SMTPFramer.beginData()`).
        case beginData
        /// Check Send As for the sender, then deliver; answer with `delivered`.
        case deliver(SMTPSubmission)
        case close
    }

    public let configuration: Configuration
    public private(set) var tlsActive: Bool
    public private(set) var greeted = false
    public private(set) var authentication = Authentication.none
    public private(set) var transaction: Transaction?
    public private(set) var readingData = false
    public private(set) var closed = false
    /// Messages accepted on this connection (numbers exomock's message ids).
    public private(set) var accepted = 0

    public init(configuration: Configuration, tlsActive: Bool) {
        self.configuration = configuration
        self.tlsActive = tlsActive
    }

    /// True while the next line is a SASL response, not a command.
    public var isAwaitingSASL: Bool {
        switch authentication {
        case .awaitingXOAUTH2, .awaitingLoginUser, .awaitingLoginPassword: true
        default: false
        }
    }

    public func greeting(at date: Date) -> SMTPReply { SMTPTexts.banner(host: configuration.host, at: date) }

    private var diag: String { configuration.diag }

    // MARK: Input

    public mutating func received(_ frame: SMTPFrame) -> [Effect] {
        guard !closed else { return [] }
        switch frame {
        case .lineTooLong(let length, let authenticate):
            var effects: [Effect] = [.record(.commandTooLong, ["length": String(length)])]
            if isAwaitingSASL {
                authentication = .none
                effects.append(
                    .record(
                        .authFailed,
                        [
                            "reason": MailAuthFailure.malformedSASL.rawValue,
                            "detail": "SASL response of \(length) bytes",
                        ]))
            }
            let limit = authenticate ? Limits.smtpMaximumAuthenticateLineLength : Limits.smtpMaximumLineLength
            return effects + [.send(SMTPTexts.lineTooLong(limit: limit))]
        case .bareLineFeed:
            if isAwaitingSASL { authentication = .none }
            return [
                .record(.commandInvalid, ["problem": "line ended by a bare LF"]), .send(SMTPTexts.bareLineFeedCommand),
            ]
        case .message(let data):
            return messageEnded(data)
        case .line(let bytes):
            switch authentication {
            case .awaitingXOAUTH2, .awaitingLoginUser, .awaitingLoginPassword:
                return saslResponse(SMTPSASLResponse.parse(bytes))
            default:
                break
            }
            switch SMTPCommandParser.parse(bytes) {
            case .failure(let error):
                return [.record(.commandInvalid, ["problem": error.explanation]), .send(reply(for: error))]
            case .success(let command):
                return received(command)
            }
        }
    }

    private func reply(for error: SMTPParseError) -> SMTPReply {
        switch error {
        case .emptyLine: SMTPTexts.unrecognizedCommand("", diag)
        case .unknownCommand(let verb): SMTPTexts.unrecognizedCommand(verb, diag)
        case .syntax: SMTPTexts.invalidArguments(diag)
        case .invalidAddress(.rcpt, _): SMTPTexts.invalidRecipient(diag)
        case .invalidAddress: SMTPTexts.invalidSender(diag)
        }
    }

    public mutating func received(_ command: SMTPCommand) -> [Effect] {
        if case .checking = authentication { return [] }
        guard !closed, !readingData else { return [] }
        switch command {
        case .ehlo:
            greeted = true
            transaction = nil
            return [
                .send(
                    SMTPTexts.ehlo(
                        host: configuration.host, client: configuration.clientAddress, tlsActive: tlsActive,
                        advertisedSize: configuration.advertisedSize))
            ]
        case .helo:
            greeted = true
            transaction = nil
            return [.send(SMTPTexts.helo(host: configuration.host, client: configuration.clientAddress))]
        case .startTLS:
            guard configuration.offersSTARTTLS, !tlsActive else { return [.send(SMTPTexts.badSequence)] }
            // RFC 3207 §4.2: the client starts over (EHLO again); nothing from before TLS is kept.
            tlsActive = true
            greeted = false
            transaction = nil
            return [.send(SMTPTexts.startTLS), .startTLS, .record(.tlsStarted, [:])]
        case .auth(let mechanism, let initialResponse):
            return auth(mechanism: mechanism, initialResponse: initialResponse)
        case .mail(let from, let parameters):
            return mail(from: from, parameters: parameters)
        case .rcpt(let to, _):
            guard var t = transaction else { return [.send(SMTPTexts.needMail)] }
            guard t.recipients.count < configuration.maximumRecipients else {
                return [
                    .record(
                        .smtpRecipientRefused,
                        ["reason": "too_many_recipients", "limit": String(configuration.maximumRecipients)]),
                    .send(SMTPTexts.tooManyRecipients),
                ]
            }
            t.recipients.append(to)
            transaction = t
            return [.send(SMTPTexts.recipientOK)]
        case .data:
            guard let t = transaction else { return [.send(SMTPTexts.needMail)] }
            guard !t.recipients.isEmpty else { return [.send(SMTPTexts.needRecipient)] }
            readingData = true
            return [.send(SMTPTexts.startMailInput), .beginData]
        case .rset:
            transaction = nil
            return [.send(SMTPTexts.reset)]
        case .noop:
            return [.send(SMTPTexts.ok)]
        case .vrfy:
            return [.send(SMTPTexts.cannotVerify)]
        case .help:
            return [.send(SMTPTexts.help)]
        case .quit:
            closed = true
            return [.send(SMTPTexts.closing), .close]
        }
    }

    // MARK: AUTH

    private mutating func auth(mechanism name: String, initialResponse: String?) -> [Effect] {
        if case .authenticated = authentication { return [.send(SMTPTexts.alreadyAuthenticated)] }
        guard greeted else { return [.send(SMTPTexts.sendHelloFirst)] }
        guard tlsActive, let mechanism = Mechanism(rawValue: name) else {
            return [
                .record(.authFailed, ["reason": "unrecognized_mechanism", "method": name, "tls": String(tlsActive)]),
                .send(SMTPTexts.unrecognizedAuthentication(diag)),
            ]
        }
        guard transaction == nil else { return [.send(SMTPTexts.badSequence)] }
        switch (mechanism, initialResponse) {
        case (.xoauth2, nil):
            authentication = .awaitingXOAUTH2
            return [.send(SMTPTexts.emptyChallenge)]
        case (.xoauth2, let response?):
            return xoauth2(response == "=" ? "" : response)
        case (.login, nil):
            authentication = .awaitingLoginUser
            return [.send(SMTPTexts.usernamePrompt)]
        case (.login, let response?):
            // RFC 4954 allows the user name as an initial response.
            return saslResponseForLoginUser(response)
        }
    }

    private mutating func saslResponse(_ response: SMTPSASLResponse) -> [Effect] {
        guard case .response(let text) = response else {
            authentication = .none
            return [.record(.authCanceled, [:]), .send(SMTPTexts.authenticationCanceled)]
        }
        switch authentication {
        case .awaitingXOAUTH2:
            return xoauth2(text)
        case .awaitingLoginUser:
            return saslResponseForLoginUser(text)
        case .awaitingLoginPassword(let user):
            guard let password = Self.base64Text(text) else { return malformed(.login, "password is not base64") }
            guard configuration.basicAuth else {
                authentication = .none
                return [
                    .record(
                        .authFailed,
                        ["reason": MailAuthFailure.basicAuthDisabled.rawValue, "method": "LOGIN", "user": user]),
                    .send(SMTPTexts.basicAuthDisabled(diag)),
                ]
            }
            authentication = .checking(.login)
            return [.authenticateBasic(user: user, password: password)]
        default:
            return []
        }
    }

    private mutating func saslResponseForLoginUser(_ text: String) -> [Effect] {
        guard let user = Self.base64Text(text), !user.isEmpty else {
            return malformed(.login, "user name is not base64")
        }
        authentication = .awaitingLoginPassword(user: user)
        return [.send(SMTPTexts.passwordPrompt)]
    }

    private mutating func xoauth2(_ text: String) -> [Effect] {
        switch XOAUTH2Credentials.parse(base64: text) {
        case .success(let credentials):
            authentication = .checking(.xoauth2)
            return [.authenticateXOAUTH2(credentials)]
        case .failure(let error):
            return malformed(
                .xoauth2, error.rawValue, reason: error == .missingBearer ? .missingBearer : .malformedSASL)
        }
    }

    private mutating func malformed(_ mechanism: Mechanism, _ detail: String, reason: MailAuthFailure = .malformedSASL)
        -> [Effect]
    {
        authentication = .none
        return [
            .record(.authFailed, ["reason": reason.rawValue, "method": mechanism.rawValue, "detail": detail]),
            .send(SMTPTexts.authenticationUnsuccessful(diag)),
        ]
    }

    static func base64Text(_ text: String) -> String? {
        Data(base64Encoded: text).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The driver's answer to `.authenticateXOAUTH2` / `.authenticateBasic`.
    public mutating func authenticated(_ decision: MailAccessDecision) -> [Effect] {
        guard case .checking(let mechanism) = authentication else { return [] }
        switch decision {
        case .granted(let grant):
            authentication = .authenticated(grant)
            return [
                .record(
                    .authSucceeded,
                    ["method": mechanism.rawValue, "mailbox": grant.mailbox, "principal": grant.principal]),
                .send(SMTPTexts.authenticated),
            ]
        case .rejected(let reason, let detail), .authenticatedNotConnected(let reason, let detail):
            // SMTP has no "authenticated but not connected": every refusal is a 535 at AUTH.
            authentication = .none
            let reply: SMTPReply =
                switch reason {
                case .smtpAuthDisabledForTenant: SMTPTexts.smtpAuthDisabledForTenant(diag)
                case .smtpAuthDisabledForMailbox: SMTPTexts.smtpAuthDisabledForMailbox(diag)
                case .basicAuthDisabled: SMTPTexts.basicAuthDisabled(diag)
                default: SMTPTexts.authenticationUnsuccessful(diag)
                }
            return [
                .record(.authFailed, ["reason": reason.rawValue, "method": mechanism.rawValue, "detail": detail]),
                .send(reply),
            ]
        }
    }

    // MARK: Mail transaction

    private mutating func mail(from: String, parameters: [SMTPParameter]) -> [Effect] {
        guard greeted else { return [.send(SMTPTexts.sendHelloFirst)] }
        guard tlsActive else { return [.send(SMTPTexts.startTLSRequired(diag))] }
        guard case .authenticated = authentication else { return [.send(SMTPTexts.notAuthenticated(diag))] }
        guard transaction == nil else { return [.send(SMTPTexts.senderAlreadySpecified)] }
        if let size = parameters.first(where: { $0.keyword == "SIZE" })?.value {
            guard let declared = Int(size), declared >= 0 else { return [.send(SMTPTexts.invalidArguments(diag))] }
            if declared > configuration.advertisedSize {
                return [
                    .record(.smtpRefused, ["reason": "declared_size", "size": size]),
                    .send(SMTPTexts.messageTooLarge),
                ]
            }
        }
        transaction = Transaction(from: from, recipients: [])
        return [.send(SMTPTexts.senderOK)]
    }

    private mutating func messageEnded(_ data: SMTPMessageData) -> [Effect] {
        guard readingData, let t = transaction, case .authenticated(let grant) = authentication else { return [] }
        readingData = false
        transaction = nil
        switch data {
        case .tooLarge(let size):
            return [
                .record(
                    .smtpRefused,
                    ["reason": "too_large", "size": String(size), "limit": String(Limits.smtpMaximumMessageSize)]),
                .send(SMTPTexts.messageTooLarge),
            ]
        case .bareLineFeed(let size):
            return [
                .record(.smtpRefused, ["reason": "bare_line_feed", "size": String(size)]),
                .send(SMTPTexts.bareLineFeedsInMessage),
            ]
        case .complete(let content):
            accepted += 1
            return [
                .deliver(
                    SMTPSubmission(
                        grant: grant, from: t.from, recipients: t.recipients, content: content, sequence: accepted))
            ]
        }
    }

    /// The driver's answer to `.deliver`.
    public mutating func delivered(_ outcome: SMTPDeliveryOutcome, submission: SMTPSubmission) -> [Effect] {
        switch outcome {
        case .delivered(let messageID, let local, let outbound):
            return [
                .record(
                    .smtpAccepted,
                    [
                        "from": submission.from, "mailbox": submission.grant.mailbox, "message_id": messageID,
                        "local": String(local), "outbox": String(outbound), "size": String(submission.content.count),
                    ]),
                .send(SMTPTexts.queued(messageID: messageID, diag)),
            ]
        case .sendAsDenied:
            return [
                .record(
                    .smtpRefused,
                    ["reason": "send_as_denied", "from": submission.from, "principal": submission.grant.principal]),
                .send(SMTPTexts.sendAsDenied(user: submission.grant.mailbox, from: submission.from)),
            ]
        case .failed(let detail):
            return [
                .record(.smtpRefused, ["reason": "store_error", "detail": detail]), .send(SMTPTexts.localError),
            ]
        }
    }

    // MARK: Endings

    public mutating func idleTimedOut(after seconds: Double) -> [Effect] {
        guard !closed else { return [] }
        closed = true
        return [
            .record(.sessionIdleTimeout, ["seconds": String(format: "%g", seconds)]), .send(SMTPTexts.idleTimeout),
            .close,
        ]
    }

    public mutating func shuttingDown() -> [Effect] {
        guard !closed else { return [] }
        closed = true
        return [.send(SMTPTexts.shuttingDown), .close]
    }
}
