import EnvoyAPI
import GRPCCore
import Logging

/// The ADS gRPC service: translates the generated service protocol to `ADSStream`s; knows no resources.
public struct AggregatedDiscoveryService: Envoy_Service_Discovery_V3_AggregatedDiscoveryService.SimpleServiceProtocol {
    private let cache: SnapshotCache
    private let registry: StreamRegistry
    private let controlPlaneId: String
    private let sotwMetrics = XDSMetrics(protocolName: SotWProtocol.protocolName)
    private let deltaMetrics = XDSMetrics(protocolName: DeltaProtocol.protocolName)
    private let logger = Logger(label: "xds.ads")

    public init(cache: SnapshotCache, registry: StreamRegistry, controlPlaneId: String) {
        self.cache = cache
        self.registry = registry
        self.controlPlaneId = controlPlaneId
    }

    public func streamAggregatedResources(
        request: RPCAsyncSequence<Envoy_Service_Discovery_V3_DiscoveryRequest, any Error>,
        response: RPCWriter<Envoy_Service_Discovery_V3_DiscoveryResponse>,
        context: ServerContext
    ) async throws {
        let stream = ADSStream<SotWProtocol>(
            cache: cache, registry: registry, metrics: sotwMetrics, controlPlaneId: controlPlaneId, logger: logger)
        try await stream.run(requests: request, writer: response)
    }

    public func deltaAggregatedResources(
        request: RPCAsyncSequence<Envoy_Service_Discovery_V3_DeltaDiscoveryRequest, any Error>,
        response: RPCWriter<Envoy_Service_Discovery_V3_DeltaDiscoveryResponse>,
        context: ServerContext
    ) async throws {
        let stream = ADSStream<DeltaProtocol>(
            cache: cache, registry: registry, metrics: deltaMetrics, controlPlaneId: controlPlaneId, logger: logger)
        try await stream.run(requests: request, writer: response)
    }
}
