import Foundation
import Shared

/// Each DC's state as the merge uses it, chosen from what the DC's control-plane replicas answered. Pure.
///
/// - An unsynced answer (a control plane that has not read its registry yet) never replaces anything: a rollout
///   or a slow Consul must not withdraw the DC.
/// - Of a DC's replicas the freshest synced answer wins (highest `sourceIndex`, comparable between replicas and
///   restarts); on a tie the state in use stays.
/// - A state that would lose a large share of the DC's instances at once is held (`ShrinkGuard`) until it has stood
///   for the confirmation period.
/// - A state's age counts from when its source last confirmed it: a control plane whose Consul has been failing for
///   a minute serves a catalog a minute old, however recently it answered.
public struct DatacenterStates: Sendable {
    /// A sharp shrink waiting for confirmation.
    public struct Hold: Sendable, Equatable {
        public var candidate: DatacenterSnapshot
        public var since: Date
        public var instancesBefore: Int
        public var instancesAfter: Int
    }

    public enum Outcome: Equatable, Sendable {
        /// Not synced yet: ignored.
        case unsynced
        /// Another replica has a fresher state: kept for that replica, not used.
        case notFreshest
        /// The same services as in use: only the state's age was refreshed.
        case confirmed
        /// The DC's state in use changed: merge again.
        case changed
        case held(Hold)
    }

    public private(set) var current: [String: DatacenterSnapshot] = [:]
    public private(set) var holds: [String: Hold] = [:]
    /// Per DC, per replica URL, the last synced state it answered.
    private var replicas: [String: [String: DatacenterSnapshot]] = [:]

    public init() {}

    /// A state from the store, used until a replica answers.
    public mutating func restore(_ snapshot: DatacenterSnapshot) {
        current[snapshot.state.datacenter] = snapshot
    }

    public mutating func offer(
        _ state: DatacenterState, from replica: String, at now: Date, shrinkGuard: FederationPolicy.ShrinkGuard
    ) -> Outcome {
        guard state.synced else { return .unsynced }
        let datacenter = state.datacenter
        var snapshot = DatacenterSnapshot(state: state, receivedAt: now.addingTimeInterval(-max(0, state.sourceFailingSeconds)))
        if let earlier = replicas[datacenter]?[replica] ?? current[datacenter] { snapshot.share(unchangedServicesOf: earlier) }
        replicas[datacenter, default: [:]][replica] = snapshot
        guard isFreshest(snapshot, of: datacenter, from: replica) else { return .notFreshest }
        guard let inUse = current[datacenter] else {
            current[datacenter] = snapshot
            return .changed
        }
        if inUse.state.services == snapshot.state.services {
            current[datacenter] = snapshot
            holds[datacenter] = nil
            return .confirmed
        }
        let before = inUse.instanceCount
        let after = snapshot.instanceCount
        guard shrinkGuard.holds(from: before, to: after) else {
            current[datacenter] = snapshot
            holds[datacenter] = nil
            return .changed
        }
        let hold = Hold(candidate: snapshot, since: holds[datacenter]?.since ?? now, instancesBefore: before, instancesAfter: after)
        holds[datacenter] = hold
        return confirmHold(of: datacenter, at: now, shrinkGuard: shrinkGuard) ? .changed : .held(hold)
    }

    /// A replica answered "unchanged" for the state it last sent (`bootId`, `index`): that state is confirmed now.
    /// Returns true when it is the state in use (its age was refreshed).
    public mutating func confirm(
        _ datacenter: String, replica: String, bootId: String, index: UInt64, at now: Date, sourceFailingSeconds: Double
    ) -> Bool {
        guard var latest = replicas[datacenter]?[replica], latest.state.bootId == bootId, latest.state.index == index else { return false }
        latest.receivedAt = now.addingTimeInterval(-max(0, sourceFailingSeconds))
        replicas[datacenter]![replica] = latest
        guard let inUse = current[datacenter], inUse.state.bootId == bootId, inUse.state.index == index else { return false }
        current[datacenter]!.receivedAt = latest.receivedAt
        return true
    }

    /// Applies the holds that have stood for the confirmation period; returns the DCs whose state changed.
    public mutating func confirmHolds(at now: Date, shrinkGuard: FederationPolicy.ShrinkGuard) -> [String] {
        holds.keys.sorted().filter { confirmHold(of: $0, at: now, shrinkGuard: shrinkGuard) }
    }

    private mutating func confirmHold(of datacenter: String, at now: Date, shrinkGuard: FederationPolicy.ShrinkGuard) -> Bool {
        guard let hold = holds[datacenter], now.timeIntervalSince(hold.since) >= Double(shrinkGuard.confirmAfter.components.seconds)
        else { return false }
        current[datacenter] = hold.candidate
        holds[datacenter] = nil
        return true
    }

    /// Whether `snapshot`, just answered by `replica`, is the DC's freshest: no other replica's last state is
    /// further on in the source, and on a tie the state in use (if a tied replica has it) stays.
    private func isFreshest(_ snapshot: DatacenterSnapshot, of datacenter: String, from replica: String) -> Bool {
        let others = (replicas[datacenter] ?? [:]).filter { $0.key != replica }.values
        let index = snapshot.state.sourceIndex
        if others.contains(where: { $0.state.sourceIndex > index }) { return false }
        guard let inUse = current[datacenter]?.state.services, inUse != snapshot.state.services else { return true }
        return !others.contains { $0.state.sourceIndex == index && $0.state.services == inUse }
    }
}
