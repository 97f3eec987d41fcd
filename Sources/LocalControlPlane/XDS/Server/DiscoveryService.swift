import EnvoyAPI
import Logging

/// The xDS methods the control plane serves: ADS, and the per-type services (CDS, EDS, LDS, RDS, SDS) that Envoys
/// without `ads: true` use, envoy-control's xds mode, each in state-of-the-world and delta. Every call is an
/// `ADSStream` running the protocol machine its method names; it knows no resources. Responses go out as
/// `EncodedResponse`s, whose shared body is serialised once per group rather than once per stream.
public struct DiscoveryService: Sendable {
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

    /// What a request path names: the one type its streams may ask for, and the protocol variant.
    private struct Method {
        let type: ResourceType?
        let delta: Bool
    }

    private let context: StreamContext
    private let methods: [String: Method]

    /// All methods share one cache and stream registry. `nodeAuthentication`: how an Envoy proves its service before
    /// it gets that service's certificate (nil: this control plane issues none).
    public init(
        cache: SnapshotCache, registry: StreamRegistry, controlPlaneId: String, properties: SnapshotProperties = SnapshotProperties(),
        nodeAuthentication: SidecarCertificateSettings.NodeAuthentication? = nil
    ) {
        context = StreamContext(
            cache: cache, registry: registry, controlPlaneId: controlPlaneId, properties: properties, nodeAuthentication: nodeAuthentication)
        var methods: [String: Method] = [:]
        for endpoint in [Self.aggregated] + Self.perType {
            methods["/\(endpoint.service)/\(endpoint.stateOfTheWorld)"] = Method(type: endpoint.type, delta: false)
            methods["/\(endpoint.service)/\(endpoint.delta)"] = Method(type: endpoint.type, delta: true)
        }
        self.methods = methods
    }

    /// The call a request's `:path` names on `stream`; nil for a method not served.
    public func call(_ path: String, on stream: XDSStreamHandler) -> (any XDSCall)? {
        guard let method = methods[path] else { return nil }
        let peer = PeerIdentity(connection: stream.connection)
        if method.delta {
            return ADSStream<DeltaProtocol>(context: context, metrics: context.deltaMetrics, onlyType: method.type, peer: peer, output: stream)
        }
        return ADSStream<SotWProtocol>(context: context, metrics: context.sotwMetrics, onlyType: method.type, peer: peer, output: stream)
    }
}

/// What every xDS stream shares. A class: the settings alone are about 1.7 KB, and a value would be copied into every
/// stream (tens of KB per stream, measured when streams were async frames).
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
