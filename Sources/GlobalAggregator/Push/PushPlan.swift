import Shared

/// What every destination DC should hold, as one published value: the merge, the generation it was published under,
/// and the source stamps of the DC states it was built from. Replaced whole on every merge, so a push always pairs
/// a merge with its own generation.
public struct PushPlan: Sendable {
    public let generatedBy: String
    public let generation: UInt64
    public let merge: MergeResult
    /// Per DC whose state went into the merge, its `sourceIndex`.
    public let sources: [String: UInt64]
    /// Every DC of the region (the configured ones).
    public let datacenters: [String]

    public static func empty(generatedBy: String, datacenters: [String]) -> PushPlan {
        PushPlan(generatedBy: generatedBy, generation: 0, merge: .empty, sources: [:], datacenters: datacenters)
    }

    public func version(for destination: String) -> String { merge.version(for: destination) }

    /// The push for `destination`: its remote services, stamped with every other known DC's source index. A DC
    /// dropped by `dropAfter` is stamped too, so its empty slice withdraws it (unless a fresher view of it exists);
    /// a DC this aggregator has no state for is not, so it never withdraws it.
    public func remoteState(for destination: String) -> RemoteState {
        RemoteState(
            version: merge.version(for: destination), generatedBy: generatedBy, generation: generation,
            services: merge.remote[destination] ?? [:], sources: sources.filter { $0.key != destination },
            datacenters: datacenters.filter { $0 != destination })
    }
}
