import EnvoyAPI
import Shared

/// Builds what Envoys receive from the catalog and the remote localities, holding no state of its own: the list of
/// resource generators (`Envoy/Generators`) composed into, per service, the cluster and endpoints every group shares,
/// and per group of Envoys its shape (listeners, routes, domain clusters) and snapshot. Pure; `SnapshotCache` keeps
/// the results and decides what to rebuild.
struct SnapshotGenerator: Sendable {
    /// The form of a service's cluster an Envoy needs: where it fetches endpoints from, and whether it has a
    /// certificate for mTLS. Only the forms some group uses are built.
    struct ClusterVariant: Hashable, Sendable {
        let mode: ProxyProfile.CommunicationMode
        let certificate: ProxyProfile.CertificateSource?

        init(_ profile: ProxyProfile) {
            mode = profile.communicationMode
            certificate = profile.certificate
        }
    }

    /// A dependency's automatic service-tag policy (`routingPolicy` with `autoServiceTag`): groups with one receive
    /// the service's endpoints narrowed to the preferred tag.
    typealias TagPreference = DependencySettings.RoutingPolicy

    /// A service's cluster and endpoints, encoded once and shared by every group that depends on the service.
    struct ServiceResources: Sendable {
        fileprivate(set) var clusters: [ClusterVariant: EncodedResource]
        let endpoints: EncodedResource
        /// The endpoints under each tag preference some group uses, encoded once per preference.
        fileprivate(set) var preferredEndpoints: [TagPreference: EncodedResource] = [:]
        /// The tags and canaries the service's routes must know about.
        let traits: RoutingTraits
        /// The IP addresses of its instances (every DC's), sorted, when RBAC authenticates it by source IP.
        let sourceAddresses: [String]
        fileprivate let localityWeighted: Bool
        fileprivate let crossDatacenter: Bool
        /// Every instance is tagged `egress.http2.tagName`: callers speak HTTP/2 to it.
        fileprivate let http2: Bool
    }

    /// Per-group resources that depend only on the profile, its routed dependencies and the addresses its RBAC
    /// names, not on instances.
    struct GroupShape: Sendable {
        let dependencies: [RoutedDependency]
        let sourceAddresses: [String: [String]]
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

    /// The shared cluster (in each of `variants`) and endpoints of one service. A service with neither local nor
    /// remote presence gets them only with `keepVacant` (then empty: `egress.neverRemoveClusters` keeps the cluster of
    /// a service that vanished). `previous`: the service's resources before this change.
    func serviceResources(
        _ name: String, local: CatalogService?, remote: RemoteService?, keepVacant: Bool = false, variants: Set<ClusterVariant>,
        preferences: Set<TagPreference> = [], previous: ServiceResources? = nil
    ) -> ServiceResources? {
        guard local != nil || remote != nil || keepVacant else { return nil }
        let localInstances = local?.instances ?? []
        let remoteInstances = (remote?.localities ?? []).flatMap { $0.instances.map(\.instance) }
        let traits = RoutingTraits(service: name, instances: localInstances + remoteInstances, rules: subsets)
        let assignment = EndpointGenerator.loadAssignment(
            name: name, local: localInstances, remote: remote, datacenter: datacenter, subsets: traits.usesSubsets ? subsets : nil,
            tls: properties.incomingPermissions.tlsAuthentication, weights: properties.loadBalancing.weights.enabled)
        let addressAuthenticated = properties.incomingPermissions.sourceIpAuthentication.enabledForIncomingServices.contains(name)
        var resources = ServiceResources(
            clusters: [:], endpoints: EncodedResource(name: name, message: assignment, typeURL: ResourceType.endpoint.typeURL),
            traits: traits,
            sourceAddresses: addressAuthenticated ? Self.ipAddresses(of: localInstances + remoteInstances) : [],
            localityWeighted: EndpointGenerator.usesLocalityWeights(remote), crossDatacenter: remote?.localities.isEmpty == false,
            http2: speaksHTTP2(localInstances + remoteInstances, previously: previous?.http2 ?? false))
        for variant in variants { resources = adding(variant, to: resources) }
        for preference in preferences { resources.preferredEndpoints[preference] = preferred(assignment, preference) }
        return resources
    }

    /// `resources` with the endpoints also under `preference` (a group needing a preference no group needed before).
    func adding(_ preference: TagPreference, to resources: ServiceResources) -> ServiceResources {
        guard let assignment = try? Envoy_Config_Endpoint_V3_ClusterLoadAssignment(serializedBytes: resources.endpoints.any.value) else {
            return resources
        }
        var updated = resources
        updated.preferredEndpoints[preference] = preferred(assignment, preference)
        return updated
    }

    private func preferred(_ assignment: Envoy_Config_Endpoint_V3_ClusterLoadAssignment, _ preference: TagPreference) -> EncodedResource {
        let narrowed = EndpointGenerator.preferring(preference, metadataKey: properties.routing.serviceTags.metadataKey, in: assignment)
        return EncodedResource(name: assignment.clusterName, message: narrowed, typeURL: ResourceType.endpoint.typeURL)
    }

