import NIOCore
import NIOEmbedded
import NIOTLS
import Testing

@testable import ListenerSupport

/// `NetworkFaultHandler`, `TLSRefuseHandler` and `TLSHandshakeTimeoutHandler` on an `EmbeddedChannel`, with
/// its virtual event-loop time: what reaches the wire, when, and when the connection closes.
struct NetworkFaultHandlerTests {
    /// Records what passes it inbound, and the reads asked of the channel outbound.
    final class Recorder: ChannelDuplexHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundIn = ByteBuffer
        var reads: [String] = []
        var readRequests = 0

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            reads.append(String(buffer: unwrapInboundIn(data)))
        }

        func read(context: ChannelHandlerContext) {
            readRequests += 1
            context.read()
        }
    }

    /// A connected channel with `effect`'s handler in front (behind `front`, when given).
    static func channel(_ effect: NetworkEffect, front: (any ChannelHandler)? = nil, recorder: Recorder = Recorder())
        throws -> EmbeddedChannel
    {
        let channel = EmbeddedChannel()
        if let front { try channel.pipeline.syncOperations.addHandler(front) }
        try channel.pipeline.syncOperations.addHandler(NetworkFaultHandler(effect: effect))
        try channel.pipeline.syncOperations.addHandler(recorder)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    static func bytes(_ count: Int, _ byte: UInt8 = UInt8(ascii: "x")) -> ByteBuffer {
        ByteBuffer(repeating: byte, count: count)
    }

    /// Everything written to the wire so far.
    static func wire(_ channel: EmbeddedChannel) throws -> Int {
        var total = 0
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { total += buffer.readableBytes }
        return total
    }

    @Test("close_after: exactly the first N bytes reach the wire, then the connection closes; later writes fail")
    func closeAfterCutsTheOutput() throws {
        let channel = try Self.channel(.closeAfter(bytes: 10))
        channel.writeAndFlush(Self.bytes(4), promise: nil)
        #expect(try Self.wire(channel) == 4 && channel.isActive)
        let cut = channel.writeAndFlush(Self.bytes(25))
        channel.embeddedEventLoop.run()
        #expect(try Self.wire(channel) == 6, "4 + 6 = 10 bytes in all")
        #expect(!channel.isActive, "closed after the 10th byte")
        #expect(throws: (any Error).self) { try cut.wait() }
    }

    @Test("stall after N bytes: nothing more is written, reads are dropped, the connection stays open")
    func stallAfterBytes() throws {
        let recorder = Recorder()
        let channel = try Self.channel(.stall(afterBytes: 5), recorder: recorder)
        try channel.writeInbound(ByteBuffer(string: "A1 NOOP\r\n"))
        #expect(recorder.reads == ["A1 NOOP\r\n"], "before the cut, reads pass")
        channel.writeAndFlush(Self.bytes(8), promise: nil)
        channel.embeddedEventLoop.run()
        #expect(try Self.wire(channel) == 5)
        channel.writeAndFlush(Self.bytes(100), promise: nil)
        try channel.writeInbound(ByteBuffer(string: "A2 NOOP\r\n"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(try Self.wire(channel) == 0, "stalled: nothing more is written")
        #expect(recorder.reads == ["A1 NOOP\r\n"], "stalled: what the client sends is dropped")
        #expect(channel.isActive, "the connection stays open")
    }

    @Test("reset without bytes: on the first bytes either way; stall and close_after 0: at once")
    func immediateEffects() throws {
        let recorder = Recorder()
        let reset = try Self.channel(.reset(afterBytes: nil), recorder: recorder)
        #expect(reset.isActive, "open until the client speaks")
        try reset.writeInbound(ByteBuffer(string: "hello"))
        reset.embeddedEventLoop.run()
        #expect(!reset.isActive && recorder.reads.isEmpty, "reset on the client's first bytes, unread")
        let greeted = try Self.channel(.reset(afterBytes: nil))
        greeted.writeAndFlush(Self.bytes(10), promise: nil)
        greeted.embeddedEventLoop.run()
        #expect(try Self.wire(greeted) == 0 && !greeted.isActive, "reset before the server's first byte")
        let closed = try Self.channel(.closeAfter(bytes: 0))
        #expect(!closed.isActive)
        let stalled = try Self.channel(.stall(afterBytes: nil))
        stalled.writeAndFlush(Self.bytes(10), promise: nil)
        #expect(try Self.wire(stalled) == 0 && stalled.isActive)
    }

    @Test("reset after N bytes: the N bytes are written, then the connection closes")
    func resetAfterBytes() throws {
        let channel = try Self.channel(.reset(afterBytes: 3))
        channel.writeAndFlush(Self.bytes(10), promise: nil)
        channel.embeddedEventLoop.run()
        #expect(try Self.wire(channel) == 3)
        #expect(!channel.isActive)
    }

    @Test("bandwidth: 1000 bytes per second leave in 50-byte ticks every 50 ms; write promises complete as sent")
    func bandwidthPaces() throws {
        let channel = try Self.channel(.bandwidth(bytesPerSecond: 1000))
        let sent = channel.writeAndFlush(Self.bytes(1000))
        channel.embeddedEventLoop.run()
        #expect(try Self.wire(channel) == 50, "the first tick at once")
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(475))
        #expect(try Self.wire(channel) == 450, "nine more ticks by 475 ms")
        var done = false
        sent.assumeIsolated().whenComplete { _ in done = true }
        #expect(!done, "the write is not complete while bytes of it wait")
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(500))
        #expect(try Self.wire(channel) == 500 && done)
    }

    @Test("bandwidth under 20 bytes per second: one byte per 1/rate seconds")
    func slowBandwidth() throws {
        #expect(NetworkFaultHandler.pacing(bytesPerSecond: 4) == (1, .milliseconds(250)))
        #expect(NetworkFaultHandler.pacing(bytesPerSecond: 2000) == (100, .milliseconds(50)))
        let channel = try Self.channel(.bandwidth(bytesPerSecond: 4))
        channel.writeAndFlush(Self.bytes(10), promise: nil)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(999))
        #expect(try Self.wire(channel) == 4)
    }

    @Test("bandwidth: past 64 KiB held, reads are held too, and resume once the hold drains")
    func bandwidthHoldsReadsWhileFull() throws {
        let recorder = Recorder()
        let channel = try Self.channel(.bandwidth(bytesPerSecond: 1_000_000), recorder: recorder)
        let handler = try channel.pipeline.syncOperations.handler(type: NetworkFaultHandler.self)
        channel.write(Self.bytes(100 * 1024), promise: nil)
        #expect(handler.gated, "more than holdHighWater bytes wait")
        #expect(handler.heldBytes <= 100 * 1024)
        channel.flush()
        channel.read()
        #expect(handler.readRequested, "the read waits")
        // 50 000 bytes per tick: three ticks bring the hold under 16 KiB.
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(100))
        #expect(handler.heldBytes < NetworkFaultHandler.holdLowWater && !handler.gated)
        #expect(!handler.readRequested, "the held read was passed on")
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(50))
        #expect(try Self.wire(channel) == 100 * 1024)
    }

    @Test("network_latency: writes leave, and reads arrive, the given seconds later, in order")
    func latencyDelaysBothWays() throws {
        let recorder = Recorder()
        let channel = try Self.channel(.latency(seconds: 0.2), recorder: recorder)
        channel.writeAndFlush(ByteBuffer(string: "* OK hello\r\n"), promise: nil)
        try channel.writeInbound(ByteBuffer(string: "A1 CAPABILITY\r\n"))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(199))
        #expect(try Self.wire(channel) == 0 && recorder.reads.isEmpty)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(try Self.wire(channel) == 12)
        #expect(recorder.reads == ["A1 CAPABILITY\r\n"])
    }

    @Test("slow_close: the server's close takes effect the given seconds later")
    func slowClose() throws {
        let channel = try Self.channel(.slowClose(seconds: 0.3))
        let closed = channel.close()
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(299))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive)
        try closed.wait()
    }

    @Test("tls_refuse: the client's first bytes get a fatal handshake_failure alert, then the connection closes")
    func tlsRefuse() throws {
        let channel = EmbeddedChannel(handler: TLSRefuseHandler())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try channel.writeInbound(ByteBuffer(bytes: [0x16, 0x03, 0x01, 0x00, 0x05, 1, 0, 0, 1, 0]))
        channel.embeddedEventLoop.run()
        let alert = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(Array(alert.readableBytesView) == [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 40])
        #expect(!channel.isActive)
    }

    @Test("TLS handshake limit: closed when the handshake has not completed in time; kept once it completes")
    func handshakeTimeout() throws {
        let slow = EmbeddedChannel(handler: TLSHandshakeTimeoutHandler(timeout: .seconds(10)))
        try slow.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        slow.embeddedEventLoop.advanceTime(by: .milliseconds(9_999))
        #expect(slow.isActive)
        slow.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(!slow.isActive, "closed at the limit")

        let quick = EmbeddedChannel(handler: TLSHandshakeTimeoutHandler(timeout: .seconds(10)))
        try quick.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        quick.pipeline.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: nil))
        quick.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(quick.isActive, "a completed handshake is never timed out")
        #expect(throws: (any Error).self) {
            try quick.pipeline.syncOperations.handler(type: TLSHandshakeTimeoutHandler.self)
        }
    }
}
