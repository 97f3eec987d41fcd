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

    /// `allCases`, made once: the synthesized property builds its array on every call, and every push walks it.
    static let pushOrdered = allCases

    /// CDS and LDS are wildcard by default: an empty request means "everything for me".
    public var isWildcardByDefault: Bool { self == .cluster || self == .listener }

    /// The declaration order. Equality, hashing and ordering use it, not the raw value: a `String`-backed enum hashes
    /// and compares its 60-character type URL by default, and every stream looks types up in dictionaries and sorts
    /// them on each push and ACK (perf: 5 % of the control plane's CPU under sustained changes).
    var pushOrder: Int {
        switch self {
        case .secret: 0
        case .cluster: 1
        case .endpoint: 2
        case .listener: 3
        case .route: 4
        }
    }

    public static func < (lhs: ResourceType, rhs: ResourceType) -> Bool { lhs.pushOrder < rhs.pushOrder }
    public static func == (lhs: ResourceType, rhs: ResourceType) -> Bool { lhs.pushOrder == rhs.pushOrder }
    public func hash(into hasher: inout Hasher) { hasher.combine(pushOrder) }
}
