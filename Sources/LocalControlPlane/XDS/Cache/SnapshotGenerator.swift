import EnvoyAPI
import Shared

/// Builds what Envoys receive from the catalog and the remote localities, holding no state of its own: the list of
/// resource generators (`Envoy/Generators`) composed into, per service, the cluster and endpoints every group shares,
/// and per group of Envoys its shape (listeners, routes, static clusters) and snapshot. Pure; `SnapshotCache` keeps
/// the results and decides what to rebuild.
struct SnapshotGenerator: Sendable {
    /// A service's cluster and endpoints, encoded once and shared by every group that depends on the service.
    struct ServiceResources: Sendable {
        let cluster: EncodedResource
        let endpoints: EncodedResource
        /// The tags and canaries the service's routes must know about.
        let traits: RoutingTraits
    }

    /// Per-group resources that depend only on the profile and its routed dependencies, not on instances.
    struct GroupShape: Sendable {
        let dependencies: [RoutedDependency]
        let listeners: [EncodedResource]
        let routes: [EncodedResource]
        /// The local service's cluster and the clusters of external domains.
        let staticClusters: [EncodedResource]
    }

    let datacenter: String
    /// Which instance tags `x-service-tag` may select.
    let tagFilter: TagFilter

    /// The shared cluster and endpoints of one service; nil when it has neither local nor remote presence.
    func serviceResources(_ name: String, local: CatalogService?, remote: RemoteService?) -> ServiceResources? {
        guard local != nil || remote != nil else { return nil }
        let localInstances = local?.instances ?? []
        let remoteInstances = (remote?.localities ?? []).flatMap { $0.instances.map(\.instance) }
        let traits = RoutingTraits(instances: localInstances + remoteInstances, routable: tagFilter)
        let assignment = EndpointGenerator.loadAssignment(
            name: name, local: localInstances, remote: remote, datacenter: datacenter, subsets: traits.usesSubsets ? tagFilter : nil)
        let cluster = ClusterGenerator.serviceCluster(
            name, localityWeighted: EndpointGenerator.usesLocalityWeights(remote), crossDatacenter: remote?.localities.isEmpty == false,
            traits: traits)
        return ServiceResources(
            cluster: EncodedResource(name: name, message: cluster, typeURL: ResourceType.cluster.typeURL),
            endpoints: EncodedResource(name: name, message: assignment, typeURL: ResourceType.endpoint.typeURL),
            traits: traits)
    }

    /// A group's snapshot from the services' shared resources; `shape` is reused when the routed dependencies are
    /// the same (listeners and routes do not depend on instances).
    func snapshot(
        for profile: ProxyProfile, among serviceNames: [String], services: [String: ServiceResources], reusing shape: GroupShape?,
        changedAt: ContinuousClock.Instant
    ) -> (snapshot: Snapshot, shape: GroupShape) {
        let dependencies = profile.outgoing.resolve(among: serviceNames).map { dependency in
            RoutedDependency(
                service: dependency.service, timeouts: dependency.timeouts, traits: services[dependency.service]?.traits ?? RoutingTraits())
        }
        let names = dependencies.map(\.service)
        let shape = shape.flatMap { $0.dependencies == dependencies ? $0 : nil } ?? self.shape(of: profile, dependencies)
        let snapshot = Snapshot(
            [
                .cluster: names.compactMap { services[$0]?.cluster } + shape.staticClusters,
                .endpoint: names.compactMap { services[$0]?.endpoints },
                .listener: shape.listeners,
                .route: shape.routes,
            ],
            changedAt: changedAt)
        return (snapshot, shape)
    }

    private func shape(of profile: ProxyProfile, _ dependencies: [RoutedDependency]) -> GroupShape {
        let localCluster = profile.ingress.map { ClusterGenerator.localServiceCluster(port: $0.localServicePort) }
        let domainClusters = profile.outgoing.domains.keys.sorted { $0.clusterName < $1.clusterName }.map(ClusterGenerator.domainCluster)
        return GroupShape(
            dependencies: dependencies,
            listeners: ListenerGenerator.listeners(for: profile).map {
                EncodedResource(name: $0.name, message: $0, typeURL: ResourceType.listener.typeURL)
            },
            routes: RouteGenerator.routes(for: profile, dependencies: dependencies).map {
                EncodedResource(name: $0.name, message: $0, typeURL: ResourceType.route.typeURL)
            },
            staticClusters: (domainClusters + (localCluster.map { [$0] } ?? [])).map {
                EncodedResource(name: $0.name, message: $0, typeURL: ResourceType.cluster.typeURL)
            })
    }
}
