import EnvoyAPI
import Shared

/// Builds what Envoys receive from the catalog and the remote localities, holding no state of its own: the list of
/// resource generators (`Envoy/Generators`) composed into, per service, the cluster and endpoints every group shares,
/// and per group of Envoys its shape (listeners, routes, domain clusters) and snapshot. Pure; `SnapshotCache` keeps
/// the results and decides what to rebuild.
struct SnapshotGenerator: Sendable {
    /// A service's cluster and endpoints, encoded once and shared by every group that depends on the service.
    struct ServiceResources: Sendable {
        /// The cluster as ADS Envoys need it, and as Envoys on separate xDS streams need it (EDS from the
        /// bootstrap's control-plane cluster).
        let adsCluster: EncodedResource
        let xdsCluster: EncodedResource
        let endpoints: EncodedResource
        /// The tags and canaries the service's routes must know about.
        let traits: RoutingTraits

        func cluster(for mode: ProxyProfile.CommunicationMode) -> EncodedResource {
            mode == .ads ? adsCluster : xdsCluster
        }
    }

    /// Per-group resources that depend only on the profile and its routed dependencies, not on instances.
    struct GroupShape: Sendable {
        let dependencies: [RoutedDependency]
        let listeners: [EncodedResource]
        let routes: [EncodedResource]
        /// The clusters of external domains.
        let staticClusters: [EncodedResource]
    }

    let datacenter: String
    let properties: SnapshotProperties
    let subsets: SubsetRules

    init(datacenter: String, properties: SnapshotProperties = SnapshotProperties(), tagFilter: TagFilter = TagFilter()) {
        self.datacenter = datacenter
        self.properties = properties
        subsets = SubsetRules(properties, tagFilter: tagFilter)
    }

    /// The shared cluster and endpoints of one service. A service with neither local nor remote presence gets them
    /// only with `keepVacant` (then empty: `egress.neverRemoveClusters` keeps the cluster of a service that vanished).
    func serviceResources(_ name: String, local: CatalogService?, remote: RemoteService?, keepVacant: Bool = false) -> ServiceResources? {
        guard local != nil || remote != nil || keepVacant else { return nil }
        let localInstances = local?.instances ?? []
        let remoteInstances = (remote?.localities ?? []).flatMap { $0.instances.map(\.instance) }
        let traits = RoutingTraits(instances: localInstances + remoteInstances, rules: subsets)
        let assignment = EndpointGenerator.loadAssignment(
            name: name, local: localInstances, remote: remote, datacenter: datacenter, subsets: traits.usesSubsets ? subsets : nil)
        let cluster = { (mode: ProxyProfile.CommunicationMode) in
            let cluster = ClusterGenerator.serviceCluster(
                name, mode: mode, properties: properties, localityWeighted: EndpointGenerator.usesLocalityWeights(remote),
                crossDatacenter: remote?.localities.isEmpty == false, traits: traits, subsets: subsets)
            return EncodedResource(name: name, message: cluster, typeURL: ResourceType.cluster.typeURL)
        }
        return ServiceResources(
            adsCluster: cluster(.ads), xdsCluster: cluster(.xds),
            endpoints: EncodedResource(name: name, message: assignment, typeURL: ResourceType.endpoint.typeURL),
            traits: traits)
    }

    /// A group's snapshot from the services' shared resources; `shape` is reused when the routed dependencies are
    /// the same (listeners and routes do not depend on instances). `vacant` services are resolved as dependencies
    /// even though absent from `serviceNames`.
    func snapshot(
        for profile: ProxyProfile, among serviceNames: [String], keeping vacant: Set<String> = [], services: [String: ServiceResources],
        reusing shape: GroupShape?, changedAt: ContinuousClock.Instant
    ) -> (snapshot: Snapshot, shape: GroupShape) {
        let dependencies = profile.outgoing.resolve(among: serviceNames, keeping: vacant).map { dependency in
            RoutedDependency(dependency: dependency, traits: services[dependency.service]?.traits ?? RoutingTraits())
        }
        let names = dependencies.map(\.service)
        let shape = shape.flatMap { $0.dependencies == dependencies ? $0 : nil } ?? self.shape(of: profile, dependencies)
        let snapshot = Snapshot(
            [
                .cluster: names.compactMap { services[$0]?.cluster(for: profile.communicationMode) } + shape.staticClusters,
                .endpoint: names.compactMap { services[$0]?.endpoints },
                .listener: shape.listeners,
                .route: shape.routes,
            ],
            changedAt: changedAt)
        return (snapshot, shape)
    }

    private func shape(of profile: ProxyProfile, _ dependencies: [RoutedDependency]) -> GroupShape {
        GroupShape(
            dependencies: dependencies,
            listeners: ListenerGenerator.listeners(for: profile, properties: properties).map {
                EncodedResource(name: $0.name, message: $0, typeURL: ResourceType.listener.typeURL)
            },
            routes: RouteGenerator.routes(for: profile, dependencies: dependencies, properties: properties, subsets: subsets).map {
                EncodedResource(name: $0.name, message: $0, typeURL: ResourceType.route.typeURL)
            },
            staticClusters: profile.outgoing.domains.map(ClusterGenerator.domainCluster).map {
                EncodedResource(name: $0.name, message: $0, typeURL: ResourceType.cluster.typeURL)
            })
    }
}
