import NIOCore

/// Held output and input of `NetworkFaultHandler`: `bandwidth` releases output at its rate, `network_latency`
/// releases output and input `seconds` after they were flushed or read. Releases always run from a timer,
/// never inside the producer's own `flush`, so a producer woken by a release cannot recurse into another.
extension NetworkFaultHandler {
    /// Bytes released per tick, and the tick, for `bytesPerSecond`: 50 ms ticks, or longer ones of one byte
    /// for rates under 20 bytes per second.
    static func pacing(bytesPerSecond: Int) -> (bytes: Int, every: TimeAmount) {
        let rate = max(1, bytesPerSecond)
        let perTick = Int64(rate) * pacingInterval.nanoseconds / 1_000_000_000
        if perTick >= 1 { return (Int(perTick), pacingInterval) }
        return (1, .nanoseconds(1_000_000_000 / Int64(rate)))
    }

    func hold(_ buffer: ByteBuffer, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        heldBytes += buffer.readableBytes
        held.append(HeldWrite(data: buffer, promise: promise, due: nil))
        if !gated && heldBytes > Self.holdHighWater {
            // Pause the producer: with both water marks at 1 byte, two bytes passed on unflushed make the
            // channel not writable until the next release sends them.
            gated = true
            let early = take(2, dueBy: nil)
            for part in early {
                earlyBytes += part.data.readableBytes
                context.write(wrapOutboundOut(part.data), promise: part.promise)
            }
        }
    }

    /// The producer flushed: everything it wrote may go out after the effect's delay.
    func markFlushed(_ context: ChannelHandlerContext) {
        var delay = TimeAmount.zero
        if case .latency(let seconds) = effect { delay = Self.amount(seconds) }
        let due = context.eventLoop.now + delay
        var index = held.endIndex
        while index > held.startIndex {
            index = held.index(before: index)
            if held[index].due != nil { break }
            held[index].due = due
        }
        scheduleOutput(context)
    }

    func scheduleOutput(_ context: ChannelHandlerContext) {
        guard outputTimer == nil, let due = held.first?.due else { return }
        var at = due
        if case .bandwidth(let rate) = effect, let last = lastRelease {
            at = max(at, last + Self.pacing(bytesPerSecond: rate).every)
        }
        outputTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: at) {
            self.outputTimer = nil
            self.release(context)
        }
    }

    /// Sends what is due (latency) or one tick's worth (bandwidth).
    func release(_ context: ChannelHandlerContext) {
        guard phase == .open else { return }
        let now = context.eventLoop.now
        let parts: [(data: ByteBuffer, promise: EventLoopPromise<Void>?)]
        switch effect {
        case .bandwidth(let rate):
            parts = take(max(0, Self.pacing(bytesPerSecond: rate).bytes - earlyBytes), dueBy: now)
        default:
            parts = take(Int.max, dueBy: now)
        }
        let early = earlyBytes
        earlyBytes = 0
        lastRelease = now
        let woke = gated && heldBytes < Self.holdLowWater
        if woke { gated = false }
        for part in parts {
            written += part.data.readableBytes
            context.write(wrapOutboundOut(part.data), promise: part.promise)
        }
        written += early
        if early > 0 || !parts.isEmpty { context.flush() }
        if woke {
            if context.channel.isWritable { context.fireChannelWritabilityChanged() }
            if readRequested && heldReads.isEmpty {
                readRequested = false
                context.read()
            }
        }
        if held.isEmpty && earlyBytes == 0 && pendingClose != nil {
            finishClose(context)
            return
        }
        scheduleOutput(context)
    }

    /// Up to `maxBytes` from the front of the held output (only writes due by `dueBy`, when given); a write
    /// cut in two keeps its promise with its second half.
    func take(_ maxBytes: Int, dueBy: NIODeadline?) -> [(data: ByteBuffer, promise: EventLoopPromise<Void>?)] {
        var parts: [(data: ByteBuffer, promise: EventLoopPromise<Void>?)] = []
        var remaining = maxBytes
        while remaining > 0, var first = held.first {
            if let dueBy {
                guard let due = first.due, due <= dueBy else { break }
            }
            let size = first.data.readableBytes
            if size <= remaining {
                held.removeFirst()
                heldBytes -= size
                remaining -= size
                parts.append((first.data, first.promise))
            } else {
                let slice = first.data.readSlice(length: remaining)!
                held[held.startIndex] = first
                heldBytes -= remaining
                remaining = 0
                parts.append((slice, nil))
            }
        }
        return parts
    }

    // MARK: Input (latency)

    func scheduleInput(_ context: ChannelHandlerContext) {
        guard inputTimer == nil, let due = heldReads.first?.due else { return }
        inputTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: due) {
            self.inputTimer = nil
            self.releaseInput(context)
        }
    }

    func releaseInput(_ context: ChannelHandlerContext) {
        let now = context.eventLoop.now
        while phase == .open, let first = heldReads.first, first.due <= now {
            heldReads.removeFirst()
            switch first {
            case .data(let buffer, _): context.fireChannelRead(wrapInboundOut(buffer))
            case .complete: context.fireChannelReadComplete()
            }
        }
        if heldReads.isEmpty {
            if readRequested && !gated {
                readRequested = false
                context.read()
            }
        } else {
            scheduleInput(context)
        }
    }
}
