import Foundation
import Metrics

/// The Consul watcher's metrics (names in MetricNames, documented in docs/METRICS.md).
struct ConsulMetrics: Sendable {
    enum Endpoint: String, Sendable {
        case services
        case health
    }

    let updates = Counter(label: MetricNames.registryUpdates, dimensions: [(MetricNames.sourceLabel, "consul")])
    let lastSuccess = Gauge(label: MetricNames.consulLastSuccess)
    let watches = Gauge(label: MetricNames.consulWatches)
    private let registryErrors = Counter(label: MetricNames.registryErrors, dimensions: [(MetricNames.sourceLabel, "consul")])

    func succeeded(_ endpoint: Endpoint, after duration: Duration) {
        Metrics.Timer(label: MetricNames.consulWatchSeconds, dimensions: [(MetricNames.endpointLabel, endpoint.rawValue)])
            .record(duration: duration)
        lastSuccess.record(Date().timeIntervalSince1970)
    }

    func failed(_ endpoint: Endpoint) {
        Counter(label: MetricNames.consulWatchErrors, dimensions: [(MetricNames.endpointLabel, endpoint.rawValue)]).increment()
        registryErrors.increment()
    }
}
