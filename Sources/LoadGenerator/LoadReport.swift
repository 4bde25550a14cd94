import Foundation

/// The final report: `--json PATH` writes it (schema `exomock-load/1`, `docs/load.md`); fields are
/// only ever added within a schema version.
public struct LoadReport: Codable, Sendable, Equatable {
    public var schema = "exomock-load/1"
    public var target: String
    /// `closed` (`--clients`) or `open` (`--rate`).
    public var mode: String
    public var clients: Int
    /// Operations started per second (open loop only).
    public var rate: Double?
    /// The measured window, seconds (warm-up not included).
    public var durationS: Double
    public var warmupS: Double
    /// This process's CPU time (user + system) over the measured window. With an in-process mock it
    /// includes the server's.
    public var cpuS: Double
    /// One entry per kind in the mix, by `LoadKind` raw value.
    public var kinds: [String: KindReport]
    public var total: Total
    /// Failed operations by class, over all kinds.
    public var errors: [String: Int]
    public var gates: Gates

    public struct Latency: Codable, Sendable, Equatable {
        public var p50: Double
        public var p90: Double
        public var p99: Double
        public var p999: Double
        public var max: Double
    }

    public struct KindReport: Codable, Sendable, Equatable {
        public var ops: Int
        public var opsPerS: Double
        public var bytes: Int
        public var bytesPerS: Double
        public var messages: Int
        public var messagesPerS: Double
        public var errors: Int
        public var errorRate: Double
        public var errorClasses: [String: Int]
        /// Of the operations that succeeded, in milliseconds.
        public var latencyMs: Latency
    }

    public struct Total: Codable, Sendable, Equatable {
        public var ops: Int
        public var opsPerS: Double
        public var errors: Int
        public var errorRate: Double
    }

    public struct Gates: Codable, Sendable, Equatable {
        public var maxErrorRate: Double?
        public var maxP99Ms: Double?
        /// What tripped, one sentence each; empty when every gate held.
        public var failures: [String]
        public var passed: Bool { failures.isEmpty }

        enum CodingKeys: String, CodingKey { case maxErrorRate, maxP99Ms, failures, passed }

        public init(maxErrorRate: Double?, maxP99Ms: Double?, failures: [String]) {
            self.maxErrorRate = maxErrorRate
            self.maxP99Ms = maxP99Ms
            self.failures = failures
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            maxErrorRate = try c.decodeIfPresent(Double.self, forKey: .maxErrorRate)
            maxP99Ms = try c.decodeIfPresent(Double.self, forKey: .maxP99Ms)
            failures = try c.decode([String].self, forKey: .failures)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(maxErrorRate, forKey: .maxErrorRate)
            try c.encode(maxP99Ms, forKey: .maxP99Ms)
            try c.encode(failures, forKey: .failures)
            try c.encode(passed, forKey: .passed)
        }
    }

