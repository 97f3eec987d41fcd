import Shared

/// What the merge decided: the remote services every destination DC gets (and their versions), and which DCs are
/// stale or dropped.
public struct MergeResult: Sendable, Equatable {
    public var remote: [String: [String: RemoteService]]
    /// Per destination, `RemoteStateVersion` of its `remote` services, kept up to date by the merge.
    public var versions: [String: String]
    public var stale: Set<String>
    public var dropped: Set<String>

    public static let empty = MergeResult(remote: [:], versions: [:], stale: [], dropped: [])

    /// The content version of what `destination` receives (identical merges, identical versions).
    public func version(for destination: String) -> String {
        versions[destination] ?? RemoteStateVersion.version(of: [:])
    }
}
