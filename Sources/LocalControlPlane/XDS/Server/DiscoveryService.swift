import EnvoyAPI
import GRPCCore
import GRPCProtobuf
import Logging

/// One xDS gRPC service: ADS, or one of the per-type services (CDS, EDS, LDS, RDS, SDS) that Envoys without `ads: true`
/// use, envoy-control's xds mode. Each registers its state-of-the-world and delta methods and hands every stream to an
/// `ADSStream` running the same protocol machines; it knows no resources. Registered by hand instead of through
/// generated protocols so that responses go out as `EncodedResponse`s, whose shared body is serialised once per
/// group rather than once per stream.
public struct DiscoveryService: RegistrableRPCService {
    /// The gRPC service name and its two methods, and the one type its streams may ask for (nil: any, for ADS).
    struct Endpoint: Sendable {
        let service: String
        let stateOfTheWorld: String
        let delta: String
        let type: ResourceType?
    }

    static let aggregated = Endpoint(
        service: "envoy.service.discovery.v3.AggregatedDiscoveryService", stateOfTheWorld: "StreamAggregatedResources",
        delta: "DeltaAggregatedResources", type: nil)
    static let perType: [Endpoint] = [
        Endpoint(service: "envoy.service.cluster.v3.ClusterDiscoveryService", stateOfTheWorld: "StreamClusters", delta: "DeltaClusters", type: .cluster),
        Endpoint(
            service: "envoy.service.endpoint.v3.EndpointDiscoveryService", stateOfTheWorld: "StreamEndpoints", delta: "DeltaEndpoints",
            type: .endpoint),
        Endpoint(
            service: "envoy.service.listener.v3.ListenerDiscoveryService", stateOfTheWorld: "StreamListeners", delta: "DeltaListeners",
            type: .listener),
        Endpoint(service: "envoy.service.route.v3.RouteDiscoveryService", stateOfTheWorld: "StreamRoutes", delta: "DeltaRoutes", type: .route),
        Endpoint(
            service: "envoy.service.secret.v3.SecretDiscoveryService", stateOfTheWorld: "StreamSecrets", delta: "DeltaSecrets",
            type: .secret),
    ]

    private let endpoint: Endpoint
    private let context: StreamContext

    /// ADS and the five per-type services, sharing one cache and stream registry. `nodeAuthentication`: how an Envoy
    /// proves its service before it gets that service's certificate (nil: this control plane issues none).
    public static func all(
        cache: SnapshotCache, registry: StreamRegistry, controlPlaneId: String, properties: SnapshotProperties = SnapshotProperties(),
        nodeAuthentication: SidecarCertificateSettings.NodeAuthentication? = nil
    ) -> [DiscoveryService] {
        let context = StreamContext(
            cache: cache, registry: registry, controlPlaneId: controlPlaneId, properties: properties, nodeAuthentication: nodeAuthentication)
        return ([aggregated] + perType).map { DiscoveryService(endpoint: $0, context: context) }
    }

    public func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(
            forMethod: MethodDescriptor(fullyQualifiedService: endpoint.service, method: endpoint.stateOfTheWorld),
            deserializer: NodeDeferringDeserializer<DiscoveryRequest>(nodeField: SotWProtocol.nodeField),
            serializer: EncodedResponseSerializer(),
            handler: { request, server in handle(request, from: PeerIdentity(server), with: SotWProtocol.self, metrics: context.sotwMetrics) })
        router.registerHandler(
            forMethod: MethodDescriptor(fullyQualifiedService: endpoint.service, method: endpoint.delta),
            deserializer: NodeDeferringDeserializer<DeltaDiscoveryRequest>(nodeField: DeltaProtocol.nodeField),
            serializer: EncodedResponseSerializer(),
            handler: { request, server in handle(request, from: PeerIdentity(server), with: DeltaProtocol.self, metrics: context.deltaMetrics) })
    }

    private func handle<Machine: DiscoveryProtocol>(
        _ request: StreamingServerRequest<IncomingRequest<Machine.Request>>, from peer: PeerIdentity, with machine: Machine.Type, metrics: XDSMetrics
    ) -> StreamingServerResponse<EncodedResponse> {
        StreamingServerResponse { writer in
            let stream = ADSStream<Machine>(context: context, metrics: metrics, onlyType: endpoint.type, peer: peer)
            try await stream.run(requests: request.messages, writer: writer)
            return [:]
        }
    }
}

/// What every xDS stream shares. A class: the settings alone are about 1.7 KB, and a value would be copied into every
/// stream's long-lived async frames (tens of KB per stream, measured).
final class StreamContext: Sendable {
    let cache: SnapshotCache
    let registry: StreamRegistry
    let controlPlaneId: String
    let properties: SnapshotProperties
    let nodeAuthentication: SidecarCertificateSettings.NodeAuthentication?
    let sotwMetrics = XDSMetrics(protocolName: SotWProtocol.protocolName)
    let deltaMetrics = XDSMetrics(protocolName: DeltaProtocol.protocolName)
    let logger = Logger(label: "xds")

    init(
        cache: SnapshotCache, registry: StreamRegistry, controlPlaneId: String, properties: SnapshotProperties,
        nodeAuthentication: SidecarCertificateSettings.NodeAuthentication?
    ) {
        (self.cache, self.registry, self.controlPlaneId) = (cache, registry, controlPlaneId)
        (self.properties, self.nodeAuthentication) = (properties, nodeAuthentication)
    }
}
