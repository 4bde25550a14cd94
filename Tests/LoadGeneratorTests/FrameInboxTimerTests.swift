import NIOCore
import NIOEmbedded
import Testing

@testable import MailClient

/// The inbox keeps one timer per connection instead of one per read; a read still times out after
/// its own timeout, never earlier and never later.
@Suite struct FrameInboxTimerTests {
    final class Box: @unchecked Sendable {
        // Only touched on the EmbeddedEventLoop's (the test's) thread.
        var results: [Result<ResponseFrame, any Error>] = []
    }

    func setUp() throws -> (EmbeddedEventLoop, EmbeddedChannel, FrameInbox) {
        let loop = EmbeddedEventLoop()
        let inbox = FrameInbox(eventLoop: loop)
        let channel = EmbeddedChannel(handler: inbox, loop: loop)
        return (loop, channel, inbox)
    }

    static func timedOut(_ result: Result<ResponseFrame, any Error>?) -> Double? {
        guard case .failure(let error) = result, case .timedOut(let s) = error as? MailClientError else { return nil }
        return s
    }

    @Test func aLaterReadTimesOutAfterItsOwnTimeout() throws {
        let (loop, channel, inbox) = try setUp()
        let box = Box()
        inbox.wait(timeout: 2) { box.results.append($0) }
        loop.advanceTime(by: .milliseconds(500))
        try channel.writeInbound(ResponseFrame(text: "+OK"))
        #expect(box.results.count == 1)
        inbox.wait(timeout: 2) { box.results.append($0) }  // due at 2.5 s; the first timer fires at 2 s
        loop.advanceTime(by: .milliseconds(1400))
        loop.advanceTime(by: .milliseconds(500))
        #expect(box.results.count == 1)
        loop.advanceTime(by: .milliseconds(100))
        #expect(Self.timedOut(box.results.last) == 2)
    }

    @Test func aShorterTimeoutIsNotHeldUpByALongerTimer() throws {
        let (loop, channel, inbox) = try setUp()
        let box = Box()
        inbox.wait(timeout: 30) { box.results.append($0) }
        try channel.writeInbound(ResponseFrame(text: "+OK"))
        inbox.wait(timeout: 1) { box.results.append($0) }
        loop.advanceTime(by: .milliseconds(999))
        #expect(box.results.count == 1)
        loop.advanceTime(by: .milliseconds(1))
        #expect(Self.timedOut(box.results.last) == 1)
        // After the timeout the next frame still reaches the next reader.
        try channel.writeInbound(ResponseFrame(text: "+OK late"))
        inbox.wait(timeout: 1) { box.results.append($0) }
        #expect((try? box.results.last?.get().text) == "+OK late")
    }

    @Test func aCloseFailsTheReaderAndStopsTheTimer() throws {
        let (loop, channel, inbox) = try setUp()
        let box = Box()
        inbox.wait(timeout: 5) { box.results.append($0) }
        try channel.close().wait()
        #expect(throws: MailClientError.closed) { try box.results.last?.get() }
        loop.advanceTime(by: .seconds(10))
        #expect(box.results.count == 1)
    }
}
