import NIOCore
import NIOPosix
import NIOSSL

/// Where and how to reach a mail server.
public struct MailEndpoint: Sendable {
    public enum Security: String, Sendable {
        /// TLS from the first byte (993, 995).
        case implicit
        /// Plain text, then STARTTLS/STLS before authenticating (143, 110).
        case starttls
        /// Plain text throughout (only for servers that offer it; never Exchange Online).
        case none
    }
    public var host: String
    public var port: Int
    public var security: Security
    /// The name the certificate must carry (`outlook.office365.us`): SNI and host-name check.
    public var serverName: String
    public var tls: NIOSSLContext?

    public init(host: String, port: Int, security: Security, serverName: String, tls: NIOSSLContext?) {
        self.host = host
        self.port = port
        self.security = security
        self.serverName = serverName
        self.tls = tls
    }

    /// A client TLS context that trusts only the certificates in `caFile` (PEM). It offers the key
    /// exchange groups a Java 17/21 mail handler offers (JSSE: x25519, secp256r1, secp384r1), not the
    /// post-quantum hybrid BoringSSL adds by default, which no help desk's JVM sends today.
    public static func tlsContext(trusting caFile: String) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .file(caFile)
        configuration.minimumTLSVersion = .tlsv12
        configuration.curves = [.x25519, .secp256r1, .secp384r1]
        return try NIOSSLContext(configuration: configuration)
    }
}

/// A TCP (and TLS) connection to a mail server that reads one response frame at a time, with a
/// real-time read timeout. Every frame is kept until read, so a caller never misses one.
public final class MailConnection: Sendable {
    let channel: any Channel
    private let inbox: NIOLoopBound<FrameInbox>
    private let endpoint: MailEndpoint

    private init(channel: any Channel, inbox: NIOLoopBound<FrameInbox>, endpoint: MailEndpoint) {
        self.channel = channel
        self.inbox = inbox
        self.endpoint = endpoint
    }

    /// Connects (and for `.implicit`, completes the TLS handshake once the first frame is read).
    /// `literals`: IMAP framing; false for POP3. `keepLiterals` false: literal bytes are counted, not
    /// kept (`ResponseFrame.literalBytes`). `group` nil: the loop of `onOneEventLoop`, or any.
    public static func connect(
        to endpoint: MailEndpoint, literals: Bool, keepLiterals: Bool = true, timeout: Double,
        group: (any EventLoopGroup)? = nil
    ) async throws -> MailConnection {
        let group = group ?? preferredLoop ?? MultiThreadedEventLoopGroup.singleton
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.milliseconds(Int64(timeout * 1000)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if endpoint.security == .implicit {
                        guard let tls = endpoint.tls else {
                            throw MailClientError.connectFailed("no TLS context for an implicit-TLS port")
                        }
                        let handler = try NIOSSLClientHandler(context: tls, serverHostname: endpoint.serverName)
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                    let bodyMode = BodyMode()
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(
                            ResponseFrameDecoder(literals: literals, keepLiterals: keepLiterals, bodyMode: bodyMode)))
                    try channel.pipeline.syncOperations.addHandler(
                        FrameInbox(eventLoop: channel.eventLoop, bodyMode: bodyMode))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: endpoint.host, port: endpoint.port).get()
        } catch {
            throw MailClientError.connectFailed("\(endpoint.host):\(endpoint.port): \(error)")
        }
        let inbox = try await channel.eventLoop.submit {
            NIOLoopBound(
                try channel.pipeline.syncOperations.handler(type: FrameInbox.self), eventLoop: channel.eventLoop)
        }.get()
        return MailConnection(channel: channel, inbox: inbox, endpoint: endpoint)
    }

    /// The next frame, or `MailClientError.closed` / `.timedOut` / the TLS error.
    public func read(timeout: Double) async throws -> ResponseFrame {
        let inbox = self.inbox
        return try await channel.eventLoop.flatSubmit { inbox.value.next(timeout: timeout) }.get()
    }

    /// Every frame that has arrived (at least one: waits for it like `read`), in one hop to the event
    /// loop: a POP3 body of 140 lines costs one hop per socket read instead of one per line.
    public func readBatch(timeout: Double) async throws -> [ResponseFrame] {
        let inbox = self.inbox
        if channel.eventLoop.inEventLoop {
            // On the loop (`onOneEventLoop`): no hop and no future, the reader's continuation waits in the inbox.
            let frames = inbox.value.takeAll()
            if let frames { return frames }
            return try await withUnsafeThrowingContinuation { continuation in
                inbox.value.wait(timeout: timeout) { continuation.resume(with: $0.map { [$0] }) }
            }
        }
        return try await channel.eventLoop.flatSubmit { inbox.value.nextBatch(timeout: timeout) }.get()
    }

    /// Sends `line` and CRLF. `expectingBody`: a POP3 `RETR`/`TOP`, whose body after `+OK` the decoder
    /// counts and hands over as one `.` frame (`ResponseFrame.bodyBytes`).
    public func send(_ line: String, expectingBody: Bool = false) async throws {
        if expectingBody {
            let inbox = self.inbox
            if channel.eventLoop.inEventLoop {
                inbox.value.bodyMode.expecting = true
            } else {
                try await channel.eventLoop.submit { inbox.value.bodyMode.expecting = true }.get()
            }
        }
        var buffer = channel.allocator.buffer(capacity: line.utf8.count + 2)
        buffer.writeString(line)
        buffer.writeStaticString("\r\n")
        try await channel.writeAndFlush(buffer)
    }

    /// Sends each line with CRLF, in one write (a message body after SMTP `DATA`).
    public func send(lines: [String]) async throws {
        var buffer = channel.allocator.buffer(capacity: lines.reduce(0) { $0 + $1.utf8.count + 2 })
        for line in lines {
            buffer.writeString(line)
            buffer.writeStaticString("\r\n")
        }
        try await channel.writeAndFlush(buffer)
    }

    /// Puts TLS under the connection (after the server said yes to STARTTLS or STLS). The handshake
    /// runs with the next read.
    public func startTLS() async throws {
        guard let tls = endpoint.tls else { throw MailClientError.connectFailed("no TLS context for STARTTLS") }
        let name = endpoint.serverName
        try await channel.eventLoop.submit { [channel] in
            let handler = try NIOSSLClientHandler(context: tls, serverHostname: name)
            try channel.pipeline.syncOperations.addHandler(handler, position: .first)
        }.get()
    }

    /// Closes the connection (no protocol goodbye).
    public func close() async {
        try? await channel.close()
    }
}
