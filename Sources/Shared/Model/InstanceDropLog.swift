import Logging
import Metrics

/// Makes dropped instances visible: one warning per batch (the first few named) and a counter per reason.
public struct InstanceDropLog: Sendable {
    /// `instances_dropped_total{reason, source}` in both executables.
    public static let metric = "instances_dropped_total"

    private let source: String
    private let logger: Logger

    /// `source`: where the instances came from (`file`, `consul`, or the DC the aggregator polled).
    public init(source: String, logger: Logger) {
        self.source = source
        self.logger = logger
    }

    public func report(_ drops: [InstanceRules.Drop]) {
        guard !drops.isEmpty else { return }
        for drop in drops {
            Counter(label: Self.metric, dimensions: [("reason", drop.reason.rawValue), ("source", source)]).increment()
        }
        logger.warning("instances dropped; their services keep the others", metadata: [
            "source": "\(source)", "count": "\(drops.count)", "first": "\(drops.prefix(5).map(\.description))",
        ])
    }
}
