import Determinism
import EntraTokens
import ExomockTestSupport
import Foundation
import Journal
import ListenerSupport
import MailAuthentication
import MailStore
import MicrosoftClouds
import NIOCore
import NIOEmbedded
import NIOSSL
import SMTPServer
import ScenarioModel

/// A GCC High scenario for SMTP: Alice (own mailbox, Send As on the help desk mailbox), Bob (own mailbox,
/// nothing else), a help desk shared mailbox, a mailbox with SMTP AUTH turned off, and a second tenant
/// with SMTP AUTH off for the whole tenant. Tokens are real RS256 tokens, checked by the real authenticator.
struct SMTPFixture {
    static let tenantID = "9f3c1a2b-4d5e-4f60-8a7b-0c1d2e3f4a5b"
    static let otherTenantID = "0a0b0c0d-1111-4222-8333-944445555666"
    static let appID = "11111111-2222-3333-4444-555555555555"
    static let alice = "alice@contoso.onmicrosoft.us"
    static let bob = "bob@contoso.onmicrosoft.us"
    static let helpdesk = "helpdesk@contoso.onmicrosoft.us"
    static let noSMTP = "nosmtp@contoso.onmicrosoft.us"
    static let carol = "carol@fabrikam.onmicrosoft.us"

    static let scenario = Scenario(
        name: "smtp", clouds: [.gccHigh],
        tenants: [
            Tenant(id: tenantID, cloud: .gccHigh, domains: ["contoso.onmicrosoft.us"]),
            Tenant(
                id: otherTenantID, cloud: .gccHigh, domains: ["fabrikam.onmicrosoft.us"],
                smtpClientAuthenticationDisabled: true),
        ],
        users: [
            User(upn: alice, password: "a"), User(upn: bob, password: "b"), User(upn: noSMTP, password: "n"),
            User(upn: carol, password: "c"),
        ],
        mailboxes: [
            Mailbox(address: helpdesk, kind: .shared, sendAs: [alice, appID]),
            Mailbox(address: noSMTP, smtpClientAuthenticationDisabled: true),
        ])

    let cloud = Cloud.named(.gccHigh)
    let clock = VirtualClock(start: VirtualClock.defaultStart)
    let key: CloudSigningKey
    let authenticator: ExchangeAuthenticator
    let store: MailStore
    let outbox: Outbox

    init() throws {
        key = try CloudSigningKey.generate(cloud: .gccHigh)
        authenticator = ExchangeAuthenticator(
            cloud: cloud, scenario: Self.scenario, verifier: AccessTokenVerifier(cloud: cloud, key: key, clock: clock))
        store = try MailStore(scenario: Self.scenario, clock: clock, ids: IdentifierSource(seed: 1))
        outbox = Outbox(clock: clock)
    }

    /// A delegated token for `upn` (or an app-only one when `upn` is nil) with these permissions.
    func token(
        _ upn: String? = alice, scp: [String] = ["SMTP.Send"], roles: [String] = [], tenant: String = tenantID,
        lifetime: Int = 3600,
        key: CloudSigningKey? = nil
    ) -> String {
        let now = Int(clock.now().timeIntervalSince1970)
        let claims = AccessTokenClaims(
            aud: cloud.delegatedAudience, iss: cloud.v1Issuer(tenant: tenant), iat: now, nbf: now, exp: now + lifetime,
            appid: Self.appID, idtyp: upn == nil ? "app" : nil, oid: "oid", roles: roles, scp: upn == nil ? [] : scp,
            sub: "sub",
            tid: tenant, upn: upn, uti: "uti")
        return TokenMinter(key: key ?? self.key).mint(claims)
    }

    func xoauth2(_ user: String, _ token: String) -> String {
        XOAUTH2Credentials(user: user, token: token).initialResponse
    }

    func server(
        settings: ExchangeSettings = ExchangeSettings(), maximumMessageSize: Int? = nil, faults: MailFaults = .none
    ) -> SMTPServer {
        SMTPServer(
            authenticator: authenticator,
            delivery: MailStoreDelivery(store: store, outbox: outbox, authenticator: authenticator),
            settings: settings, maximumMessageSize: maximumMessageSize ?? 35 * 1024 * 1024, faults: faults)
    }

    /// Subjects of the messages in a mailbox folder.
    func subjects(_ mailbox: String, _ folder: String = "Inbox") throws -> [String] {
        try store.snapshot(mailbox: mailbox, folder: folder).messages.map { message in
            let text = String(decoding: message.raw, as: UTF8.self)
            return text.split(separator: "\r\n").first { $0.hasPrefix("Subject: ") }.map { String($0.dropFirst(9)) }
                ?? ""
        }
    }
}

/// One EmbeddedChannel connection to an SMTPServer. With `.implicit`, the session starts as if TLS were
/// up (the embedded channel has no TLS handler), to test what follows STARTTLS.
final class EmbeddedSMTP {
    let channel = EmbeddedChannel()
    let journal: Journal

    init(server: SMTPServer, fixture: SMTPFixture, tlsMode: TLSMode = .implicit, tls: NIOSSLContext) throws {
        journal = Journal(clock: fixture.clock)
        let context = ConnectionContext(
            cloud: fixture.cloud, service: .smtp, tlsMode: tlsMode, connectionID: "smtp-1", tls: tls, journal: journal,
            clock: fixture.clock)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        channel.remoteAddress = try SocketAddress(ipAddress: "127.0.0.1", port: 50_000)
        try server.configure(channel: channel, context: context)
    }

    /// Sends raw bytes and returns everything the server wrote since the last call.
    @discardableResult
    func send(_ text: String) throws -> String {
        try channel.writeInbound(ByteBuffer(string: text))
        return try output()
    }

    func output() throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            text += String(buffer: buffer)
        }
        return text
    }

    func events(_ name: String) -> [[String: String]] {
        journal.events().filter { "\($0.event)" == name }.map(\.detail)
    }
}

let testMessage =
    "From: alice@contoso.onmicrosoft.us\r\nTo: bob@contoso.onmicrosoft.us\r\nSubject: [HD-7] reply\r\nMessage-ID: <m1@contoso>\r\n\r\nHello.\r\n..dot line\r\n"
