/// Where the other DCs' instances of one service go in one destination DC's endpoints. Pure.
///
/// Rules, per destination D and service S (S offered cross-DC, by default):
/// - candidates: every other live DC with at least one instance of S;
/// - a split listing D: the other split DCs share priority 0 with D (locality weights, `localWeight` = D's share);
///   a split not listing D: the split DCs come first, together, with their weights;
/// - the rest fail over: in the policy's failover order one priority per DC, unlisted DCs together after them,
///   or all at one priority without an order;
/// - stale DCs (their state unconfirmed beyond `staleAfter`) come after every fresh one, together, out of any split:
///   Envoy reaches them only when no fresh DC can serve. Priorities are contiguous.
enum FailoverRules {
    /// One candidate DC's place: its index in the offering DCs, its priority and its locality weight.
    struct Placement {
        let candidate: Int
        let priority: Int
        var weight: Int? = nil
    }

    /// `offering`: the DCs offering the service, in name order; every one but `destination` is a candidate.
    static func place(
        _ offering: [String], in destination: String, stale: Set<String> = [], servicePolicy: FederationPolicy.ServicePolicy,
        policy: FederationPolicy
    ) -> (placements: [Placement], localWeight: Int?) {
        let others = offering.indices.filter { offering[$0] != destination }
        let candidates = stale.isEmpty ? others : others.filter { !stale.contains(offering[$0]) }
        let fresh = placeFresh(candidates, offering, in: destination, servicePolicy: servicePolicy, policy: policy)
        guard candidates.count < others.count else { return fresh }
        let after = (fresh.placements.map(\.priority).max() ?? 0) + 1
        let demoted = others.filter { stale.contains(offering[$0]) }.map { Placement(candidate: $0, priority: after) }
        return (fresh.placements + demoted, fresh.localWeight)
    }

    private static func placeFresh(
        _ candidates: [Int], _ offering: [String], in destination: String, servicePolicy: FederationPolicy.ServicePolicy,
        policy: FederationPolicy
    ) -> (placements: [Placement], localWeight: Int?) {
        let split = servicePolicy.split
        let order = (servicePolicy.failover ?? policy.defaultFailover).order(for: destination)
        if split.isEmpty && order.isEmpty {
            // The default: every other DC at the first failover priority.
            return (candidates.map { Placement(candidate: $0, priority: 1) }, nil)
        }
        var placements: [Placement] = []
        var localWeight: Int?
        var nextPriority = 1
        let splitDCs = candidates.filter { split[offering[$0]] != nil }
        if !splitDCs.isEmpty {
            if let share = split[destination] {
                localWeight = share
                placements += splitDCs.map { Placement(candidate: $0, priority: 0, weight: split[offering[$0]]) }
            } else {
                placements += splitDCs.map { Placement(candidate: $0, priority: 1, weight: split[offering[$0]]) }
                nextPriority = 2
            }
        }
        let rest = candidates.filter { split[offering[$0]] == nil }
        for datacenter in order {
            guard let candidate = rest.first(where: { offering[$0] == datacenter }) else { continue }
            placements.append(Placement(candidate: candidate, priority: nextPriority))
            nextPriority += 1
        }
        placements += rest.filter { !order.contains(offering[$0]) }.map { Placement(candidate: $0, priority: nextPriority) }
        return (placements, localWeight)
    }
}
