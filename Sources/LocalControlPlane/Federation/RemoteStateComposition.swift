import Shared

/// How a push combines with the remote state a control plane holds, per source DC: the push's slice of a source
/// (its localities of every service) replaces the held one unless the held one was built from a fresher state of
/// that DC. So with two aggregators the freshest view of each DC wins whichever pushed last, and an aggregator that
/// cannot see a DC (no state for it, or an older one) never withdraws or rolls it back. Pure.
struct RemoteStateComposition: Equatable {
    /// The state to hold: the push where its sources are at least as fresh, the held slices elsewhere.
    var state: RemoteState
    /// Source DC → `generatedBy` of the push its slice came from.
    var owners: [String: String]
    /// Sources whose held slice stayed (the push's was older, or the push had none for a DC of its region).
    var kept: [String]
    /// Sources dropped because the push's region no longer lists them.
    var removed: [String]

    static func compose(push: RemoteState, held: RemoteState, owners: [String: String]) -> RemoteStateComposition {
        var accepted = Set<String>()
        var kept: [String] = []
        for (source, stamp) in push.sources {
            // The aggregator that delivered a slice may move it backwards: its own view only does when the DC did
            // (a Consul index reset), since it persists every state before using it.
            if let current = held.sources[source], stamp < current, owners[source] != push.generatedBy {
                kept.append(source)
            } else {
                accepted.insert(source)
            }
        }
        var removed: [String] = []
        for source in held.sources.keys where push.sources[source] == nil {
            if push.datacenters.contains(source) { kept.append(source) } else { removed.append(source) }
        }
        var newOwners = owners.filter { held.sources[$0.key] != nil && !accepted.contains($0.key) && !removed.contains($0.key) }
        for source in accepted { newOwners[source] = push.generatedBy }
        guard !kept.isEmpty else {
            // The usual case: the push stands as it is, and so does its version.
            return RemoteStateComposition(state: push, owners: newOwners, kept: [], removed: removed.sorted())
        }
        let keptSet = Set(kept)
        var services: [String: RemoteService] = [:]
        for name in Set(push.services.keys).union(held.services.keys) {
            let pushed = push.services[name]?.localities.filter { accepted.contains($0.datacenter) } ?? []
            let stayed = held.services[name]?.localities.filter { keptSet.contains($0.datacenter) } ?? []
            guard !pushed.isEmpty || !stayed.isEmpty else { continue }
            services[name] = RemoteService(
                localities: pushed + stayed, localWeight: push.services[name]?.localWeight ?? held.services[name]?.localWeight)
        }
        var sources = push.sources.filter { accepted.contains($0.key) }
        for source in kept { sources[source] = held.sources[source] }
        let state = RemoteState(
            version: RemoteStateVersion.version(of: services), generatedBy: push.generatedBy, generation: push.generation,
            services: services, sources: sources, datacenters: Array(Set(push.datacenters).union(kept)).sorted())
        return RemoteStateComposition(state: state, owners: newOwners, kept: kept.sorted(), removed: removed.sorted())
    }
}
