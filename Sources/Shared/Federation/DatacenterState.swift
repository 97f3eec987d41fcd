/// One datacenter's services as served by `GET /v1/state` and read by the aggregator.
public struct DatacenterState: Codable, Sendable, Equatable {
    public var datacenter: String
    /// Grows with every change of this DC's catalog; restarts from 1 with a new `bootId`.
    public var index: UInt64
    /// Identifies one run of the control plane; a new value means "re-push everything to me".
    public var bootId: String
    public var services: [WireService]
    /// The version of the last remote state this control plane applied (nil: none yet).
    public var appliedRemoteVersion: String?
    /// False until the control plane's first full registry sync: `services` then says nothing about the DC and must
    /// never replace a known state (a restart would otherwise withdraw the DC everywhere).
    public var synced: Bool
    /// Where the catalog stands in its source, comparable between replicas and restarts: the highest Consul index
    /// (`X-Consul-Index`) the watches have read, or the registry file's modification time in milliseconds.
    public var sourceIndex: UInt64
    /// Seconds the registry source has been failing (0 while it works): the catalog is that much older than it looks.
    public var sourceFailingSeconds: Double

    public init(
        datacenter: String, index: UInt64, bootId: String, services: [WireService], appliedRemoteVersion: String?,
        synced: Bool = true, sourceIndex: UInt64 = 0, sourceFailingSeconds: Double = 0
    ) {
        self.datacenter = datacenter
        self.index = index
        self.bootId = bootId
        self.services = services
        self.appliedRemoteVersion = appliedRemoteVersion
        self.synced = synced
        self.sourceIndex = sourceIndex
        self.sourceFailingSeconds = sourceFailingSeconds
    }

    public init(
        datacenter: String, index: UInt64, bootId: String, catalog: ServiceCatalog, appliedRemoteVersion: String?,
        synced: Bool = true, sourceIndex: UInt64 = 0, sourceFailingSeconds: Double = 0
    ) {
        self.init(
            datacenter: datacenter, index: index, bootId: bootId,
            services: catalog.serviceNames.compactMap { catalog[$0].map(WireService.init) },
            appliedRemoteVersion: appliedRemoteVersion, synced: synced, sourceIndex: sourceIndex,
            sourceFailingSeconds: sourceFailingSeconds)
    }

    enum CodingKeys: String, CodingKey {
        case datacenter, index, bootId, services, appliedRemoteVersion, synced, sourceIndex, sourceFailingSeconds
    }

    /// `synced`, `sourceIndex` and `sourceFailingSeconds` may be absent in states stored by an older aggregator
    /// (they were accepted, so synced).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        datacenter = try container.decode(String.self, forKey: .datacenter)
        index = try container.decode(UInt64.self, forKey: .index)
        bootId = try container.decode(String.self, forKey: .bootId)
        services = try container.decode([WireService].self, forKey: .services)
        appliedRemoteVersion = try container.decodeIfPresent(String.self, forKey: .appliedRemoteVersion)
        synced = try container.decodeIfPresent(Bool.self, forKey: .synced) ?? true
        sourceIndex = try container.decodeIfPresent(UInt64.self, forKey: .sourceIndex) ?? 0
        sourceFailingSeconds = try container.decodeIfPresent(Double.self, forKey: .sourceFailingSeconds) ?? 0
    }

    /// The catalog this state describes.
    public var catalog: ServiceCatalog {
        ServiceCatalog(services: services.map { CatalogService(name: $0.name, tags: $0.tags, instances: $0.instances.map(\.instance)) })
    }
}

/// A service on the wire: its name, tags and healthy instances.
public struct WireService: Codable, Sendable, Equatable {
    public var name: String
    public var tags: [String]
    public var instances: [WireInstance]

    public init(name: String, tags: [String] = [], instances: [WireInstance]) {
        self.name = name
        self.tags = tags
        self.instances = instances
    }

    public init(_ service: CatalogService) {
        self.init(name: service.name, tags: service.tags, instances: service.instances.map(WireInstance.init))
    }
}

/// An instance on the wire (`/v1/state` and `/v1/remote-state`).
public struct WireInstance: Codable, Sendable, Equatable, Hashable {
    public var id: String
    public var address: String
    public var port: Int
    public var tags: [String]
    public var weight: Int
    public var meta: [String: String]

    public init(_ instance: ServiceInstance) {
        id = instance.id
        address = instance.address
        port = instance.port
        tags = instance.tags
        weight = instance.weight
        meta = instance.meta
    }

    public var instance: ServiceInstance {
        ServiceInstance(id: id, address: address, port: port, tags: tags, weight: weight, meta: meta)
    }

    enum CodingKeys: String, CodingKey { case id, address, port, tags, weight, meta }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        address = try container.decode(String.self, forKey: .address)
        port = try container.decode(Int.self, forKey: .port)
        id = try container.decodeIfPresent(String.self, forKey: .id) ?? "\(address):\(port)"
        tags = try container.decodeIfPresent([String].self, forKey: .tags) ?? []
        weight = try container.decodeIfPresent(Int.self, forKey: .weight) ?? 1
        meta = try container.decodeIfPresent([String: String].self, forKey: .meta) ?? [:]
    }
}
