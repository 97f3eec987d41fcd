import Foundation
import Logging
import Metrics
import Shared

/// The aggregator's pipeline, one stage per type: replicas' answers → `DatacenterStates` (which state of each DC is
/// used) → `FederationMerger` → `PushPlan` (published with its generation) → pushers, which read the plan and the
/// `ReplicaBoard`. Nothing suspends between a merge and its publication, so a later merge can never be overtaken by
/// an earlier one; storing to SQLite happens after, and a failed write only leaves states pending.
public actor AggregatorCore {
    public let generatedBy: String
    public let datacenters: [String: [String]]
    private let store: StateStore
    private var policy: FederationPolicy
    private var states = DatacenterStates()
    private var board: ReplicaBoard
    private var merger = FederationMerger()
    private var plan: PushPlan
    private var history = PushHistory()
    private let changeSignal = ChangeSignal()
    private let persistence: StatePersistence
    private let startedAt = Date()
    /// Merges that published a new plan (a merge that changed nothing publishes none).
    public private(set) var plansPublished = 0
    private let plansPublishedMetric = Counter(label: AggregatorMetricNames.plansPublished)
    /// Set by the first tick after the start-up grace.
    private var graceOver = false
    private let logger = Logger(label: "aggregator.core")
    /// Before every DC is known (from SQLite or a poll), pushes wait this long, so a fresh aggregator does not push a
    /// view that lacks a DC it simply has not heard from yet (control planes would keep that DC anyway).
    private let initialSyncGrace: TimeInterval

    public init(
        generatedBy: String, datacenters: [String: [String]], policy: FederationPolicy, store: StateStore,
        initialSyncGrace: Duration = .seconds(120)
    ) {
        self.generatedBy = generatedBy
        self.datacenters = datacenters
        self.policy = policy
        self.store = store
        self.initialSyncGrace = Double(initialSyncGrace.components.seconds)
        board = ReplicaBoard(datacenters: datacenters)
        plan = .empty(generatedBy: generatedBy, datacenters: datacenters.keys.sorted())
        persistence = StatePersistence(store: store)
    }

    /// Loads every DC's last-known state and the generation from SQLite, so pushes can start before any DC answers.
    public func restore() async {
        do {
            let (stored, problems) = try await store.loadAll()
            for problem in problems { logger.error("ignoring a stored state", metadata: ["problem": "\(problem)"]) }
            for (datacenter, snapshot) in stored where datacenters[datacenter] != nil { states.restore(snapshot) }
            let generation = try await store.storedGeneration()
            plan = PushPlan(generatedBy: plan.generatedBy, generation: generation, merge: plan.merge, sources: [:], datacenters: plan.datacenters)
            logger.info("restored last-known states", metadata: [
                "datacenters": "\(states.current.keys.sorted())", "generation": "\(generation)",
            ])
        } catch {
            logger.error("cannot read stored states; starting empty", metadata: ["error": "\(error)"])
        }
        remerge(now: Date())
        await persistence.save(states.current, generation: plan.generation)
    }

    // MARK: - polls

    /// A replica answered with a valid state. Whether it is used is `DatacenterStates`' call; a used one is stored
    /// after the merge that uses it is published (a failed write leaves it pending, the aggregator serves from memory).
    public func accept(_ state: DatacenterState, from url: String, receivedAt: Date = Date()) async {
        board.polled(
            state.datacenter, url, bootId: state.bootId, synced: state.synced, appliedRemoteVersion: state.appliedRemoteVersion,
            at: receivedAt)
        let outcome = states.offer(state, from: url, at: receivedAt, shrinkGuard: policy.shrinkGuard)
        switch outcome {
        case .changed:
            remerge(now: receivedAt)
        case .confirmed where plan.merge.stale.contains(state.datacenter):
            remerge(now: receivedAt)
        case .held(let hold):
            logger.warning("datacenter shrank sharply; holding its new state for confirmation", metadata: [
                LogKey.datacenter: "\(state.datacenter)", "instancesBefore": "\(hold.instancesBefore)", "instancesAfter": "\(hold.instancesAfter)",
                "heldSince": "\(hold.since)",
            ])
            changeSignal.notify()
        case .unsynced, .notFreshest, .confirmed:
            changeSignal.notify()  // the board changed: a pusher may now know a new boot
        }
        Gauge(label: AggregatorMetricNames.shrinkHeld, dimensions: [(AggregatorMetricNames.datacenterLabel, state.datacenter)])
            .record(states.holds[state.datacenter] == nil ? 0 : 1)
        await persistence.save(states.current, generation: plan.generation)
    }

    /// A replica's long-poll ended without a change: the state it last sent (`bootId`, `index`) still stands.
    public func confirm(
        datacenter: String, url: String, bootId: String, index: UInt64, appliedRemoteVersion: String?, sourceFailingSeconds: Double,
        at now: Date = Date()
    ) async {
        let synced = board[datacenter, url]?.synced ?? false
        board.polled(datacenter, url, bootId: bootId, synced: synced, appliedRemoteVersion: appliedRemoteVersion, at: now)
        let inUse = states.confirm(datacenter, replica: url, bootId: bootId, index: index, at: now, sourceFailingSeconds: sourceFailingSeconds)
        if inUse && plan.merge.stale.contains(datacenter) { remerge(now: now) } else { changeSignal.notify() }
        await persistence.save(states.current, generation: plan.generation)
    }

    public func pollFailed(datacenter: String, url: String, error: String) {
        board.pollFailed(datacenter, url, error: error, at: Date())
    }

    /// Time alone changes things: DCs turn stale, held shrinks are confirmed, a broken disk may work again.
    public func tick(now: Date = Date()) async {
        for datacenter in states.confirmHolds(at: now, shrinkGuard: policy.shrinkGuard) {
            logger.notice("sharp shrink confirmed; applying the datacenter's new state", metadata: [LogKey.datacenter: "\(datacenter)"])
            Gauge(label: AggregatorMetricNames.shrinkHeld, dimensions: [(AggregatorMetricNames.datacenterLabel, datacenter)]).record(0)
        }
        remerge(now: now)
        if !graceOver, now.timeIntervalSince(startedAt) > initialSyncGrace {
            graceOver = true
            changeSignal.notify()  // pushers held back by the start-up grace may push now
        }
        await persistence.save(states.current, generation: plan.generation)
    }

    /// A reloaded policy that passed validation.
    public func updatePolicy(_ newPolicy: FederationPolicy) async {
        guard newPolicy != policy else { return }
        policy = newPolicy
        logger.info("policy reloaded", metadata: [
            "staleAfter": "\(newPolicy.staleAfter)", "servicePolicies": "\(newPolicy.services.count)",
        ])
        await tick()
    }

    // MARK: - merge and publish

    /// Merges and publishes in one step (no suspension): the plan's generation grows whenever any destination's
    /// version changed, so a push never pairs new content with an old generation.
    private func remerge(now: Date) {
        let result = merger.merge(states.current, datacenters: Array(datacenters.keys), policy: policy, now: now)
        let sources = states.current.mapValues(\.state.sourceIndex)
        recordStaleness(result, now: now)
        // Most ticks change nothing: no new plan, no wake-up of every pusher.
        let unchanged = result.versions == plan.merge.versions && result.stale == plan.merge.stale
            && result.dropped == plan.merge.dropped && sources == plan.sources
        guard !unchanged || plan.generation == 0 else { return }
        for datacenter in result.stale.subtracting(plan.merge.stale) {
            logger.warning("datacenter is stale; demoted below fresh ones, its endpoints kept", metadata: [LogKey.datacenter: "\(datacenter)"])
        }
        var generation = plan.generation
        if result.versions != plan.merge.versions || generation == 0 {
            generation += 1
            logger.info("merged", metadata: ["generation": "\(generation)", "versions": "\(result.versions)"])
        }
        plan = PushPlan(
            generatedBy: plan.generatedBy, generation: generation, merge: result, sources: sources, datacenters: plan.datacenters)
        history.planned(result.versions, at: Date())
        plansPublished += 1
        plansPublishedMetric.increment()
        changeSignal.notify()
    }

    private func recordStaleness(_ result: MergeResult, now: Date) {
        for datacenter in datacenters.keys {
            let labels = [(AggregatorMetricNames.datacenterLabel, datacenter)]
            Gauge(label: AggregatorMetricNames.stale, dimensions: labels).record(result.stale.contains(datacenter) ? 1 : 0)
            if let snapshot = states.current[datacenter] {
                Gauge(label: AggregatorMetricNames.stateAge, dimensions: labels).record(now.timeIntervalSince(snapshot.receivedAt))
            }
        }
    }

    // MARK: - pushes

    /// What `datacenter` should hold now, or nil while the aggregator must not push yet.
    public func desired(for datacenter: String) -> RemoteState? {
        guard knowsEveryDatacenter || Date().timeIntervalSince(startedAt) > initialSyncGrace, plan.generation > 0 else { return nil }
        return plan.remoteState(for: datacenter)
    }

    public func replicaStatus(_ datacenter: String, _ url: String) -> ReplicaBoard.Status? { board[datacenter, url] }

    public func pushed(_ version: String, to datacenter: String, url: String, bootId: String?) {
        let now = Date()
        board.pushed(version, to: datacenter, url, bootId: bootId, at: now)
        if let latency = history.pushed(version, to: datacenter, replica: url, at: now) {
            Metrics.Timer(label: AggregatorMetricNames.propagationSeconds, dimensions: [(AggregatorMetricNames.datacenterLabel, datacenter)])
                .recordSeconds(latency)
        }
    }

    public func pushFailed(to datacenter: String, url: String, error: String) {
        board.pushFailed(to: datacenter, url, error: error, at: Date())
        history.failed(to: datacenter, replica: url, error: error, at: Date())
    }

    /// The last pushes, oldest first (the status page's chart).
    public var pushHistory: [PushHistory.Entry] { history.entries }

    /// A control plane has applied a newer generation from this aggregator's id (e.g. its database was restored
    /// from an old backup): move past it, and persist that.
    public func raiseGeneration(above applied: UInt64) async {
        guard plan.generation <= applied else { return }
        plan = PushPlan(
            generatedBy: plan.generatedBy, generation: applied + 1, merge: plan.merge, sources: plan.sources, datacenters: plan.datacenters)
        changeSignal.notify()
        await persistence.save(states.current, generation: plan.generation)
    }

    /// Wakes on every change that may need a push.
    public nonisolated func changes() -> AsyncStream<Void> { changeSignal.changes() }

    // MARK: - views

    public struct DatacenterView: Codable, Sendable {
        public var datacenter: String
        public var stale: Bool
        public var dropped: Bool
        public var lastStateAt: Date?
        public var sourceIndex: UInt64?
        /// Set while a sharp shrink waits for confirmation.
        public var heldShrink: HeldShrink?
        public var services: [String: Int]
        public var desiredVersion: String?
        public var replicas: [ReplicaBoard.Status]
    }

    public struct HeldShrink: Codable, Sendable {
        public var since: Date
        public var instancesBefore: Int
        public var instancesAfter: Int
    }

    public func datacenterViews() -> [DatacenterView] {
        datacenters.keys.sorted().map { datacenter in
            let snapshot = states.current[datacenter]
            var services: [String: Int] = [:]
            for service in snapshot?.state.services ?? [] { services[service.name] = service.instances.count }
            return DatacenterView(
                datacenter: datacenter, stale: plan.merge.stale.contains(datacenter), dropped: plan.merge.dropped.contains(datacenter),
                lastStateAt: snapshot?.receivedAt, sourceIndex: snapshot?.state.sourceIndex,
                heldShrink: states.holds[datacenter].map {
                    HeldShrink(since: $0.since, instancesBefore: $0.instancesBefore, instancesAfter: $0.instancesAfter)
                },
                services: services, desiredVersion: plan.generation > 0 ? plan.version(for: datacenter) : nil,
                replicas: board.replicas(of: datacenter))
        }
    }

    /// Where each DC's Envoys send `service`'s traffic, and why.
    public func routes(for service: String) -> ServiceRoutes {
        var instances: [String: Int] = [:]
        for (datacenter, snapshot) in states.current {
            if let found = snapshot.state.services.first(where: { $0.name == service }) { instances[datacenter] = found.instances.count }
        }
        return ServiceRoutes(service: service, datacenters: datacenters.keys.sorted(), instances: instances, merge: plan.merge, policy: policy)
    }

    /// Every service any DC offers, sorted.
    public var serviceNames: [String] {
        Set(states.current.values.flatMap { $0.state.services.map(\.name) }).sorted()
    }

    public var mergeResult: MergeResult { plan.merge }
    public var currentPolicy: FederationPolicy { policy }
    public var storageProblem: String? {
        get async { await persistence.problem }
    }
    public var knowsEveryDatacenter: Bool { datacenters.keys.allSatisfy { states.current[$0] != nil } }
}
