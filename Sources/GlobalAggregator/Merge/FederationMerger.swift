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
        // service → the live DCs offering it, in DC name order, with their instances sorted by id: built once, so
        // the per-destination loop below does no lookups (20 DCs × 2,000 services × 20 instances merge in ~0.1 s).
        var offers: [String: [Offer]] = [:]
        for (datacenter, snapshot) in snapshots.sorted(by: { $0.key < $1.key }) {
            let age = Duration.seconds(now.timeIntervalSince(snapshot.receivedAt))
            if let dropAfter = policy.dropAfter, age > dropAfter {
                dropped.insert(datacenter)
                continue
            }
            if age > policy.staleAfter { stale.insert(datacenter) }
            for service in snapshot.state.services where !service.instances.isEmpty {
                offers[service.name, default: []].append(
                    Offer(datacenter: datacenter, instances: service.instances.sorted { $0.id < $1.id }))
            }
        }
        let destinations = Set(datacenters).union(snapshots.keys).sorted()
        let crossDCServices = offers.keys.sorted().map { ($0, policy.service($0)) }.filter { $0.1.crossDc }
        var remote: [String: [String: RemoteService]] = [:]
        for destination in destinations {
            var services: [String: RemoteService] = [:]
            services.reserveCapacity(crossDCServices.count)
            for (name, servicePolicy) in crossDCServices {
                let candidates = offers[name, default: []].filter { $0.datacenter != destination }
                guard !candidates.isEmpty else { continue }
                services[name] = offer(to: destination, from: candidates, servicePolicy: servicePolicy, policy: policy)
            }
            remote[destination] = services
        }
        return MergeResult(remote: remote, stale: stale, dropped: dropped)
    }

    /// One DC's instances of a service.
    private struct Offer {
        let datacenter: String
        let instances: [WireInstance]
    }

    /// `candidates`: the other DCs offering the service, in name order.
    private static func offer(
        to destination: String, from candidates: [Offer], servicePolicy: FederationPolicy.ServicePolicy, policy: FederationPolicy
    ) -> RemoteService {
        func locality(_ offer: Offer, _ priority: Int, _ weight: Int? = nil) -> RemoteLocality {
            RemoteLocality(datacenter: offer.datacenter, priority: priority, weight: weight, instances: offer.instances)
        }
        let order = (servicePolicy.failover ?? policy.defaultFailover).order(for: destination)
        if servicePolicy.split.isEmpty && order.isEmpty {
            // The default: every other DC at the first failover priority.
            return RemoteService(localities: candidates.map { locality($0, 1) })
        }
        var localities: [RemoteLocality] = []
        var localWeight: Int?
        var nextPriority = 1
        let splitDCs = candidates.filter { servicePolicy.split[$0.datacenter] != nil }
        if !servicePolicy.split.isEmpty, !splitDCs.isEmpty {
            if let share = servicePolicy.split[destination] {
                localWeight = share
                localities += splitDCs.map { locality($0, 0, servicePolicy.split[$0.datacenter]) }
            } else {
                localities += splitDCs.map { locality($0, 1, servicePolicy.split[$0.datacenter]) }
                nextPriority = 2
            }
        }
        let rest = servicePolicy.split.isEmpty ? candidates : candidates.filter { servicePolicy.split[$0.datacenter] == nil }
        for datacenter in order {
            guard let candidate = rest.first(where: { $0.datacenter == datacenter }) else { continue }
            localities.append(locality(candidate, nextPriority))
            nextPriority += 1
        }
        let unordered = rest.filter { !order.contains($0.datacenter) }
        localities += unordered.map { locality($0, nextPriority) }
        return RemoteService(localities: localities, localWeight: localWeight)
    }
}
