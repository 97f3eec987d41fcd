import Foundation
import Shared

/// Merges every DC's services into, for each destination DC, the other DCs' instances as localities with
/// priorities and weights (`FailoverRules`), and the version of what each destination gets. Deterministic: the
/// input's order never matters.
///
/// Incremental: it keeps what each DC contributed last time, the offers per service and, per service, what each
/// destination got. A merge looks only into the DCs whose state or staleness changed, and recomputes only the
/// services whose offers changed; a new policy or a new set of DCs starts over. An unchanged DC hands over the very
/// same arrays, so telling that it did not change is one pointer comparison.
public struct FederationMerger: Sendable {
    /// What a DC contributed to the last merge (absent: dropped, or no state).
    private struct Contribution {
        let services: [WireService]
        let instanceDigests: [UInt64]
        let stale: Bool
    }

    private var contributions: [String: Contribution] = [:]
    /// Per service, the live DCs offering it, in DC name order.
    private var offers: [String: [Offer]] = [:]
    private var services: [String: MergedService] = [:]
    private var basis: (policy: FederationPolicy, destinations: [String])?
    private var result = MergeResult.empty

    public init() {}

    /// A merge from nothing (what a fresh merger does on its first call).
    public static func merge(
        _ snapshots: [String: DatacenterSnapshot], datacenters: [String], policy: FederationPolicy, now: Date
    ) -> MergeResult {
        var merger = FederationMerger()
        return merger.merge(snapshots, datacenters: datacenters, policy: policy, now: now)
    }

    public mutating func merge(
        _ snapshots: [String: DatacenterSnapshot], datacenters: [String], policy: FederationPolicy, now: Date
    ) -> MergeResult {
        let (current, stale, dropped) = Self.contributions(of: snapshots, policy: policy, now: now)
        var touched = updateOffers(to: current)
        let destinations = Set(datacenters).union(snapshots.keys).sorted()
        if basis?.policy != policy || basis?.destinations != destinations {
            startOver(policy: policy, destinations: destinations, expectedServices: offers.count)
            touched = Set(offers.keys)
        }
        var changed = Set<Int>()  // destination indices whose services changed
        for name in touched {
            let offered = offers[name] ?? []
            let previous = services[name]
            if let previous, previous.offers == offered { continue }
            let merged = MergedService(offers: offered, destinations: destinations, servicePolicy: policy.service(name), policy: policy)
            for (index, destination) in destinations.enumerated() where merged.outcomes[index]?.service != previous?.outcomes[index]?.service {
                result.remote[destination]![name] = merged.outcomes[index]?.service
                changed.insert(index)
            }
            services[name] = offered.isEmpty ? nil : merged
        }
        if !changed.isEmpty {
            let services = services
            let names = services.keys.sorted()
            for index in changed {
                result.versions[destinations[index]] = RemoteStateVersion.version(ofSortedServiceDigests: names.compactMap { name in
                    services[name]!.outcomes[index].map { (name, $0.digest) }
                })
            }
        }
        result.stale = stale
        result.dropped = dropped
        return result
    }

    /// What each live DC contributes now; and which DCs are stale or dropped.
    private static func contributions(
        of snapshots: [String: DatacenterSnapshot], policy: FederationPolicy, now: Date
    ) -> (contributions: [String: Contribution], stale: Set<String>, dropped: Set<String>) {
        var contributions: [String: Contribution] = [:]
        var stale = Set<String>()
        var dropped = Set<String>()
        for (datacenter, snapshot) in snapshots {
            let age = Duration.seconds(now.timeIntervalSince(snapshot.receivedAt))
            if let dropAfter = policy.dropAfter, age > dropAfter {
                dropped.insert(datacenter)
                continue
            }
            let isStale = age > policy.staleAfter
            if isStale { stale.insert(datacenter) }
            contributions[datacenter] = Contribution(
                services: snapshot.state.services, instanceDigests: snapshot.instanceDigests, stale: isStale)
        }
        return (contributions, stale, dropped)
    }

