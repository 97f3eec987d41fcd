import EnvoyAPI
import Logging
import Metrics
import Shared

/// Holds the current catalog and one snapshot per group of Envoys with equal `ProxyProfile`s.
/// Each service's cluster and endpoints are encoded once per change and shared by every group;
/// a catalog change rebuilds only the groups that depend on a changed service.
public actor SnapshotCache {
    public typealias WatchID = Int

    private struct ServiceResources {
        let cluster: EncodedResource
        let endpoints: EncodedResource
    }

    /// Per-group resources that depend only on the profile and the list of dependencies, not on instances.
    private struct GroupShape {
        let dependencies: [String]
        let listeners: [EncodedResource]
        let routes: [EncodedResource]
        let localCluster: EncodedResource?
    }

    private struct Group {
        var snapshot: Snapshot?
        var shape: GroupShape?
        var watchers: [WatchID: AsyncStream<Snapshot>.Continuation] = [:]
    }

    public let datacenter: String
    private var catalog: ServiceCatalog?
    private var serviceResources: [String: ServiceResources] = [:]
    private var groups: [ProxyProfile: Group] = [:]
    private var nextWatchID = 0
    private let logger = Logger(label: "xds.cache")
    private let generationTimer = Metrics.Timer(label: MetricNames.snapshotGenerationSeconds)
    private let groupGauge = Gauge(label: MetricNames.snapshotGroups)

    public init(datacenter: String) {
        self.datacenter = datacenter
    }

    /// True once the first catalog arrived; Envoys get no response before that.
    public var isReady: Bool { catalog != nil }

    public var currentCatalog: ServiceCatalog? { catalog }

    /// Applies a new catalog: re-encodes changed services, rebuilds and publishes affected groups.
    public func apply(_ newCatalog: ServiceCatalog) {
        let start = ContinuousClock.now
        let changed = (catalog ?? .empty).changedServices(in: newCatalog)
        let firstCatalog = catalog == nil
        guard firstCatalog || !changed.isEmpty else { return }
        catalog = newCatalog
        for name in changed {
            if let service = newCatalog[name] {
                serviceResources[name] = encode(service)
            } else {
                serviceResources[name] = nil
            }
        }
        var rebuilt = 0
        for (profile, group) in groups where firstCatalog || depends(profile, on: changed) || group.snapshot == nil {
            publish(profile, rebuild(profile, group))
            rebuilt += 1
        }
        generationTimer.record(duration: ContinuousClock.now - start)
        logger.info("catalog applied", metadata: [
            "services": "\(newCatalog.services.count)", "changed": "\(changed.count)", "groups_rebuilt": "\(rebuilt)",
        ])
    }

    /// Starts watching the snapshot of a profile's group; the current snapshot (if any) comes first.
    public func watch(_ profile: ProxyProfile) -> (WatchID, AsyncStream<Snapshot>) {
        let (stream, continuation) = AsyncStream<Snapshot>.makeStream(bufferingPolicy: .bufferingNewest(1))
        nextWatchID += 1
        var group = groups[profile] ?? Group()
        if group.snapshot == nil, catalog != nil {
            group = rebuild(profile, group)
        }
        group.watchers[nextWatchID] = continuation
        if let snapshot = group.snapshot { continuation.yield(snapshot) }
        groups[profile] = group
        groupGauge.record(groups.count)
        return (nextWatchID, stream)
    }

    public func cancelWatch(_ id: WatchID, profile: ProxyProfile) {
        groups[profile]?.watchers[id]?.finish()
        groups[profile]?.watchers[id] = nil
        if groups[profile]?.watchers.isEmpty == true {
            groups[profile] = nil  // nobody uses the group: free it; it is rebuilt on the next watch
        }
        groupGauge.record(groups.count)
    }

    /// The snapshot a profile's group receives now (for `/debug/snapshot`).
    public func snapshot(for profile: ProxyProfile) -> Snapshot? {
        if let snapshot = groups[profile]?.snapshot { return snapshot }
        guard catalog != nil else { return nil }
        return rebuild(profile, Group()).snapshot
    }

    public var groupCount: Int { groups.count }

    // MARK: - generation

    private func encode(_ service: CatalogService) -> ServiceResources {
        ServiceResources(
            cluster: EncodedResource(
                name: service.name, message: ClusterGenerator.serviceCluster(service.name), typeURL: ResourceType.cluster.typeURL),
            endpoints: EncodedResource(
                name: service.name, message: EndpointGenerator.loadAssignment(service: service, datacenter: datacenter),
                typeURL: ResourceType.endpoint.typeURL))
    }

    private func depends(_ profile: ProxyProfile, on changed: Set<String>) -> Bool {
        profile.outgoing.allServices != nil || !changed.isDisjoint(with: profile.outgoing.services.keys)
    }

    private func rebuild(_ profile: ProxyProfile, _ group: Group) -> Group {
        let dependencies = profile.outgoing.resolve(among: catalog?.serviceNames ?? [])
        let names = dependencies.map(\.service)
        let shape = group.shape.flatMap { $0.dependencies == names ? $0 : nil } ?? makeShape(profile, dependencies)
        var clusters = names.compactMap { serviceResources[$0]?.cluster }
        if let local = shape.localCluster { clusters.append(local) }
        var updated = group
        updated.shape = shape
        updated.snapshot = Snapshot([
            .cluster: clusters,
            .endpoint: names.compactMap { serviceResources[$0]?.endpoints },
            .listener: shape.listeners,
            .route: shape.routes,
        ])
        return updated
    }

    private func makeShape(
        _ profile: ProxyProfile, _ dependencies: [(service: String, timeouts: ProxyProfile.TimeoutPolicy)]
    ) -> GroupShape {
        GroupShape(
            dependencies: dependencies.map(\.service),
            listeners: ListenerGenerator.listeners(for: profile).map {
                EncodedResource(name: $0.name, message: $0, typeURL: ResourceType.listener.typeURL)
            },
            routes: RouteGenerator.routes(for: profile, dependencies: dependencies).map {
                EncodedResource(name: $0.name, message: $0, typeURL: ResourceType.route.typeURL)
            },
            localCluster: profile.ingress.map {
                EncodedResource(
                    name: ClusterGenerator.localServiceClusterName,
                    message: ClusterGenerator.localServiceCluster(port: $0.localServicePort), typeURL: ResourceType.cluster.typeURL)
            })
    }

    private func publish(_ profile: ProxyProfile, _ group: Group) {
        groups[profile] = group
        guard let snapshot = group.snapshot else { return }
        for watcher in group.watchers.values {
            watcher.yield(snapshot)
        }
    }
}