    /// Builds the report from the recorder's totals and checks the gates.
    public static func make(
        totals: [LoadKind: KindStats], mix: LoadMix, settings: LoadSettings, target: String, cpuSeconds: Double
    ) -> LoadReport {
        let seconds = max(settings.duration, 0.001)
        var kinds: [String: KindReport] = [:]
        var errors: [String: Int] = [:]
        for kind in mix.kinds {
            let s = totals[kind] ?? KindStats()
            for (c, n) in s.errorClasses { errors[c.text, default: 0] += n }
            kinds[kind.rawValue] = KindReport(
                ops: s.ops, opsPerS: Double(s.ops) / seconds, bytes: s.bytes, bytesPerS: Double(s.bytes) / seconds,
                messages: s.messages, messagesPerS: Double(s.messages) / seconds, errors: s.errors,
                errorRate: s.ops == 0 ? 0 : Double(s.errors) / Double(s.ops),
                errorClasses: Dictionary(uniqueKeysWithValues: s.errorClasses.map { ($0.key.text, $0.value) }),
                latencyMs: Latency(
                    p50: s.milliseconds(atPercentile: 50), p90: s.milliseconds(atPercentile: 90),
                    p99: s.milliseconds(atPercentile: 99), p999: s.milliseconds(atPercentile: 99.9),
                    max: s.maxMilliseconds))
        }
        let ops = kinds.values.reduce(0) { $0 + $1.ops }
        let failed = kinds.values.reduce(0) { $0 + $1.errors }
        let rate = ops == 0 ? 0 : Double(failed) / Double(ops)
        var failures: [String] = []
        if let limit = settings.maxErrorRate {
            if ops == 0 {
                failures.append("no operation completed in the measured window, so the error rate cannot be checked")
            } else if rate > limit {
                failures.append(
                    "error rate \(percent(rate)) (\(failed) of \(ops)) is over --max-error-rate \(percent(limit))")
            }
        }
        if let limit = settings.maxP99Milliseconds {
            for kind in mix.kinds {
                guard let k = kinds[kind.rawValue], k.latencyMs.p99 > limit else { continue }
                failures.append(
                    "\(kind.rawValue) p99 \(milliseconds(k.latencyMs.p99)) is over --max-p99 \(milliseconds(limit))")
            }
        }
        return LoadReport(
            target: target, mode: settings.rate == nil ? "closed" : "open", clients: settings.clients,
            rate: settings.rate,
            durationS: settings.duration, warmupS: settings.warmup, cpuS: cpuSeconds, kinds: kinds,
            total: Total(ops: ops, opsPerS: Double(ops) / seconds, errors: failed, errorRate: rate), errors: errors,
            gates: Gates(maxErrorRate: settings.maxErrorRate, maxP99Ms: settings.maxP99Milliseconds, failures: failures)
        )
    }

    /// JSON with snake_case keys, sorted, ending in a newline.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data([0x0A])
    }

    public static func decode(_ data: Data) throws -> LoadReport {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(LoadReport.self, from: data)
    }

    /// The report for people: a table per kind, errors by class, the gates.
    public func text() -> String {
        var out = ["exomock load: \(target)"]
        let loop =
            rate.map { "open loop, \(Self.number($0)) ops/s over \(clients) handlers" }
            ?? "closed loop, \(clients) handlers"
        out.append(
            "  \(loop), \(Self.number(durationS)) s measured after \(Self.number(warmupS)) s warm-up, CPU \(Self.number(cpuS)) s"
        )
        out.append("")
        let header = [
            "kind", "ops", "ops/s", "msgs/s", "MB/s", "errors", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms",
        ]
        var rows = [header]
        for kind in LoadKind.allCases {
            guard let k = kinds[kind.rawValue] else { continue }
            let l = k.latencyMs
            rows.append(
                [
                    kind.rawValue, "\(k.ops)", Self.number(k.opsPerS), Self.number(k.messagesPerS),
                    Self.number(k.bytesPerS / 1e6), "\(k.errors)",
                ]
                    + [l.p50, l.p90, l.p99, l.p999, l.max].map(Self.number))
        }
        let widths = header.indices.map { i in rows.map { $0[i].count }.max() ?? 0 }
        for row in rows {
            out.append(
                "  "
                    + row.enumerated().map { i, cell in
                        i == 0
                            ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                            : String(repeating: " ", count: widths[i] - cell.count) + cell
                    }.joined(separator: "  "))
        }
        if !errors.isEmpty {
            out.append("")
            out.append("errors by class:")
            for (text, count) in errors.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
                out.append("  \(String(repeating: " ", count: max(0, 7 - "\(count)".count)))\(count)  \(text)")
            }
        }
        if gates.maxErrorRate != nil || gates.maxP99Ms != nil {
            out.append("")
            out.append(gates.passed ? "gates: passed" : "gates: FAILED")
            out += gates.failures.map { "  \($0)" }
        }
        return out.joined(separator: "\n") + "\n"
    }

    static func number(_ value: Double) -> String {
        if value == 0 { return "0" }
        if value >= 100 { return String(format: "%.0f", value) }
        if value >= 10 { return String(format: "%.1f", value) }
        return String(format: "%.2f", value)
    }

    static func percent(_ fraction: Double) -> String { "\(number(fraction * 100)) %" }
    static func milliseconds(_ value: Double) -> String { "\(number(value)) ms" }
}
