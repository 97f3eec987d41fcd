import Foundation
import Metrics

/// The Consul watcher's metrics (names in MetricNames, documented in docs/METRICS.md); handles are made once,
/// not per request.
struct ConsulMetrics: Sendable {
    enum Endpoint: String, Sendable, CaseIterable {
        case services
        case health
    }

    let updates = Counter(label: MetricNames.registryUpdates, dimensions: [(MetricNames.sourceLabel, "consul")])
    let lastSuccess = Gauge(label: MetricNames.consulLastSuccess)
    let watches = Gauge(label: MetricNames.consulWatches)
    private let registryErrors = Counter(label: MetricNames.registryErrors, dimensions: [(MetricNames.sourceLabel, "consul")])
    private let latency: [Endpoint: Metrics.Timer]
    private let errors: [Endpoint: Counter]

    init() {
        var latency: [Endpoint: Metrics.Timer] = [:]
        var errors: [Endpoint: Counter] = [:]
        for endpoint in Endpoint.allCases {
            let dimensions = [(MetricNames.endpointLabel, endpoint.rawValue)]
            latency[endpoint] = Metrics.Timer(label: MetricNames.consulWatchSeconds, dimensions: dimensions)
            errors[endpoint] = Counter(label: MetricNames.consulWatchErrors, dimensions: dimensions)
        }
        self.latency = latency
        self.errors = errors
    }

    func succeeded(_ endpoint: Endpoint, after duration: Duration) {
        latency[endpoint]?.record(duration: duration)
        lastSuccess.record(Date().timeIntervalSince1970)
    }

    func failed(_ endpoint: Endpoint) {
        errors[endpoint]?.increment()
        registryErrors.increment()
    }
}
