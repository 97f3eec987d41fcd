import Foundation
import Logging
import Metrics
import Shared

/// The aggregator's state: each DC's last good state, per-replica poll and push status, the current
/// merge and what every DC should receive. Pollers feed it, pushers read from it.
public actor AggregatorCore {
    public struct ReplicaStatus: Codable, Sendable {
        public var url: String
        public var lastSuccess: Date?
        public var lastError: String?
        public var lastErrorAt: Date?
        public var bootId: String?
        public var appliedRemoteVersion: String?
        public var pushedVersion: String?
        public var pushedBootId: String?
        public var lastPushAt: Date?
        public var lastPushError: String?
    }

    public let generatedBy: String
    public let datacenters: [String: [String]]
    private let store: StateStore
    private var policy: FederationPolicy
    private var snapshots: [String: DatacenterSnapshot] = [:]
    private var replicas: [String: [String: ReplicaStatus]] = [:]
    private var merger = FederationMerger()
    private var merged = MergeResult.empty
    private var generation: UInt64 = 0
    private var desiredVersions: [String: String] = [:]
    private var watchers: [UUID: AsyncStream<Void>.Continuation] = [:]
    private let startedAt = Date()
    private let logger = Logger(label: "aggregator.core")
    private let storeWrites = Metrics.Timer(label: AggregatorMetricNames.storeWriteSeconds)
    private let storeErrors = Counter(label: AggregatorMetricNames.storeErrors)
    private let storeHealthy = Gauge(label: AggregatorMetricNames.storeHealthy)
    /// DCs whose current state is not on disk yet, and since when some state has been waiting.
    private var unsaved: Set<String> = []
    private var unsavedSince: Date?
    /// Before every DC is known (from SQLite or a poll), pushes wait this long, so a fresh aggregator
    /// never pushes a view that lacks a DC it simply has not heard from yet.
    private let initialSyncGrace: TimeInterval

    public init(generatedBy: String, datacenters: [String: [String]], policy: FederationPolicy, store: StateStore, initialSyncGrace: Duration = .seconds(120)) {
        self.generatedBy = generatedBy
        self.datacenters = datacenters
        self.policy = policy
        self.store = store
        self.initialSyncGrace = Double(initialSyncGrace.components.seconds)
        for (datacenter, urls) in datacenters {
            replicas[datacenter] = Dictionary(uniqueKeysWithValues: urls.map { ($0, ReplicaStatus(url: $0)) })
        }
    }

    /// Loads every DC's last-known state from SQLite, so pushes can start before any DC answers.
    public func restore() async {
        do {
            let (stored, problems) = try await store.loadAll()
            for problem in problems { logger.error("ignoring a stored state", metadata: ["problem": "\(problem)"]) }
            for (datacenter, snapshot) in stored where datacenters[datacenter] != nil {
                snapshots[datacenter] = snapshot
            }
            logger.info("restored last-known states", metadata: ["datacenters": "\(snapshots.keys.sorted())"])
        } catch {
            logger.error("cannot read stored states; starting empty", metadata: ["error": "\(error)"])
        }
        await remerge()
    }

    // MARK: - polls

    /// A replica answered with a valid state: store it, then use it. A failed write does not stop its use (the
    /// aggregator serves from memory); the state stays pending and is written once the disk works again.
    public func accept(_ state: DatacenterState, from url: String, receivedAt: Date = Date()) async {
        let snapshot = DatacenterSnapshot(state: state, receivedAt: receivedAt)
        let servicesChanged = snapshots[state.datacenter]?.state.services != snapshot.state.services
        snapshots[state.datacenter] = snapshot
        unsaved.insert(state.datacenter)
        await persist()
        var status = replicas[state.datacenter]?[url] ?? ReplicaStatus(url: url)
        status.lastSuccess = receivedAt
        status.lastError = nil
        status.bootId = state.bootId
        status.appliedRemoteVersion = state.appliedRemoteVersion
        replicas[state.datacenter]?[url] = status
        if servicesChanged { await remerge() } else { notify() }
    }

    /// Writes the states not on disk yet (every state after the store started a new file), with the generation.
    private func persist() async {
        if store.takeFreshStart() { unsaved = Set(snapshots.keys) }
        let pending = unsaved.compactMap { snapshots[$0] }
        guard !pending.isEmpty else { return }
        let writeStarted = ContinuousClock.now
        do {
            try await store.save(pending, generation: generation)
            storeWrites.record(duration: ContinuousClock.now - writeStarted)
            // States that changed again while this write ran stay pending.
            unsaved = unsaved.filter { name in !pending.contains { $0.state.datacenter == name && snapshots[name] == $0 } }
            storeHealthy.record(1)
        } catch {
            storeErrors.increment()
            storeHealthy.record(0)
            if unsavedSince == nil {
                logger.error("cannot store DC states; serving them from memory and retrying", metadata: ["error": "\(error)"])
            }
        }
        unsavedSince = unsaved.isEmpty ? nil : unsavedSince ?? Date()
    }

    public func pollFailed(datacenter: String, url: String, error: String) {
        replicas[datacenter]?[url]?.lastError = error
        replicas[datacenter]?[url]?.lastErrorAt = Date()
    }

    // MARK: - pushes

    /// What `datacenter` should hold now, or nil while the aggregator must not push yet.
    public func desired(for datacenter: String) -> RemoteState? {
        let allKnown = datacenters.keys.allSatisfy { snapshots[$0] != nil }
        guard allKnown || Date().timeIntervalSince(startedAt) > initialSyncGrace, generation > 0 else { return nil }
        let services = merged.remote[datacenter] ?? [:]
        return RemoteState(
            version: merged.version(for: datacenter), generatedBy: generatedBy, generation: generation,
            services: services)
    }

    public func replicaStatus(_ datacenter: String, _ url: String) -> ReplicaStatus? {
        replicas[datacenter]?[url]
    }

    public func pushed(_ version: String, to datacenter: String, url: String, bootId: String?) {
        replicas[datacenter]?[url]?.pushedVersion = version
        replicas[datacenter]?[url]?.pushedBootId = bootId
        replicas[datacenter]?[url]?.lastPushAt = Date()
        replicas[datacenter]?[url]?.lastPushError = nil
    }

    public func pushFailed(to datacenter: String, url: String, error: String) {
        replicas[datacenter]?[url]?.lastPushError = error
        replicas[datacenter]?[url]?.lastPushAt = Date()
    }

    /// A control plane has applied a newer generation from us (e.g. our database was lost): move past it.
    public func raiseGeneration(above applied: UInt64) async {
        guard generation <= applied else { return }
        generation = applied + 1
        do {
            try await store.raiseGeneration(to: generation)
        } catch {
            logger.error("cannot persist the push generation", metadata: ["error": "\(error)"])
        }
        notify()
    }

    /// Wakes on every change that may need a push.
    public func changes() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = UUID()
        watchers[id] = continuation
        continuation.onTermination = { _ in Task { await self.removeWatcher(id) } }
        return stream
    }

    private func removeWatcher(_ id: UUID) { watchers[id] = nil }

    // MARK: - views

    public struct DatacenterView: Codable, Sendable {
        public var datacenter: String
        public var stale: Bool
        public var dropped: Bool
        public var lastStateAt: Date?
        public var services: [String: Int]
        public var desiredVersion: String?
        public var replicas: [ReplicaStatus]
    }

    public func datacenterViews() -> [DatacenterView] {
        datacenters.keys.sorted().map { datacenter in
            let snapshot = snapshots[datacenter]
            var services: [String: Int] = [:]
            for service in snapshot?.state.services ?? [] { services[service.name] = service.instances.count }
            return DatacenterView(
                datacenter: datacenter, stale: merged.stale.contains(datacenter), dropped: merged.dropped.contains(datacenter),
                lastStateAt: snapshot?.receivedAt, services: services, desiredVersion: desiredVersions[datacenter],
                replicas: (replicas[datacenter] ?? [:]).values.sorted { $0.url < $1.url })
        }
    }

    /// A reloaded policy that passed validation.
    public func updatePolicy(_ newPolicy: FederationPolicy) async {
        guard newPolicy != policy else { return }
        policy = newPolicy
        logger.info("policy reloaded", metadata: [
            "staleAfter": "\(newPolicy.staleAfter)", "servicePolicies": "\(newPolicy.services.count)",
        ])
        await remerge()
    }

    public var mergeResult: MergeResult { merged }
    public var currentPolicy: FederationPolicy { policy }
    public var storageProblem: String? {
        guard let problem = store.problem else { return nil }
        return unsaved.isEmpty ? problem : "\(problem); states of \(unsaved.sorted().joined(separator: ", ")) only in memory"
    }
    public var knowsEveryDatacenter: Bool { datacenters.keys.allSatisfy { snapshots[$0] != nil } }

    /// Re-evaluates staleness and drops (called periodically: time alone can make a DC stale) and retries
    /// writing states a broken disk refused.
    public func remerge() async {
        await persist()
        let result = merger.merge(snapshots, datacenters: Array(datacenters.keys), policy: policy, now: Date())
        let versions = Dictionary(uniqueKeysWithValues: datacenters.keys.map { ($0, result.version(for: $0)) })
        for datacenter in result.stale.subtracting(merged.stale) {
            logger.warning("datacenter is stale; keeping its last-known endpoints", metadata: ["dc": "\(datacenter)"])
        }
        if versions != desiredVersions || generation == 0 {
            // The generation is taken before the new merge becomes visible, so a push never pairs new content
            // with an old generation.
            var next = generation + 1
            do {
                next = max(next, try await store.nextGeneration())
            } catch {
                logger.error("cannot persist the push generation", metadata: ["error": "\(error)"])
            }
            generation = max(generation, next)
            desiredVersions = versions
            logger.info("merged", metadata: ["generation": "\(generation)", "versions": "\(versions)"])
        }
        merged = result
        for datacenter in datacenters.keys {
            Gauge(label: AggregatorMetricNames.stale, dimensions: [("dc", datacenter)]).record(result.stale.contains(datacenter) ? 1 : 0)
        }
        notify()
    }

    private func notify() {
        for watcher in watchers.values { watcher.yield() }
    }
}
