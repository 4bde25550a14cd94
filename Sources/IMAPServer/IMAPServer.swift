import ExomockLimits
import Foundation
import ListenerSupport
import MailAuthentication
import MailStore
import MicrosoftClouds
import NIOCore
import ScenarioModel

/// Exchange Online's IMAP front door: greeting, CAPABILITY, ID, NOOP, LOGOUT, STARTTLS and
/// AUTHENTICATE XOAUTH2 (SASL-IR and continuation), with Exchange's exact lines. Mailbox commands are
/// not implemented in this version and answer `BAD` saying so.
public final class IMAPServer: MailProtocolServer {
    public let service = MailService.imap
    let store: MailStore
    let authenticator: any MailAuthenticating
    let settings: ExchangeSettings

    public init(store: MailStore, authenticator: any MailAuthenticating, settings: ExchangeSettings) {
        self.store = store
        self.authenticator = authenticator
        self.settings = settings
    }

    public func configure(channel: any Channel, context: ConnectionContext) throws {
        try channel.pipeline.syncOperations.addHandler(IMAPFrontDoor(server: self, context: context))
    }

    static func greeting(serverName: String) -> String {
        var utf16 = [UInt8]()
        for unit in serverName.utf16 { utf16 += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        return "* OK The Microsoft Exchange IMAP4 service is ready. [\(Data(utf16).base64EncodedString())]"
    }
}

final class IMAPFrontDoor: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let server: IMAPServer
    let context: ConnectionContext
    var buffer = ByteBuffer()
    var tlsActive: Bool
    var pendingAuthenticateTag: String?
    var authenticated = false
    var notConnected = false

    init(server: IMAPServer, context: ConnectionContext) {
        self.server = server
        self.context = context
        self.tlsActive = context.tlsMode == .implicit
    }

    func channelActive(context ctx: ChannelHandlerContext) {
        send(ctx, IMAPServer.greeting(serverName: server.settings.serverName))
        ctx.fireChannelActive()
    }

    func send(_ ctx: ChannelHandlerContext, _ line: String) {
        ctx.writeAndFlush(wrapOutboundOut(ByteBuffer(string: line + "\r\n")), promise: nil)
    }

    var capabilities: String {
        if !tlsActive { return "IMAP4 IMAP4rev1 LOGINDISABLED STARTTLS UIDPLUS MOVE ID CHILDREN IDLE NAMESPACE LITERAL+" }
        if authenticated {
            return "IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS MOVE ID UNSELECT CLIENTACCESSRULES CLIENTNETWORKPRESENCELOCATION BACKENDAUTHENTICATE CHILDREN IDLE NAMESPACE LITERAL+"
        }
        return "IMAP4 IMAP4rev1 AUTH=XOAUTH2 LOGINDISABLED SASL-IR UIDPLUS ID UNSELECT CHILDREN IDLE NAMESPACE LITERAL+"
    }

    func channelRead(context ctx: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        while let crlf = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let length = crlf - buffer.readerIndex + 1
            guard let raw = buffer.readString(length: length) else { break }
            let line = raw.trimmingCharacters(in: .newlines)
            if handle(ctx, line) == .stop {
                buffer.clear()
                return
            }
        }
        if buffer.readableBytes > Limits.imapMaximumLineLength {
            buffer.clear()
            send(ctx, "* BAD Command line too long.")
        }
    }

    enum Next { case go, stop }

    func handle(_ ctx: ChannelHandlerContext, _ line: String) -> Next {
        if let tag = pendingAuthenticateTag {
            pendingAuthenticateTag = nil
            if line == "*" {
                send(ctx, "\(tag) BAD AUTHENTICATE cancelled.")
                return .go
            }
            authenticate(ctx, tag: tag, initialResponse: line)
            return .go
        }
        let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true).map(String.init)
        guard parts.count >= 2 else {
            send(ctx, "\(parts.first ?? "*") BAD Command Error. 10")
            return .go
        }
        let tag = parts[0]
        let command = parts[1].uppercased()
        let argument = parts.count > 2 ? parts[2] : ""
        context.record("command", ["command": command])
        switch command {
        case "CAPABILITY":
            send(ctx, "* CAPABILITY \(capabilities)")
            send(ctx, "\(tag) OK CAPABILITY completed.")
        case "NOOP":
            send(ctx, "\(tag) OK NOOP completed.")
        case "ID":
            send(ctx, "* ID (\"name\" \"Microsoft.Exchange.Imap4.Imap4Server\" \"version\" \"15.20\")")
            send(ctx, "\(tag) OK ID completed.")
        case "LOGOUT":
            send(ctx, "* BYE Microsoft Exchange Server IMAP4 server signing off.")
            send(ctx, "\(tag) OK LOGOUT completed.")
            ctx.close(promise: nil)
            return .stop
        case "STARTTLS":
            guard !tlsActive else {
                send(ctx, "\(tag) BAD Command received in Invalid state.")
                return .go
            }
            send(ctx, "\(tag) OK Begin TLS negotiation now.")
            tlsActive = true
            do { try context.startTLS(on: ctx.channel) } catch { ctx.close(promise: nil) }
            // Bytes pipelined after STARTTLS are discarded (plaintext injection).
            return .stop
        case "AUTHENTICATE":
            guard tlsActive else {
                send(ctx, "\(tag) BAD Command received in Invalid state.")
                return .go
            }
            let words = argument.split(separator: " ").map(String.init)
            guard words.first?.uppercased() == "XOAUTH2" else {
                context.record("auth.failed", ["reason": MailAuthFailure.basicAuthDisabled.rawValue])
                send(ctx, "\(tag) NO AUTHENTICATE failed.")
                return .go
            }
            if words.count > 1 {
                authenticate(ctx, tag: tag, initialResponse: words[1])
            } else {
                pendingAuthenticateTag = tag
                send(ctx, "+ ")
            }
        case "LOGIN":
            context.record("auth.failed", ["reason": MailAuthFailure.basicAuthDisabled.rawValue])
            send(ctx, "\(tag) NO LOGIN failed.")
        default:
            if notConnected {
                send(ctx, "\(tag) BAD User is authenticated but not connected.")
            } else if authenticated {
                send(ctx, "\(tag) BAD \(command) is not implemented by this exomock version.")
            } else {
                send(ctx, "\(tag) BAD Command received in Invalid state.")
            }
        }
        return .go
    }

    func authenticate(_ ctx: ChannelHandlerContext, tag: String, initialResponse: String) {
        switch XOAUTH2Credentials.parse(base64: initialResponse) {
        case .failure(let error):
            context.record("auth.failed", ["reason": MailAuthFailure.malformedSASL.rawValue, "detail": error.rawValue])
            send(ctx, "\(tag) NO AUTHENTICATE failed.")
        case .success(let credentials):
            switch server.authenticator.authenticate(credentials, service: .imap) {
            case .granted(let grant):
                authenticated = true
                context.record("auth.succeeded", ["mailbox": grant.mailbox, "principal": grant.principal])
                send(ctx, "\(tag) OK AUTHENTICATE completed.")
            case .rejected(let failure, let detail):
                context.record("auth.failed", ["reason": failure.rawValue, "detail": detail])
                send(ctx, "\(tag) NO AUTHENTICATE failed.")
            case .authenticatedNotConnected(let failure, let detail):
                authenticated = true
                notConnected = true
                context.record("auth.not_connected", ["reason": failure.rawValue, "detail": detail])
                send(ctx, "\(tag) OK AUTHENTICATE completed.")
            }
        }
    }
}
