import Metrics

/// The xDS counters, created once per type and protocol so the hot path only increments.
struct XDSMetrics: Sendable {
    /// Indexed by `ResourceType.pushOrder`.
    private let responseCounters: [Counter]
    private let ackCounters: [Counter]
    private let nackCounters: [Counter]
    let rejectedStreams: Counter
    /// Envoys that asked for a sidecar certificate without proving they are the service.
    let certificateRefusals = Counter(label: MetricNames.sidecarCertificateRefusals)
    /// From a change reaching the cache to a stream's ACK of the response that carried it.
    let changePropagation = Metrics.Timer(label: MetricNames.changePropagationSeconds)

    init(protocolName: String) {
        func counters(_ label: String) -> [Counter] {
            ResourceType.pushOrdered.map { type in
                Counter(label: label, dimensions: [(MetricNames.typeLabel, type.shortName), (MetricNames.protocolLabel, protocolName)])
            }
        }
        responseCounters = counters(MetricNames.responses)
        ackCounters = counters(MetricNames.acks)
        nackCounters = counters(MetricNames.nacks)
        rejectedStreams = Counter(label: MetricNames.rejectedStreams, dimensions: [(MetricNames.protocolLabel, protocolName)])
    }

    func responses(_ type: ResourceType) -> Counter { responseCounters[type.pushOrder] }
    func acks(_ type: ResourceType) -> Counter { ackCounters[type.pushOrder] }
    func nacks(_ type: ResourceType) -> Counter { nackCounters[type.pushOrder] }
    /// Node metadata keys accepted but not acted on (a stream open, not the hot path).
    func unsupportedMetadata(_ key: String) -> Counter {
        Counter(label: MetricNames.unsupportedMetadata, dimensions: [(MetricNames.keyLabel, key)])
    }
}
