import NIOCore
import NIOPosix

/// Runs a task's jobs on one NIO event loop. A session driven from a task that prefers this executor,
/// with its connection on the same loop (`MailConnection.onOneEventLoop`), reads and writes its channel
/// on the loop's own thread: no wake-up of another thread for each command and each answer.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

extension MailConnection {
    /// The loop `connect` uses when none is given: set by `onOneEventLoop`.
    @TaskLocal static var preferredLoop: (any EventLoop)?

    /// Runs `operation` with its jobs on one loop of `group`, and connects the connections it opens on
    /// that loop, so a client session costs no thread hop per command. What the sessions send and read
    /// is the same as without it; only the threads differ. A load generator runs each operation so.
    public static func onOneEventLoop<T>(
        of group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, _ operation: () async -> T
    ) async -> T {
        let loop = group.next()
        return await $preferredLoop.withValue(loop) {
            await withTaskExecutorPreference(EventLoopTaskExecutor(loop)) { await operation() }
        }
    }
}
