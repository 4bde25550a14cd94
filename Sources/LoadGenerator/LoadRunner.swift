import Foundation
import Synchronization

/// How a load run goes: the mix, the loop, how long, what mail operations do, and the gates.
public struct LoadSettings: Sendable {
    public var mix: LoadMix
    /// Simulated handlers: all busy all the time (closed loop), or the pool operations wait for (open loop).
    public var clients: Int
    /// Operations started per second; nil: closed loop.
    public var rate: Double?
    /// Measured window and warm-up before it, seconds.
    public var duration: Double
    public var warmup: Double
    /// Read timeout of each command or HTTP request, seconds.
    public var timeout: Double
    public var work = MailWork()
    public var maxErrorRate: Double?
    public var maxP99Milliseconds: Double?

    public init(mix: LoadMix, clients: Int, rate: Double? = nil, duration: Double, warmup: Double, timeout: Double) {
        self.mix = mix
        self.clients = clients
        self.rate = rate
        self.duration = duration
        self.warmup = warmup
        self.timeout = timeout
    }
}

/// Runs the load against a target and reports.
public enum LoadRunner {
    /// `progress` gets one line per `progressInterval` seconds (nil: none).
    public static func run(
        _ settings: LoadSettings, target: LoadTarget, progressInterval: Double? = nil,
        progress: (@Sendable (String) -> Void)? = nil
    ) async -> LoadReport {
        let operations = Operations(target: target, work: settings.work, timeout: settings.timeout)
        let recorder = LoadRecorder()
        let clock = ContinuousClock()
        let sequence = settings.mix.sequence
        let start = clock.now
        let measured = start.advanced(by: .seconds(settings.warmup))
        let end = measured.advanced(by: .seconds(settings.duration))
        let operation: LoadLoop<ContinuousClock>.Operation<SimulatedHandler> = { handler, n, started in
            let kind = sequence[n % sequence.count]
            let result = await operations.run(kind, &handler)
            recorder.record(kind, result, latency: started.duration(to: clock.now), counted: started >= measured)
        }
        let cpu = CPUWindow()
        let cpuMark = Task {
            try? await clock.sleep(until: measured, tolerance: nil)
            cpu.mark()
        }
        let watcher = Task {
            guard let progress, let progressInterval, progressInterval > 0 else { return }
            var line = ProgressLine(start: start, clock: clock, warmupEnd: measured)
            while !Task.isCancelled {
                try? await clock.sleep(for: .seconds(progressInterval))
                if Task.isCancelled { break }
                progress(line.next(recorder.takeInterval()))
            }
        }
        let loop = LoadLoop(clock: clock)
        if let rate = settings.rate {
            await loop.open(
                handlers: target.handlers, start: start, interval: .seconds(1 / rate), end: end, operation)
        } else {
            await loop.closed(handlers: target.handlers, end: end, operation)
        }
        await cpuMark.value
        cpu.mark()
        watcher.cancel()
        return LoadReport.make(
            totals: recorder.totals(), mix: settings.mix, settings: settings, target: target.name,
            cpuSeconds: cpu.seconds)
    }
}

/// This process's CPU time between two marks (the warm-up's end and the run's end).
final class CPUWindow: Sendable {
    private let marks = Mutex<[Double]>([])

    func mark() {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        let seconds = Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
        marks.withLock { $0.append(seconds) }
    }

    var seconds: Double { marks.withLock { $0.count >= 2 ? $0[$0.count - 1] - $0[0] : 0 } }
}

/// The progress line: elapsed time, ops/s per kind over the last interval, errors so far, p99.
struct ProgressLine {
    let start: ContinuousClock.Instant
    let clock: ContinuousClock
    let warmupEnd: ContinuousClock.Instant
    var last: ContinuousClock.Instant
    var errors = 0

    init(start: ContinuousClock.Instant, clock: ContinuousClock, warmupEnd: ContinuousClock.Instant) {
        self.start = start
        self.clock = clock
        self.warmupEnd = warmupEnd
        self.last = clock.now
    }

    mutating func next(_ interval: [LoadKind: KindStats]) -> String {
        let now = clock.now
        let seconds = max(last.duration(to: now) / .seconds(1), 0.001)
        last = now
        let elapsed = start.duration(to: now) / .seconds(1)
        var parts = [String(format: "%6.1fs", elapsed) + (now < warmupEnd ? " warm-up" : "")]
        var p99 = 0.0
        for (kind, stats) in interval.sorted(by: { $0.key < $1.key }) {
            parts.append("\(kind.rawValue) \(LoadReport.number(Double(stats.ops) / seconds))/s")
            errors += stats.errors
            p99 = max(p99, stats.milliseconds(atPercentile: 99))
        }
        parts.append("errors \(errors)")
        parts.append("p99 \(LoadReport.milliseconds(p99))")
        return parts.joined(separator: "  ")
    }
}