    /// Brings the offers in line with `current`, looking only into the DCs whose contribution changed; returns the
    /// services whose offers changed.
    private mutating func updateOffers(to current: [String: Contribution]) -> Set<String> {
        var touched = Set<String>()
        for datacenter in Set(contributions.keys).union(current.keys) {
            let before = contributions[datacenter]
            let after = current[datacenter]
            if before?.stale == after?.stale, before?.services == after?.services { continue }
            let old = Self.instancesByService(before)
            let new = Self.instancesByService(after)
            for name in Set(old.keys).union(new.keys) where before?.stale != after?.stale || old[name]?.instances != new[name]?.instances {
                // Changed inside the dictionary: a list read out of it and written back was copied on every change
                // (20 DCs × 2,000 services when merging from nothing).
                offers[name, default: []].removeAll { $0.datacenter == datacenter }
                if let (instances, digest) = new[name], let after {
                    let offer = Offer(datacenter: datacenter, instances: instances, digest: digest, stale: after.stale)
                    offers[name, default: []].insertInOrder(offer)
                }
                if offers[name]?.isEmpty == true { offers[name] = nil }
                touched.insert(name)
            }
        }
        contributions = current
        return touched
    }

    /// A DC's services that have instances (a service without any offers nothing), with their digests.
    private static func instancesByService(_ contribution: Contribution?) -> [String: (instances: [WireInstance], digest: UInt64)] {
        guard let contribution else { return [:] }
        var byName: [String: (instances: [WireInstance], digest: UInt64)] = [:]
        for (service, digest) in zip(contribution.services, contribution.instanceDigests) where !service.instances.isEmpty {
            byName[service.name] = (service.instances, digest)
        }
        return byName
    }

    /// Forgets every merged service: the next loop merges all of them from nothing.
    private mutating func startOver(policy: FederationPolicy, destinations: [String], expectedServices: Int) {
        services = [:]
        var none: [String: RemoteService] = [:]
        none.reserveCapacity(expectedServices)  // each destination gets about every service: no regrowing
        let nothing = RemoteStateVersion.version(of: [:])
        result = MergeResult(
            remote: Dictionary(uniqueKeysWithValues: destinations.map { ($0, none) }),
            versions: Dictionary(uniqueKeysWithValues: destinations.map { ($0, nothing) }), stale: [], dropped: [])
        basis = (policy, destinations)
    }
}

/// One DC's instances of a service (sorted by id, see `DatacenterSnapshot`) with their digest, and whether the DC
/// is stale (which changes its place: a change of staleness re-merges the service).
private struct Offer: Equatable {
    let datacenter: String
    let instances: [WireInstance]
    let digest: UInt64
    let stale: Bool
}

extension [Offer] {
    /// Inserts `offer` where DC name order puts it.
    fileprivate mutating func insertInOrder(_ offer: Offer) {
        insert(offer, at: firstIndex { $0.datacenter > offer.datacenter } ?? endIndex)
    }
}

/// One service as last merged: the offers it came from, and per destination (by index) what it got.
private struct MergedService {
    struct Outcome {
        let service: RemoteService
        let digest: UInt64
    }

    let offers: [Offer]
    let outcomes: [Outcome?]

    init(offers: [Offer], destinations: [String], servicePolicy: FederationPolicy.ServicePolicy, policy: FederationPolicy) {
        self.offers = offers
        let offering = offers.map(\.datacenter)
        let stale = Set(offers.filter(\.stale).map(\.datacenter))
        outcomes = destinations.map { destination in
            guard servicePolicy.crossDc, offering.contains(where: { $0 != destination }) else { return nil }
            let (placements, localWeight) = FailoverRules.place(
                offering, in: destination, stale: stale, servicePolicy: servicePolicy, policy: policy)
            let service = RemoteService(
                localities: placements.map { placement in
                    let offer = offers[placement.candidate]
                    return RemoteLocality(
                        datacenter: offer.datacenter, priority: placement.priority, weight: placement.weight, instances: offer.instances)
                },
                localWeight: localWeight)
            let digest = RemoteStateVersion.digest(of: service, instanceDigests: placements.map { offers[$0.candidate].digest })
            return Outcome(service: service, digest: digest)
        }
    }
}
