import Foundation

/// The figures of one load run, as JSON (for scripts) and as Markdown rows (for docs/PERFORMANCE.md).
public struct LoadReport: Codable, Sendable {
    public struct Latencies: Codable, Sendable {
        public var count = 0
        public var p50Seconds = 0.0
        public var p99Seconds = 0.0
        public var maxSeconds = 0.0

        init(_ values: [Duration]) {
            let sorted = values.map(\.seconds).sorted()
            guard !sorted.isEmpty else { return }
            count = sorted.count
            p50Seconds = Self.percentile(sorted, 0.50)
            p99Seconds = Self.percentile(sorted, 0.99)
            maxSeconds = sorted.last!
        }

        private static func percentile(_ sorted: [Double], _ p: Double) -> Double {
            sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * p).rounded(.up)) - 1))]
        }
    }

    /// The control plane's own `xds_change_propagation_seconds` over the sustained phase (bucket bounds).
    public struct ControlPlaneView: Codable, Sendable {
        public var acks: Int
        public var p50AtMostSeconds: Double?
        public var p99AtMostSeconds: Double?
    }

    public var target: String
    public var scenario: LoadScenario
    public var initialConfigSeconds: Double?
    public var configuredStreams = 0
    /// One change at a time to the service every group uses (every stream receives it), after the last one settled.
    public var singleChange = Latencies([])
    /// One change at a time to a service only one group uses.
    public var singleSmallChange = Latencies([])
    /// Median server CPU seconds of one change to a service every group uses, per 1,000 streams receiving it.
    public var singleChangeCPUSecondsPer1000Streams: Double?
    public var sustainedChange = Latencies([])
    public var sustainedArrival = Latencies([])
    /// How long the change source took to accept each change: every change's latency includes it, and when it grows
    /// the load generator, not the server, is the bottleneck.
    public var sustainedSend = Latencies([])
    public var sustainedBacklog: [Int] = []
    public var sustainedControlPlaneView: ControlPlaneView?
    public var sustainedDrainSeconds: Double?
    public var sustainedCPUPercent: Double?
    /// This process (the simulated Envoys) shares the machine: when it needs most of it, latencies are its own too.
    public var sustainedLoadGeneratorCPUPercent: Double?
    public var restartReconfigureSeconds: Double?
    public var residentMegabytesPeak: Double?
    public var residentMegabytesAfterConnect: Double?
    public var connectCPUSeconds: Double?
    public var resourceBytesReceived = 0
    public var reconnects = 0

    public func markdown() -> String {
        func seconds(_ value: Double?) -> String { value.map { String(format: "%.2f s", $0) } ?? "not reached" }
        func latencies(_ l: Latencies) -> String {
            l.count == 0 ? "none" : String(format: "p50 %.3f s, p99 %.3f s, max %.3f s (n=%d)", l.p50Seconds, l.p99Seconds, l.maxSeconds, l.count)
        }
        let rows: [(String, String)] = [
            ("target", target),
            ("streams / connections / groups / deps (+shared)", "\(scenario.streams) / \(scenario.connectionCount) / \(scenario.groups) / \(scenario.dependencies) (+\(scenario.sharedDependencies)), \(scenario.xdsProtocol.rawValue)"),
            ("catalog", "\(scenario.services) services × \(scenario.instances) instances"),
            ("all streams configured", "\(seconds(initialConfigSeconds)) (\(configuredStreams) streams)"),
            ("control-plane CPU while connecting", connectCPUSeconds.map { String(format: "%.1f s", $0) } ?? "n/a"),
            ("resident memory after connect / peak", "\(residentMegabytesAfterConnect.map { String(format: "%.0f MB", $0) } ?? "n/a") / \(residentMegabytesPeak.map { String(format: "%.0f MB", $0) } ?? "n/a")"),
            ("one change to the shared service → every stream has it", latencies(singleChange)),
            ("one change to one group's service → its streams have it", latencies(singleSmallChange)),
            ("server CPU per change per 1,000 receiving streams (median, shared service)",
             singleChangeCPUSecondsPer1000Streams.map { String(format: "%.0f ms", $0 * 1000) } ?? "n/a"),
            ("requests carry the node", scenario.nodeOnFirstMessageOnly ? "first only" : "every request (Envoy's default)"),
            ("sustained \(scenario.changeRate)/s for \(scenario.sustainSeconds) s: per change", latencies(sustainedChange)),
            ("sustained: per stream arrival", latencies(sustainedArrival)),
            ("sustained: change accepted by the source (part of every change's time)", latencies(sustainedSend)),
            ("sustained: control plane's own change → ACK (xds_change_propagation_seconds)", sustainedControlPlaneView.map {
                "p50 \($0.p50AtMostSeconds.map { "≤ \($0) s" } ?? "beyond the last bucket"), p99 \($0.p99AtMostSeconds.map { "≤ \($0) s" } ?? "beyond the last bucket") (\($0.acks) ACKs)"
            } ?? "n/a"),
            ("sustained: pending changes sampled each second (max / last)", "\(sustainedBacklog.max() ?? 0) / \(sustainedBacklog.last ?? 0)"),
            ("sustained: control-plane CPU", sustainedCPUPercent.map { String(format: "%.0f %% of one core", $0) } ?? "n/a"),
            ("sustained: load generator CPU", sustainedLoadGeneratorCPUPercent.map { String(format: "%.0f %% of one core", $0) } ?? "n/a"),
            ("drain after sustained phase", seconds(sustainedDrainSeconds)),
            ("kill -9 and restart → all configured again", restartReconfigureSeconds.map { String(format: "%.2f s", $0) } ?? "not run"),
            ("resource bytes received", String(format: "%.1f MB", Double(resourceBytesReceived) / 1_000_000)),
        ]
        return (["| measure | value |", "|---|---|"] + rows.map { "| \($0.0) | \($0.1) |" }).joined(separator: "\n")
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
