import Foundation
import Metrics
import Prometheus

/// Owns the Prometheus registry behind swift-metrics; `/metrics` renders it.
public struct MetricsBootstrap: Sendable {
    public let registry: PrometheusCollectorRegistry

    /// Installs the Prometheus factory as the process-wide metrics backend; call once per process.
    public static func bootstrap() -> MetricsBootstrap {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10),
        ]
        // Value recorders measure sizes in bytes (snapshots): 1 KiB … 4 MiB.
        factory.defaultValueHistogramBuckets = (0...12).map { 1024 * pow(2, Double($0)) }
        MetricsSystem.bootstrap(factory)
        return MetricsBootstrap(registry: registry)
    }

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// The Prometheus text exposition of every metric.
    public func render() -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
