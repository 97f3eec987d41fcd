/// What the aggregator pushes to one DC with `PUT /v1/remote-state`: for each service, the other
/// DCs' instances as localities with the priority and weight the merge computed.
public struct RemoteState: Codable, Sendable, Equatable {
    /// Derived from `services` alone: identical merges give identical versions on every aggregator.
    public var version: String
    public var generatedBy: String
    /// The sending aggregator's monotonic counter; an older one than already applied is refused (409).
    public var generation: UInt64
    public var services: [String: RemoteService]
    /// Per source DC, the `sourceIndex` of the DC state the push was built from. A control plane never lets a push
    /// move a source DC backwards: with several aggregators, the freshest view of each DC wins, and an aggregator
    /// that cannot see a DC never withdraws it.
    public var sources: [String: UInt64]
    /// Every DC of the sender's region: a DC a control plane holds that is not among them was removed from the region.
    public var datacenters: [String]
    /// A delta push: `services` holds only the services that changed since the state of version `base`, `removed`
    /// the ones gone; `version` is that of the whole result. A control plane that does not hold `base` answers 412
    /// and gets the whole state.
    public var base: String?
    public var removed: [String]

    public init(
        version: String, generatedBy: String, generation: UInt64, services: [String: RemoteService],
        sources: [String: UInt64] = [:], datacenters: [String] = []
    ) {
        self.version = version
        self.generatedBy = generatedBy
        self.generation = generation
        self.services = services
        self.sources = sources
        self.datacenters = datacenters
        base = nil
        removed = []
    }

    /// `sources` defaults to every DC that has a locality, `datacenters` to the sources (a push of one aggregator
    /// that sees its whole region).
    public init(generatedBy: String, generation: UInt64, services: [String: RemoteService], sources: [String: UInt64]? = nil) {
        let sources = sources ?? Dictionary(
            services.values.flatMap { $0.localities.map { ($0.datacenter, UInt64(0)) } }, uniquingKeysWith: { first, _ in first })
        self.init(
            version: RemoteStateVersion.version(of: services), generatedBy: generatedBy, generation: generation, services: services,
            sources: sources, datacenters: sources.keys.sorted())
    }

    public static let empty = RemoteState(version: "", generatedBy: "", generation: 0, services: [:])

    enum CodingKeys: String, CodingKey { case version, generatedBy, generation, services, sources, datacenters, base, removed }

    /// A state without `sources` (a file written or a push sent before they existed) stands for its localities' DCs
    /// at source index 0, which any stamped push supersedes.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let services = try container.decode([String: RemoteService].self, forKey: .services)
        let version = try container.decode(String.self, forKey: .version)
        let generatedBy = try container.decode(String.self, forKey: .generatedBy)
        let generation = try container.decode(UInt64.self, forKey: .generation)
        guard let sources = try container.decodeIfPresent([String: UInt64].self, forKey: .sources) else {
            self.init(generatedBy: generatedBy, generation: generation, services: services)
            self.version = version
            return
        }
        self.init(
            version: version, generatedBy: generatedBy, generation: generation, services: services, sources: sources,
            datacenters: try container.decodeIfPresent([String].self, forKey: .datacenters) ?? sources.keys.sorted())
        base = try container.decodeIfPresent(String.self, forKey: .base)
        removed = try container.decodeIfPresent([String].self, forKey: .removed) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version, forKey: .version)
        try container.encode(generatedBy, forKey: .generatedBy)
        try container.encode(generation, forKey: .generation)
        try container.encode(services, forKey: .services)
        try container.encode(sources, forKey: .sources)
        try container.encode(datacenters, forKey: .datacenters)
        try container.encodeIfPresent(base, forKey: .base)
        if !removed.isEmpty { try container.encode(removed, forKey: .removed) }
    }

    /// The delta from `baseServices` (the whole state of version `baseVersion`) to this state.
    public func delta(from baseServices: [String: RemoteService], baseVersion: String) -> RemoteState {
        var delta = self
        delta.base = baseVersion
        delta.services = services.filter { baseServices[$0.key] != $0.value }
        delta.removed = baseServices.keys.filter { services[$0] == nil }.sorted()
        return delta
    }

    /// The whole state this delta makes of `baseServices`; nil for a state that is not a delta.
    public func applyingDelta(to baseServices: [String: RemoteService]) -> RemoteState? {
        guard base != nil else { return nil }
        var whole = self
        whole.base = nil
        whole.removed = []
        whole.services = baseServices
        for name in removed { whole.services[name] = nil }
        whole.services.merge(services) { _, changed in changed }
        return whole
    }
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
