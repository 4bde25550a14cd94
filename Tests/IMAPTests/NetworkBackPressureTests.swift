import Determinism
import ExomockTestSupport
import Journal
import ListenerSupport
import MicrosoftClouds
import NIOCore
import NIOPosix
import ScenarioModel
import Synchronization
import Testing

/// Bandwidth and latency hold output in `NetworkFaultHandler`; on a real listener, a producer that writes
/// while the channel is writable (as the IMAP, POP3 and SMTP output and Hummingbird do) is paused by it,
/// so a client that reads nothing holds the server to a bounded amount, not the whole answer.
@Suite(.serialized)
struct NetworkBackPressureTests {
    /// Writes 64 KiB chunks while the channel is writable, up to 64 MiB, counting what it produced.
    final class Producer: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        static let chunk = 64 * 1024
        static let total = 64 * 1024 * 1024
        let produced = Atomic<Int>(0)

        func channelActive(context: ChannelHandlerContext) {
            produce(context)
            context.fireChannelActive()
        }

        func channelWritabilityChanged(context: ChannelHandlerContext) {
            produce(context)
            context.fireChannelWritabilityChanged()
        }

        func produce(_ context: ChannelHandlerContext) {
            while context.channel.isWritable, produced.load(ordering: .relaxed) < Self.total {
                produced.add(Self.chunk, ordering: .relaxed)
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(repeating: 0x41, count: Self.chunk)), promise: nil)
            }
        }
    }

    struct Server: MailProtocolServer {
        let producer: Producer
        var service: MailService { .imap }
        func configure(channel: any Channel, context: ConnectionContext) throws {
            try channel.pipeline.syncOperations.addHandler(producer)
        }
    }

    /// What the producer wrote after `seconds` with a client that connected and reads nothing.
    static func produced(under fault: Fault, seconds: Double) async throws -> Int {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let certificate = try ThrowawayCertificate.make()
        defer { certificate.remove() }
        let clock = VirtualClock(start: VirtualClock.defaultStart)
        let producer = Producer()
        let listener = try await MailListener.bind(
            host: "127.0.0.1", port: 0, tlsMode: .starttls, cloud: Cloud.named(.gccHigh),
            tls: try certificate.serverContext(), server: Server(producer: producer), journal: Journal(clock: clock),
            clock: clock, ids: ConnectionIDs(), group: group,
            faults: NetworkFaults(board: FaultBoard([fault]), service: MailService.imap, cloud: nil))
        let client = try await ClientBootstrap(group: group)
            .channelOption(.autoRead, value: false)
            .channelOption(.socketOption(.so_rcvbuf), value: 4096)
            .connect(host: "127.0.0.1", port: listener.port).get()
        try await Task.sleep(for: .seconds(seconds))
        let produced = producer.produced.load(ordering: .relaxed)
        try? await client.close()
        await listener.close()
        try await group.shutdownGracefully()
        return produced
    }

    @Test("bandwidth: a client that reads nothing holds the producer to about the high water mark and a chunk")
    func bandwidthPausesTheProducer() async throws {
        var fault = Fault(service: .imap, kind: .bandwidth)
        fault.bytesPerSecond = 10_000
        let limited = fault
        let produced = try await withTimeLimit(60) { try await Self.produced(under: limited, seconds: 1.5) }
        // 64 KiB held + one 64 KiB chunk + what went out at 10 kB/s is about 150 KiB; a fresh-clone CI run on a
        // busy machine saw 320 KiB (writability can flip back before the held bytes reach the mark again).
        // Without the pause it is the whole 64 MiB.
        #expect(produced <= 1024 * 1024, "the producer wrote \(produced) bytes")
        #expect(produced >= 64 * 1024, "the producer ran: \(produced)")
    }

    @Test("network_latency: the held output pauses the producer the same way")
    func latencyPausesTheProducer() async throws {
        var fault = Fault(service: .imap, kind: .networkLatency)
        fault.seconds = 5
        let limited = fault
        let produced = try await withTimeLimit(60) { try await Self.produced(under: limited, seconds: 1) }
        #expect(produced <= 1024 * 1024, "the producer wrote \(produced) bytes (64 MiB without the pause)")
    }
}
