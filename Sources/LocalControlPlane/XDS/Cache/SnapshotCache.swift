import EnvoyAPI
import Foundation
import Logging
import Metrics
import Shared

/// Holds this DC's catalog, the remote localities pushed by the aggregator, and one snapshot per group of Envoys with
/// equal `ProxyProfile`s, with each group's watchers (the streams' mailboxes). Generation is `SnapshotGenerator`'s:
/// the cache decides what to rebuild — each changed service's cluster and endpoints once, shared by every group, and
/// only the groups that depend on a changed service — and hands new snapshots to the watchers.
public actor SnapshotCache {
    public typealias WatchID = Int

    /// A stream's watch: how to cancel it, and its group's name (for its logs and `/debug/envoys`).
    public struct Watch: Sendable {
        public let id: WatchID
        public let group: String
        /// The group's profile: equal to the stream's, and one copy for every stream of the group (each stream's own
        /// parse would stay alive otherwise: about 3 KB per stream, most of it the outgoing dependencies).
        public let profile: ProxyProfile
    }

    private struct Group {
        /// `ProxyProfile.groupId`, computed once when the group is created.
        let name: String
        var snapshot: Snapshot?
        var shape: SnapshotGenerator.GroupShape?
        var watchers: [WatchID: SnapshotMailbox] = [:]
    }

    private let generator: SnapshotGenerator
    private var catalog: ServiceCatalog?
    private var remote: [String: RemoteService] = [:]
    /// Every service with local or remote instances, sorted: what `*` dependencies resolve against.
    private var serviceNames: [String] = []
    /// Services that vanished but keep an empty cluster (`egress.neverRemoveClusters`).
    private var vacant: Set<String> = []
    private var serviceResources: [String: SnapshotGenerator.ServiceResources] = [:]
    /// The cluster forms the groups have needed so far; each service's cluster is built in these only.
    private var clusterVariants: Set<SnapshotGenerator.ClusterVariant> = []
    /// The automatic tag preferences the groups have needed so far; each service's endpoints are narrowed for these.
    private var tagPreferences: Set<SnapshotGenerator.TagPreference> = []
    private var groups: [ProxyProfile: Group] = [:]
    /// The sidecar certificates this control plane issues (`sidecarCertificates`), nil when it issues none.
    private var certificates: IssuedCertificates?
    private var nextWatchID = 0
    private let logger = Logger(label: "xds.cache")
    private let generationTimer = Metrics.Timer(label: MetricNames.snapshotGenerationSeconds)
    private let groupGauge = Gauge(label: MetricNames.snapshotGroups)
    private let snapshotBytes = Recorder(label: MetricNames.snapshotBytes)
    /// When the change being applied reached the cache; snapshots built for it carry this time.
    private var changeStartedAt = ContinuousClock.now

    public init(
        datacenter: String, properties: SnapshotProperties = SnapshotProperties(), tagFilter: TagFilter = TagFilter(),
        sidecarCertificates: SidecarCertificateIssuer? = nil
    ) {
        generator = SnapshotGenerator(datacenter: datacenter, properties: properties, tagFilter: tagFilter)
        certificates = sidecarCertificates.map {
            IssuedCertificates(settings: $0.settings, authority: $0.authority, tls: properties.incomingPermissions.tlsAuthentication)
        }
    }

    /// True once the first catalog arrived; Envoys get no response before that.
    public var isReady: Bool { catalog != nil }

    public var currentCatalog: ServiceCatalog? { catalog }

    /// Applies a new local catalog: re-encodes changed services, rebuilds and publishes affected groups.
    public func apply(_ newCatalog: ServiceCatalog) {
        let changed = (catalog ?? .empty).changedServices(in: newCatalog)
        let firstCatalog = catalog == nil
        guard firstCatalog || !changed.isEmpty else { return }
        catalog = newCatalog
        refresh(changed, rebuildAll: firstCatalog, reason: "catalog")
    }

    /// Applies the remote localities the aggregator computed for this DC.
    public func apply(remote newRemote: [String: RemoteService]) {
        let changed = Set(newRemote.keys).union(remote.keys).filter { newRemote[$0] != remote[$0] }
        guard !changed.isEmpty else { return }
        remote = newRemote
        guard catalog != nil else { return }  // nothing is served before the first local sync
        refresh(changed, rebuildAll: false, reason: "remote")
    }

    private func refresh(_ changed: Set<String>, rebuildAll: Bool, reason: String) {
        let start = ContinuousClock.now
        changeStartedAt = start
        serviceNames = Set(catalog?.services.keys ?? [:].keys).union(remote.keys).sorted()
        let keepVacant = generator.properties.egress.neverRemoveClusters
        for name in (rebuildAll ? Set(serviceNames).union(changed) : changed) {
            let known = serviceResources[name] != nil
            serviceResources[name] = generator.serviceResources(
                name, local: catalog?[name], remote: remote[name], keepVacant: keepVacant && known, variants: clusterVariants,
                preferences: tagPreferences, previous: serviceResources[name])
        }
        vacant = keepVacant ? Set(serviceResources.keys).subtracting(serviceNames) : []
        var rebuilt = 0
        for (profile, group) in groups where rebuildAll || depends(profile, on: changed) || group.snapshot == nil {
            publish(profile, rebuild(profile, group))
            rebuilt += 1
        }
        generationTimer.record(duration: ContinuousClock.now - start)
        logger.info("\(reason) applied", metadata: [
            "services": "\(serviceNames.count)", "changed": "\(changed.count)", "groups_rebuilt": "\(rebuilt)",
        ])
    }

    /// Starts putting the snapshots of a profile's group into `mailbox`; the current snapshot (if any) goes in now.
    public func watch(_ profile: ProxyProfile, into mailbox: SnapshotMailbox) -> Watch {
        nextWatchID += 1
        buildClusters(for: profile)
        let index = groups.index(forKey: profile)
        // The group's own key: equal to `profile`, and one copy for all of its streams.
        let shared = index.map { groups.keys[$0] } ?? profile
        var group = index.map { groups.values[$0] } ?? Group(name: profile.groupId)
        if group.snapshot == nil, catalog != nil {
            group = rebuild(profile, group)
        }
        group.watchers[nextWatchID] = mailbox
        if let snapshot = group.snapshot { mailbox.put(snapshot) }
        groups[shared] = group
        groupGauge.record(groups.count)
        Self.streamGauge(group.name).record(group.watchers.count)
        return Watch(id: nextWatchID, group: group.name, profile: shared)
    }

    public func cancelWatch(_ id: WatchID, profile: ProxyProfile) {
        guard let name = groups[profile]?.name else { return }
        groups[profile]?.watchers[id] = nil
        if groups[profile]?.watchers.isEmpty == true {
            groups[profile] = nil  // nobody uses the group: free it; it is rebuilt on the next watch
            if profile.certificate == .controlPlane {
                certificates?.keep(only: Set(groups.keys.filter { $0.certificate == .controlPlane }.map(\.serviceName)))
            }
        }
        groupGauge.record(groups.count)
        Self.streamGauge(name).record(groups[profile]?.watchers.count ?? 0)
    }

    /// The snapshot a profile's group receives now (for `/debug/snapshot`).
    public func snapshot(for profile: ProxyProfile) -> Snapshot? {
        if let snapshot = groups[profile]?.snapshot { return snapshot }
        guard catalog != nil else { return nil }
        buildClusters(for: profile)
        return generate(profile, reusing: nil).snapshot
    }

    public var groupCount: Int { groups.count }

    // MARK: - sidecar certificates

    /// Renews the sidecar certificates past half their validity and sends their Envoys the new secrets.
    public func renewSidecarCertificates(now: Date = Date()) {
        guard let renewed = certificates?.renew(now: now), !renewed.isEmpty else { return }
        republishSecrets(of: renewed, reason: "certificates renewed")
    }

    /// Issues every sidecar certificate again under a new CA (and sends the new trust bundle).
    public func replaceCertificateAuthority(_ authority: SidecarCertificateAuthority, now: Date = Date()) {
        guard let replaced = certificates?.replace(authority, now: now), !replaced.isEmpty else { return }
        republishSecrets(of: replaced, reason: "certificate authority replaced")
    }

    private func republishSecrets(of services: Set<String>, reason: String) {
        changeStartedAt = .now
        var rebuilt = 0
        for (profile, group) in groups where profile.certificate == .controlPlane && services.contains(profile.serviceName) {
            publish(profile, rebuild(profile, group))
            rebuilt += 1
        }
        logger.info("\(reason)", metadata: ["services": "\(services.count)", "groups_rebuilt": "\(rebuilt)"])
    }

    // MARK: - rebuilding

    private func depends(_ profile: ProxyProfile, on changed: Set<String>) -> Bool {
        profile.outgoing.dependsOn(anyOf: changed) || !generator.addressAuthenticated(by: profile).isDisjoint(with: changed)
    }

    /// The first group that needs a form of cluster, or a tag preference of endpoints, gets it built for every service.
    private func buildClusters(for profile: ProxyProfile) {
        let variant = SnapshotGenerator.ClusterVariant(profile)
        if clusterVariants.insert(variant).inserted {
            for (name, resources) in serviceResources { serviceResources[name] = generator.adding(variant, to: resources) }
        }
        for preference in generator.tagPreferences(of: profile) where tagPreferences.insert(preference).inserted {
            for (name, resources) in serviceResources { serviceResources[name] = generator.adding(preference, to: resources) }
        }
    }

    private func rebuild(_ profile: ProxyProfile, _ group: Group) -> Group {
        var updated = group
        (updated.snapshot, updated.shape) = generate(profile, reusing: group.shape)
        return updated
    }

    private func generate(
        _ profile: ProxyProfile, reusing shape: SnapshotGenerator.GroupShape?
    ) -> (snapshot: Snapshot, shape: SnapshotGenerator.GroupShape) {
        let secrets = profile.certificate == .controlPlane ? certificates?.secrets(for: profile.serviceName, now: Date()) ?? [] : []
        let generated = generator.snapshot(
            for: profile, among: serviceNames, keeping: vacant, services: serviceResources, secrets: secrets, reusing: shape,
            changedAt: changeStartedAt)
        snapshotBytes.record(generated.snapshot.byteCount)
        return generated
    }

    private static func streamGauge(_ group: String) -> Gauge {
        Gauge(label: MetricNames.groupStreams, dimensions: [(MetricNames.groupLabel, group)])
    }

    private func publish(_ profile: ProxyProfile, _ group: Group) {
        groups[profile] = group
        guard let snapshot = group.snapshot else { return }
        for mailbox in group.watchers.values {
            mailbox.put(snapshot)
        }
    }
}
