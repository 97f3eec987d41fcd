/// The xDS resource types this control plane serves, in the order updates are pushed (SDS → CDS → EDS → LDS → RDS),
/// so an Envoy never receives a route to a cluster it does not know yet, nor a TLS context before its secret.
public enum ResourceType: String, CaseIterable, Sendable, Comparable {
    case secret = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret"
    case cluster = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
    case endpoint = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
    case listener = "type.googleapis.com/envoy.config.listener.v3.Listener"
    case route = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"

    public var typeURL: String { rawValue }

    /// The short name operators know from Envoy's stats and docs; also the metrics label.
    public var shortName: String {
        switch self {
        case .secret: "SDS"
        case .cluster: "CDS"
        case .endpoint: "EDS"
        case .listener: "LDS"
        case .route: "RDS"
        }
    }

    /// CDS and LDS are wildcard by default: an empty request means "everything for me".
    public var isWildcardByDefault: Bool { self == .cluster || self == .listener }

    private var pushOrder: Int { Self.allCases.firstIndex(of: self)! }

    public static func < (lhs: ResourceType, rhs: ResourceType) -> Bool { lhs.pushOrder < rhs.pushOrder }
}
