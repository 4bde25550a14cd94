import Determinism
import ExomockLimits
import Foundation
import Synchronization

/// A message submitted over SMTP to addresses outside the scenario: kept here, shown by the admin API
/// (`GET /outbox`), never sent anywhere.
public struct OutboxMessage: Sendable, Equatable, Codable {
    /// 1, 2, ... in submission order.
    public var sequence: Int
    /// When it was accepted, on the virtual clock (RFC 3339).
    public var accepted: String
    public var cloud: String
    /// The mailbox that authenticated.
    public var mailbox: String
    /// `MAIL FROM`.
    public var from: String
    /// The recipients outside the scenario (local ones got the message in their Inbox).
    public var recipients: [String]
    public var messageID: String
    public var size: Int
    /// The message as submitted (UTF-8, invalid bytes replaced).
    public var content: String

    enum CodingKeys: String, CodingKey {
        case sequence, accepted, cloud, mailbox, from, recipients, size, content
        case messageID = "message_id"
    }
}

/// Every cloud's outbound mail, newest last, bounded by `Limits.smtpOutboxCapacity` (the oldest go first).
public final class Outbox: Sendable {
    private struct State {
        var messages: [OutboxMessage] = []
        var next = 1
    }

    private let state = Mutex(State())
    private let clock: VirtualClock
    public let capacity: Int

    public init(clock: VirtualClock, capacity: Int = Limits.smtpOutboxCapacity) {
        self.clock = clock
        self.capacity = max(1, capacity)
    }

    /// Keeps a message; returns its sequence number.
    @discardableResult
    public func add(
        cloud: String, mailbox: String, from: String, recipients: [String], messageID: String, content: [UInt8]
    ) -> Int {
        let accepted = Timestamps.rfc3339(clock.now())
        return state.withLock { state in
            let message = OutboxMessage(
                sequence: state.next, accepted: accepted, cloud: cloud, mailbox: mailbox, from: from,
                recipients: recipients,
                messageID: messageID, size: content.count, content: String(decoding: content, as: UTF8.self))
            state.next += 1
            state.messages.append(message)
            if state.messages.count > capacity { state.messages.removeFirst(state.messages.count - capacity) }
            return message.sequence
        }
    }

    /// The messages kept, oldest first.
    public var messages: [OutboxMessage] { state.withLock { $0.messages } }
}
