import EnvoyAPI
import GRPCCore
import GRPCProtobuf
import Logging

/// The ADS gRPC service: registers both ADS methods and hands each stream to an `ADSStream`; knows no resources.
/// Registered by hand instead of through the generated protocol so that responses go out as `EncodedResponse`s,
/// whose shared body is serialised once per group rather than once per stream.
public struct AggregatedDiscoveryService: RegistrableRPCService {
    private typealias Methods = Envoy_Service_Discovery_V3_AggregatedDiscoveryService.Method
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

    public func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(
            forMethod: Methods.StreamAggregatedResources.descriptor,
            deserializer: ProtobufDeserializer<DiscoveryRequest>(),
            serializer: EncodedResponseSerializer(),
            handler: { request, _ in handle(request, with: SotWProtocol.self, metrics: sotwMetrics) })
        router.registerHandler(
            forMethod: Methods.DeltaAggregatedResources.descriptor,
            deserializer: ProtobufDeserializer<DeltaDiscoveryRequest>(),
            serializer: EncodedResponseSerializer(),
            handler: { request, _ in handle(request, with: DeltaProtocol.self, metrics: deltaMetrics) })
    }

    private func handle<Machine: DiscoveryProtocol>(
        _ request: StreamingServerRequest<Machine.Request>, with machine: Machine.Type, metrics: XDSMetrics
    ) -> StreamingServerResponse<EncodedResponse> {
        StreamingServerResponse { writer in
            let stream = ADSStream<Machine>(
                cache: cache, registry: registry, metrics: metrics, controlPlaneId: controlPlaneId, logger: logger)
            try await stream.run(requests: request.messages, writer: writer)
            return [:]
        }
    }
}
