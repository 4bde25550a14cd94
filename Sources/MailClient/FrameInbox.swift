import NIOCore
import NIOSSL

/// Keeps decoded frames until read; one reader at a time. Lives on the channel's event loop.
final class FrameInbox: ChannelInboundHandler {
    typealias InboundIn = ResponseFrame
    typealias Delivery = (Result<ResponseFrame, any Error>) -> Void

    private var frames = CircularBuffer<ResponseFrame>()
    /// The reader waiting for the next frame.
    private var waiter: Delivery?
    /// When the waiting reader's read times out, and its timeout (for the error).
    private var deadline = NIODeadline.distantFuture
    private var waiterTimeout = 0.0
    /// One timer per connection, not one per read: a read whose deadline is no earlier than the timer's
    /// keeps it, and a timer that fires before the reader's deadline sets itself again for the rest.
    private var timer: (task: Scheduled<Void>, at: NIODeadline)?
    private var failure: (any Error)?
    /// The channel's loop. Not the handler context's: once the channel closes the handler is removed,
    /// and frames that arrived just before the close must still be read.
    private let loop: any EventLoop

    /// Shared with the decoder: set before a POP3 command whose body it should count.
    let bodyMode: BodyMode

    init(eventLoop: any EventLoop, bodyMode: BodyMode = BodyMode()) {
        self.loop = eventLoop
        self.bodyMode = bodyMode
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if let waiter {
            self.waiter = nil
            waiter(.success(frame))
        } else {
            frames.append(frame)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(failure ?? MailClientError.closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let reported: any Error =
            if let e = error as? MailClientError { e } else if error is NIOSSLError || error is BoringSSLError {
                MailClientError.connectFailed("TLS: \(error)")
            } else if let e = error as? ByteToMessageDecoderError, case .leftoverDataWhenDone = e {
                MailClientError.closed
            } else { error }
        if failure == nil { failure = reported }
        finish(reported)
        context.close(promise: nil)
    }

    private func finish(_ error: any Error) {
        if failure == nil { failure = error }
        timer?.task.cancel()
        timer = nil
        if let waiter {
            self.waiter = nil
            waiter(.failure(error))
        }
    }

    /// All frames kept so far, or the next one to arrive.
    func nextBatch(timeout: Double) -> EventLoopFuture<[ResponseFrame]> {
        if let all = takeAll() { return loop.makeSucceededFuture(all) }
        let promise = loop.makePromise(of: [ResponseFrame].self)
        wait(timeout: timeout) { promise.completeWith($0.map { [$0] }) }
        return promise.futureResult
    }

    /// All frames kept so far; nil when there are none.
    func takeAll() -> [ResponseFrame]? {
        guard !frames.isEmpty else { return nil }
        defer { frames.removeAll(keepingCapacity: true) }
        return Array(frames)
    }

    func next(timeout: Double) -> EventLoopFuture<ResponseFrame> {
        let promise = loop.makePromise(of: ResponseFrame.self)
        wait(timeout: timeout) { promise.completeWith($0) }
        return promise.futureResult
    }

    /// Hands `deliver` the next frame (now when one is kept), the connection's failure, or
    /// `MailClientError.timedOut` once `timeout` real seconds pass without a frame.
    func wait(timeout: Double, _ deliver: @escaping Delivery) {
        if let frame = frames.popFirst() { return deliver(.success(frame)) }
        if let failure { return deliver(.failure(failure)) }
        precondition(waiter == nil, "one reader at a time")
        waiter = deliver
        waiterTimeout = timeout
        deadline = loop.now + .milliseconds(Int64(timeout * 1000))
        if let timer, timer.at <= deadline { return }
        timer?.task.cancel()
        arm(at: deadline)
    }

    private func arm(at deadline: NIODeadline) {
        let bound = NIOLoopBound(self, eventLoop: loop)
        timer = (loop.scheduleTask(deadline: deadline) { bound.value.timerFired() }, deadline)
    }

    private func timerFired() {
        timer = nil
        guard let waiter else { return }
        guard loop.now >= deadline else { return arm(at: deadline) }
        self.waiter = nil
        waiter(.failure(MailClientError.timedOut(seconds: waiterTimeout)))
    }
}
