import NIOCore
import Synchronization

/// The open connections of one protocol server, so that shutdown can reach each of them, and so that a
/// connection arriving after shutdown began is refused. One registry per server, shared by its listeners.
public final class OpenChannels: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var shuttingDown = false
    }

    private let state = Mutex(State())

    public init() {}

    /// Registers a live channel and unregisters it when it closes; false (and nothing registered) once
    /// shutdown has begun.
    public func register(_ channel: any Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        let added = state.withLock { state in
            guard !state.shuttingDown else { return false }
            state.channels[id] = channel
            return true
        }
        if added {
            channel.closeFuture.whenComplete { [weak self] _ in self?.unregister(id) }
        }
        return added
    }

    /// Forgets a channel that has closed (also done when its `closeFuture` completes).
    public func unregister(_ channel: any Channel) { unregister(ObjectIdentifier(channel)) }

    private func unregister(_ id: ObjectIdentifier) {
        _ = state.withLock { $0.channels.removeValue(forKey: id) }
    }

    /// Marks the registry as shutting down and returns the channels open now (the caller says goodbye).
    public func beginShutdown() -> [any Channel] {
        state.withLock { state in
            state.shuttingDown = true
            return Array(state.channels.values)
        }
    }

    /// Marks the registry as shutting down and sends `MailConnectionShutdown` to every open connection
    /// (a `MailConnectionHandler` says the protocol's goodbye and closes). Does not block.
    public func shutDown() {
        for channel in beginShutdown() {
            channel.pipeline.fireUserInboundEventTriggered(MailConnectionShutdown())
        }
    }

    /// The open connections' channels.
    public var channels: [any Channel] { state.withLock { Array($0.channels.values) } }

    /// Open connections right now.
    public var count: Int { state.withLock { $0.channels.count } }
}
