import ExomockLimits
import Histogram
import Synchronization

/// What one operation did: message bytes and messages read, or why it failed.
public struct OperationResult: Sendable, Equatable {
    /// Message bytes read (IMAP literals, POP3 bodies) or, for `refresh`, the answer's body bytes.
    public var bytes: Int
    public var messages: Int
    public var error: ErrorClass?

    public init(bytes: Int = 0, messages: Int = 0, error: ErrorClass? = nil) {
        self.bytes = bytes
        self.messages = messages
        self.error = error
    }

    public static func failed(_ error: ErrorClass, bytes: Int = 0, messages: Int = 0) -> OperationResult {
        OperationResult(bytes: bytes, messages: messages, error: error)
    }
}

/// Counts and latencies of one kind. Latency (microseconds) is recorded for operations that
/// succeeded; a failed operation counts under `errors` and its class.
public struct KindStats: Sendable {
    public var ops = 0
    public var errors = 0
    public var bytes = 0
    public var messages = 0
    public var latency = Histogram<UInt64>(
        highestTrackableValue: Limits.loadHighestTrackableMicroseconds, numberOfSignificantValueDigits: .three)
    public var errorClasses: [ErrorClass: Int] = [:]

    public init() {}

    mutating func add(_ result: OperationResult, microseconds: UInt64, errorClass: ErrorClass?) {
        ops += 1
        bytes += result.bytes
        messages += result.messages
        if let errorClass {
            errors += 1
            errorClasses[errorClass, default: 0] += 1
        } else {
            _ = latency.record(min(max(microseconds, 1), Limits.loadHighestTrackableMicroseconds))
        }
    }

    /// Latency at a percentile, in milliseconds (0 with no successful operation).
    public func milliseconds(atPercentile p: Double) -> Double {
        latency.totalCount == 0 ? 0 : Double(latency.valueAtPercentile(p)) / 1000
    }

    public var maxMilliseconds: Double { latency.totalCount == 0 ? 0 : Double(latency.max) / 1000 }
}

/// Collects every operation's outcome from many tasks: totals for the measured window, and an
/// interval view for the progress line that `takeInterval()` resets.
public final class LoadRecorder: Sendable {
    struct State {
        var totals: [LoadKind: KindStats] = [:]
        var interval: [LoadKind: KindStats] = [:]
        /// Classes seen so far (bounded by `Limits.loadMaximumErrorClasses`).
        var classes: Set<ErrorClass> = []
    }
    private let state = Mutex(State())

    public init() {}

    /// Records one operation. `counted`: it started inside the measured window (not in the warm-up).
    public func record(_ kind: LoadKind, _ result: OperationResult, latency: Duration, counted: Bool) {
        let micros = UInt64(max(0, latency / .microseconds(1)))
        state.withLock { state in
            var errorClass = result.error
            if let error = errorClass, !state.classes.contains(error) {
                if state.classes.count < Limits.loadMaximumErrorClasses {
                    state.classes.insert(error)
                } else {
                    errorClass = .other
                }
            }
            state.interval[kind, default: KindStats()].add(result, microseconds: micros, errorClass: errorClass)
            if counted {
                state.totals[kind, default: KindStats()].add(result, microseconds: micros, errorClass: errorClass)
            }
        }
    }

    /// Operations since the last call (warm-up included), and a fresh interval.
    public func takeInterval() -> [LoadKind: KindStats] {
        state.withLock { state in
            defer { state.interval = [:] }
            return state.interval
        }
    }

    /// Everything counted in the measured window.
    public func totals() -> [LoadKind: KindStats] { state.withLock { $0.totals } }
}
