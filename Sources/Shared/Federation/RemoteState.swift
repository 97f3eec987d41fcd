/// What the aggregator pushes to one DC with `PUT /v1/remote-state`: for each service, the other
/// DCs' instances as localities with the priority and weight the merge computed.
public struct RemoteState: Codable, Sendable, Equatable {
    /// Derived from `services` alone: identical merges give identical versions on every aggregator.
    public var version: String
    public var generatedBy: String
    /// The sending aggregator's monotonic counter; an older one than already applied is refused (409).
    public var generation: UInt64
    public var services: [String: RemoteService]

    public init(version: String, generatedBy: String, generation: UInt64, services: [String: RemoteService]) {
        self.version = version
        self.generatedBy = generatedBy
        self.generation = generation
        self.services = services
    }

    public static let empty = RemoteState(version: "", generatedBy: "", generation: 0, services: [:])
}

/// The remote part of one service's endpoints in one destination DC.
public struct RemoteService: Codable, Sendable, Equatable, Hashable {
    public var localities: [RemoteLocality]
    /// Set with a traffic split: the locality weight of the destination DC's own instances.
    public var localWeight: Int?

    public init(localities: [RemoteLocality], localWeight: Int? = nil) {
        self.localities = localities
        self.localWeight = localWeight
    }
}

/// Another DC's instances of a service, at a priority (1 = first failover; 0 = shares traffic with the
/// local DC under a split) and an optional locality weight.
public struct RemoteLocality: Codable, Sendable, Equatable, Hashable {
    public var datacenter: String
    public var priority: Int
    public var weight: Int?
    public var instances: [WireInstance]

    public init(datacenter: String, priority: Int, weight: Int? = nil, instances: [WireInstance]) {
        self.datacenter = datacenter
        self.priority = priority
        self.weight = weight
        self.instances = instances
    }
}
