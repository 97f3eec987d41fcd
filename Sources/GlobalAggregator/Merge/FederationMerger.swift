import Foundation
import Shared

/// The last good state of one DC and when it was received.
public struct DatacenterSnapshot: Sendable, Equatable {
    public var state: DatacenterState
    public var receivedAt: Date

    public init(state: DatacenterState, receivedAt: Date) {
        self.state = state
        self.receivedAt = receivedAt
    }
}

/// What the merge decided: the remote services every destination DC gets, and which DCs are stale or dropped.
public struct MergeResult: Sendable, Equatable {
    public var remote: [String: [String: RemoteService]]
    public var stale: Set<String>
    public var dropped: Set<String>

    /// The content version of what `destination` receives (identical merges, identical versions).
    public func version(for destination: String) -> String {
        StateValidation.contentVersion(of: remote[destination] ?? [:])
    }
}

/// Merges every DC's services into, for each destination DC, the other DCs' instances as localities with
/// priorities and weights. Pure and deterministic: the input's order never matters.
///
/// Rules, per destination D and service S (S offered cross-DC, by default):
/// - candidates: every other live DC with at least one instance of S;
/// - a split listing D: the other split DCs share priority 0 with D (locality weights, `localWeight` = D's share);
///   a split not listing D: the split DCs come first, together, with their weights;
/// - the rest fail over: in the policy's failover order one priority per DC, unlisted DCs together after them,
///   or all at one priority without an order. Priorities are contiguous.
public enum FederationMerger {
    public static func merge(
        _ snapshots: [String: DatacenterSnapshot], datacenters: [String], policy: FederationPolicy, now: Date
    ) -> MergeResult {
        var stale = Set<String>()
        var dropped = Set<String>()
        var live: [String: [String: [WireInstance]]] = [:]  // dc → service → instances sorted by id
        for (datacenter, snapshot) in snapshots {
            let age = Duration.seconds(now.timeIntervalSince(snapshot.receivedAt))
            if let dropAfter = policy.dropAfter, age > dropAfter {
                dropped.insert(datacenter)
                continue
            }
            if age > policy.staleAfter { stale.insert(datacenter) }
            var services: [String: [WireInstance]] = [:]
            for service in snapshot.state.services where !service.instances.isEmpty {
                services[service.name] = service.instances.sorted { $0.id < $1.id }
            }
            live[datacenter] = services
        }
        let destinations = Set(datacenters).union(snapshots.keys).sorted()
        let serviceNames = Set(live.values.flatMap(\.keys)).sorted()
        var remote: [String: [String: RemoteService]] = [:]
        for destination in destinations {
            var services: [String: RemoteService] = [:]
            for name in serviceNames where policy.service(name).crossDc {
                let candidates = live.keys.filter { $0 != destination && live[$0]?[name] != nil }.sorted()
                guard !candidates.isEmpty else { continue }
                services[name] = offer(name, to: destination, from: candidates, live: live, policy: policy)
            }
            remote[destination] = services
        }
        return MergeResult(remote: remote, stale: stale, dropped: dropped)
    }

    private static func offer(
        _ name: String, to destination: String, from candidates: [String], live: [String: [String: [WireInstance]]],
        policy: FederationPolicy
    ) -> RemoteService {
        let servicePolicy = policy.service(name)
        func locality(_ datacenter: String, _ priority: Int, _ weight: Int? = nil) -> RemoteLocality {
            RemoteLocality(datacenter: datacenter, priority: priority, weight: weight, instances: live[datacenter]?[name] ?? [])
        }
        var localities: [RemoteLocality] = []
        var localWeight: Int?
        var nextPriority = 1
        let splitDCs = candidates.filter { servicePolicy.split[$0] != nil }
        if !servicePolicy.split.isEmpty, !splitDCs.isEmpty {
            if let share = servicePolicy.split[destination] {
                localWeight = share
                localities += splitDCs.map { locality($0, 0, servicePolicy.split[$0]) }
            } else {
                localities += splitDCs.map { locality($0, 1, servicePolicy.split[$0]) }
                nextPriority = 2
            }
        }
        let rest = candidates.filter { !splitDCs.contains($0) || servicePolicy.split.isEmpty }
        let order = (servicePolicy.failover ?? policy.defaultFailover).order(for: destination)
        for datacenter in order where rest.contains(datacenter) {
            localities.append(locality(datacenter, nextPriority))
            nextPriority += 1
        }
        let unordered = rest.filter { !order.contains($0) }
        localities += unordered.map { locality($0, nextPriority) }
        return RemoteService(localities: localities, localWeight: localWeight)
    }
}