    /// The automatic tag preferences of a profile's dependencies.
    func tagPreferences(of profile: ProxyProfile) -> Set<TagPreference> {
        let tags = properties.routing.serviceTags
        return Set((profile.outgoing.services.map(\.settings) + [profile.outgoing.allServices].compactMap { $0 })
            .compactMap { tags.automaticTags($0.routingPolicy) })
    }

    /// `resources` with the cluster also in `variant` (a group needing a form no group needed before).
    func adding(_ variant: ClusterVariant, to resources: ServiceResources) -> ServiceResources {
        let name = resources.endpoints.name
        let cluster = ClusterGenerator.serviceCluster(
            name, mode: variant.mode, certificate: variant.certificate, properties: properties, localityWeighted: resources.localityWeighted,
            crossDatacenter: resources.crossDatacenter, http2: resources.http2, traits: resources.traits, subsets: subsets)
        var updated = resources
        updated.clusters[variant] = EncodedResource(name: name, message: cluster, typeURL: ResourceType.cluster.typeURL)
        return updated
    }

    /// The services whose instances' addresses a profile's RBAC names: a change to one rebuilds the group.
    func addressAuthenticated(by profile: ProxyProfile) -> Set<String> {
        CallerIdentity.addressAuthenticated(profile.incoming.permissions, properties.incomingPermissions)
    }

    /// envoy-control's rule: HTTP/2 only when every instance (every DC's) has a sidecar, since the cluster is one for
    /// all of them; a service with no instance keeps what it had.
    private func speaksHTTP2(_ instances: [ServiceInstance], previously: Bool) -> Bool {
        let http2 = properties.egress.http2
        guard http2.enabled else { return false }
        guard !instances.isEmpty else { return previously }
        return instances.allSatisfy { $0.tags.contains(http2.tagName) }
    }

    private static func ipAddresses(of instances: [ServiceInstance]) -> [String] {
        Set(instances.map(\.address)).filter { IPAddressText.isIPv4($0) || IPAddressText.isIPv6($0) }.sorted()
    }

    /// A group's snapshot from the services' shared resources; `shape` is reused when the routed dependencies are
    /// the same (listeners and routes do not depend on instances). `vacant` services are resolved as dependencies
    /// even though absent from `serviceNames`. `secrets`: the Envoy's certificate when this control plane issues it.
    func snapshot(
        for profile: ProxyProfile, among serviceNames: [String], keeping vacant: Set<String> = [], services: [String: ServiceResources],
        secrets: [EncodedResource] = [], reusing shape: GroupShape?, changedAt: ContinuousClock.Instant
    ) -> (snapshot: Snapshot, shape: GroupShape) {
        let resolved = profile.outgoing.resolve(among: serviceNames, keeping: vacant)
        let names = resolved.map(\.service)
        // As envoy-control, a declared dependency is routed before it has instances: to a cluster Envoy does not have
        // yet (503, flag NC), not to the catch-all.
        let known = Set(names)
        let dependencies = (resolved + profile.outgoing.services.filter { !known.contains($0.service) })
            .sorted { $0.service < $1.service }
            .map { RoutedDependency(dependency: $0, traits: services[$0.service]?.traits ?? RoutingTraits()) }
        let sourceAddresses = Dictionary(uniqueKeysWithValues: addressAuthenticated(by: profile).map { ($0, services[$0]?.sourceAddresses ?? []) })
        let shape = shape.flatMap { $0.dependencies == dependencies && $0.sourceAddresses == sourceAddresses ? $0 : nil }
            ?? self.shape(of: profile, dependencies, sourceAddresses)
        let variant = ClusterVariant(profile)
        let tags = properties.routing.serviceTags
        let endpoints = dependencies.compactMap { routed -> EncodedResource? in
            guard let resources = services[routed.service] else { return nil }
            guard let preference = tags.automaticTags(routed.dependency.settings.routingPolicy) else { return resources.endpoints }
            return resources.preferredEndpoints[preference] ?? resources.endpoints
        }
        let snapshot = Snapshot(
            [
                .secret: secrets,
                .cluster: names.compactMap { services[$0]?.clusters[variant] } + shape.staticClusters,
                .endpoint: endpoints,
                .listener: shape.listeners,
                .route: shape.routes,
            ],
            changedAt: changedAt)
        return (snapshot, shape)
    }

    private func shape(of profile: ProxyProfile, _ dependencies: [RoutedDependency], _ sourceAddresses: [String: [String]]) -> GroupShape {
        GroupShape(
            dependencies: dependencies, sourceAddresses: sourceAddresses,
            listeners: ListenerGenerator.listeners(for: profile, properties: properties, sourceAddresses: sourceAddresses).map {
                EncodedResource(name: $0.name, message: $0, typeURL: ResourceType.listener.typeURL)
            },
            routes: RouteGenerator.routes(for: profile, dependencies: dependencies, properties: properties, subsets: subsets).map {
                EncodedResource(name: $0.name, message: $0, typeURL: ResourceType.route.typeURL)
            },
            staticClusters: (profile.outgoing.domains.map { ClusterGenerator.domainCluster($0, properties: properties) }
                + JwtGenerator.clusters(profile.incoming.oauthEndpoints, properties)
                + (profile.outgoing.domainPatterns.isEmpty ? [] : [ForwardProxyGenerator.cluster(properties)])).map {
                EncodedResource(name: $0.name, message: $0, typeURL: ResourceType.cluster.typeURL)
            })
    }
}
