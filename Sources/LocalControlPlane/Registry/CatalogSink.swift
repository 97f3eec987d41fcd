import Shared

/// Where registry sources deliver this DC's catalog: the xDS cache and the state API see the same one.
public struct CatalogSink: Sendable {
    let cache: SnapshotCache
    let state: LocalStatePublisher

    public init(cache: SnapshotCache, state: LocalStatePublisher) {
        self.cache = cache
        self.state = state
    }

    /// A complete catalog read from the source; `sourceIndex` places it in the source (see `DatacenterState`).
    /// Both at once: the other DCs' wait for this change should not include building this DC's xDS snapshots.
    public func apply(_ catalog: ServiceCatalog, sourceIndex: UInt64) async {
        async let cached: Void = cache.apply(catalog)
        await state.publish(catalog, sourceIndex: sourceIndex)
        await cached
    }
}
