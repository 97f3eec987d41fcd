import Shared

/// Where registry sources deliver this DC's catalog: the xDS cache and the state API see the same one.
public struct CatalogSink: Sendable {
    let cache: SnapshotCache
    let state: LocalStatePublisher

    public init(cache: SnapshotCache, state: LocalStatePublisher) {
        self.cache = cache
        self.state = state
    }

    public func apply(_ catalog: ServiceCatalog) async {
        await cache.apply(catalog)
        await state.publish(catalog)
    }
}
