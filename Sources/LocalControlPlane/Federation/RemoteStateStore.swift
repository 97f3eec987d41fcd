import Foundation
import Logging
import Metrics
import Shared

/// Applies the aggregators' pushes: validates, combines each with what is held (per source DC the fresher slice
/// wins, `RemoteStateComposition`), persists to a local file (so a restart keeps cross-DC routes while the
/// aggregator is away), then hands the remote localities to the cache. A push is taken whole or not at all.
public actor RemoteStateStore {
    public enum Outcome: Equatable, Sendable {
        case applied
        case unchanged
        /// An older generation than already applied from the same aggregator.
        case conflict(String, appliedGeneration: UInt64)
        case invalid([String])
        case storageFailed(String)
        /// A delta against a version this control plane does not hold (it holds the one given): send the whole state.
        case baseMismatch(held: String)
    }

    private let datacenter: String
    private var file: RemoteStateFile?
    private let cache: SnapshotCache
    private let publisher: LocalStatePublisher
    private var applied = RemoteState.empty
    private var generations: [String: UInt64] = [:]
    private var owners: [String: String] = [:]
    /// The digest of each applied service: a delta's version is checked by hashing only the services it changes.
    private var digests: [String: UInt64] = [:]
    private let logger = Logger(label: "federation.remote-state")
    private let applies = Counter(label: MetricNames.remoteStateApplies)

    public init(datacenter: String, file: URL?, cache: SnapshotCache, publisher: LocalStatePublisher) {
        self.datacenter = datacenter
        self.file = file.map(RemoteStateFile.init)
        self.cache = cache
        self.publisher = publisher
    }

    public var current: RemoteState { applied }

    /// Restores the last applied state from the file; a missing file is normal, a bad one is logged and ignored.
    public func restore() async {
        guard let file else { return }
        do {
            guard let persisted = try file.read() else { return }
            let restoredDigests = persisted.state.services.mapValues(RemoteStateVersion.digest(of:))
            let problems = StateValidation.problems(
                in: persisted.state, destination: datacenter, contentVersion: RemoteStateVersion.version(ofServiceDigests: restoredDigests))
            guard problems.isEmpty else { throw ConfigError(problems: problems) }
            applied = persisted.state
            generations = persisted.generations
            owners = persisted.owners ?? [:]
            digests = restoredDigests
            await cache.apply(remote: applied.services)
            await publisher.remoteApplied(version: applied.version)
            logger.info("remote state restored from file", metadata: ["file": "\(file.url.path)", "version": "\(applied.version)"])
        } catch {
            logger.error("remote state file unreadable; starting without remote endpoints until the aggregator pushes",
                         metadata: ["file": "\(file.url.path)", "error": "\(error)"])
        }
    }

    /// Work in proportion to what changed: a delta is checked, hashed and written for the services it names only.
    public func apply(_ push: RemoteState) async -> Outcome {
        var state = push
        let changed: Set<String>?  // nil: every service (a whole state)
        var newDigests: [String: UInt64]
        if let base = push.base {
            guard base == applied.version, let whole = push.applyingDelta(to: applied.services) else {
                return reject(.baseMismatch(held: applied.version), push)
            }
            state = whole
            changed = Set(push.services.keys).union(push.removed)
            newDigests = digests
            for name in push.removed { newDigests[name] = nil }
            for (name, service) in push.services { newDigests[name] = RemoteStateVersion.digest(of: service) }
        } else {
            changed = nil
            newDigests = state.services.mapValues(RemoteStateVersion.digest(of:))
        }
        let problems = StateValidation.problems(
            in: state, destination: datacenter, services: changed, contentVersion: RemoteStateVersion.version(ofServiceDigests: newDigests))
        guard problems.isEmpty else { return reject(.invalid(problems), state) }
        if let newest = generations[state.generatedBy], state.generation < newest {
            let reason = "generation \(state.generation) is older than \(newest) already applied from \(state.generatedBy)"
            return reject(.conflict(reason, appliedGeneration: newest), state)
        }
        var newGenerations = generations
        newGenerations[state.generatedBy] = max(state.generation, newGenerations[state.generatedBy] ?? 0)
        let composed = RemoteStateComposition.compose(push: state, held: applied, owners: owners)
        if !composed.kept.isEmpty {
            // Slices of another aggregator's fresher push stayed: the held state is not the push.
            newDigests = composed.state.services.mapValues(RemoteStateVersion.digest(of:))
        }
        let contentChanged = composed.state.version != applied.version
        if !contentChanged && composed.state.sources == applied.sources && composed.owners == owners {
            generations = newGenerations
            return .unchanged
        }
        if var writer = file {
            do {
                try writer.write(.init(state: composed.state, generations: newGenerations, owners: composed.owners))
                file = writer
            } catch {
                return reject(.storageFailed("cannot write \(writer.url.path): \(error)"), state)
            }
        }
        digests = newDigests
        applied = composed.state
        generations = newGenerations
        owners = composed.owners
        guard contentChanged else { return .unchanged }
        await cache.apply(remote: applied.services)
        await publisher.remoteApplied(version: applied.version)
        applies.increment()
        Gauge(label: MetricNames.remoteStateLastApplied).record(Date().timeIntervalSince1970)
        var metadata: Logger.Metadata = [
            "version": "\(applied.version)", "generatedBy": "\(state.generatedBy)", "generation": "\(state.generation)",
            "services": "\(applied.services.count)",
        ]
        if !composed.kept.isEmpty { metadata["keptFresherSources"] = "\(composed.kept)" }
        if !composed.removed.isEmpty { metadata["removedSources"] = "\(composed.removed)" }
        logger.info("remote state applied", metadata: metadata)
        return .applied
    }

    private func reject(_ outcome: Outcome, _ state: RemoteState) -> Outcome {
        Counter(label: MetricNames.remoteStateRejects, dimensions: [("reason", outcome.reason)]).increment()
        logger.warning("remote state rejected; the applied state stays", metadata: [
            "version": "\(state.version)", "generatedBy": "\(state.generatedBy)", "reason": "\(outcome)",
        ])
        return outcome
    }
}

extension RemoteStateStore.Outcome {
    var reason: String {
        switch self {
        case .applied: "applied"
        case .unchanged: "unchanged"
        case .conflict: "conflict"
        case .invalid: "invalid"
        case .storageFailed: "storage"
        case .baseMismatch: "base_mismatch"
        }
    }
}
