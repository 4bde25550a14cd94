/// Hands simulated handlers out one task at a time, so that no two operations share a handler's
/// connection state or refresh token. Waiters are served in arrival order.
actor HandlerPool<Handler: Sendable> {
    private var free: [Handler]
    private var waiters: [CheckedContinuation<Handler, Never>] = []

    init(_ handlers: [Handler]) { free = handlers }

    func take() async -> Handler {
        if let handler = free.popLast() { return handler }
        return await withCheckedContinuation { waiters.append($0) }
    }

    func give(_ handler: Handler) {
        if waiters.isEmpty {
            free.append(handler)
        } else {
            waiters.removeFirst().resume(returning: handler)
        }
    }
}

/// When operations start. An operation gets `started`, the instant its latency counts from, and
/// records `started.duration(to: clock.now)` when it ends.
///
/// - Closed loop: each handler starts its next operation when its last one ends; `started` is the
///   real start.
/// - Open loop: operation `n` is due at `start + n × interval` whatever happened before; `started`
///   is that intended instant, not the moment a free handler picked it up, so a stall that delays
///   later operations shows in their latency (no coordinated omission).
public struct LoadLoop<C: Clock>: Sendable where C.Duration == Duration {
    public let clock: C

    public init(clock: C) { self.clock = clock }

    /// `operation(&handler, n, started)`: `n` numbers the operation (it picks the kind).
    public typealias Operation<H> = @Sendable (inout H, Int, C.Instant) async -> Void

    /// Every handler runs operations back to back until `end`.
    public func closed<H: Sendable>(handlers: [H], end: C.Instant, _ operation: @escaping Operation<H>) async {
        let clock = self.clock
        await withDiscardingTaskGroup { group in
            for (index, first) in handlers.enumerated() {
                group.addTask {
                    var handler = first
                    var n = index
                    while !Task.isCancelled {
                        let now = clock.now
                        guard now < end else { return }
                        await operation(&handler, n, now)
                        n += 1
                    }
                }
            }
        }
    }

    /// One operation every `interval` from `start` until `end`, each on a free handler; returns when
    /// the last one has ended. Waiting for a free handler counts in the operation's latency.
    public func open<H: Sendable>(
        handlers: [H], start: C.Instant, interval: Duration, end: C.Instant, _ operation: @escaping Operation<H>
    ) async {
        let pool = HandlerPool(handlers)
        let clock = self.clock
        await withDiscardingTaskGroup { group in
            var n = 0
            while !Task.isCancelled {
                let intended = start.advanced(by: interval * n)
                guard intended < end else { break }
                try? await clock.sleep(until: intended, tolerance: nil)
                let taken = await pool.take()
                let number = n
                group.addTask {
                    var handler = taken
                    await operation(&handler, number, intended)
                    await pool.give(handler)
                }
                n += 1
            }
        }
    }
}
