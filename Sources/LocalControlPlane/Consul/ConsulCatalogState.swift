import Shared

/// What the Consul watches have read so far: the service list and each service's usable instances. It hands out
/// a catalog only once every listed service was read (so Envoys never see a half-read catalog at start), and
/// signals changes so that many of them coalesce into one update.
actor ConsulCatalogState {
    private var generations: [String: Int] = [:]
    private var tags: [String: [String]] = [:]
    /// Each read service's instances as Consul listed them (what a new answer is compared with).
    private var instances: [String: [ServiceInstance]] = [:]
    /// Each read service as the catalog holds it, built again only when its instances or tags change: the catalogs
    /// handed out in turn share every unchanged service's storage, so comparing two of them (the cache and the state
    /// API each do, on every update) finds those equal at once instead of instance by instance.
    private var services: [String: CatalogService] = [:]
    /// The `X-Consul-Index` of each watch's last answer (the service list under ""): the catalog's source index is
    /// their maximum, which also follows an index reset once the watches have read it.
    private var indices: [String: UInt64] = [:]
    private var nextGeneration = 0
    private let changes: AsyncStream<Void>.Continuation
    /// Yields (coalesced) whenever the catalog may have changed.
    nonisolated let changeSignals: AsyncStream<Void>

    init() {
        (changeSignals, changes) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Applies a new service list; returns the services that need a new watch, each with its generation.
    func setServices(_ listed: [String: [String]], index: UInt64) -> [(name: String, generation: Int)] {
        indices[""] = index
        var added: [(String, Int)] = []
        for name in listed.keys.sorted() where generations[name] == nil {
            nextGeneration += 1
            generations[name] = nextGeneration
            added.append((name, nextGeneration))
        }
        let removed = generations.keys.filter { listed[$0] == nil }
        for name in removed {
            generations[name] = nil
            instances[name] = nil
            services[name] = nil
            indices[name] = nil
        }
        if !removed.isEmpty || tags != listed { changes.yield() }
        let retagged = listed.filter { tags[$0.key] != $0.value }.keys
        tags = listed
        for name in retagged { rebuild(name) }
        return added
    }

    /// False once the service left the catalog (or came back under a newer watch): that watch should end.
    func isWatched(_ name: String, generation: Int) -> Bool {
        generations[name] == generation
    }

    func update(_ name: String, generation: Int, instances newInstances: [ServiceInstance], index: UInt64) {
        guard generations[name] == generation else { return }
        indices[name] = index
        guard instances[name] != newInstances else { return }
        instances[name] = newInstances
        rebuild(name)
        changes.yield()
    }

    private func rebuild(_ name: String) {
        guard let read = instances[name] else { return }
        services[name] = CatalogService(name: name, tags: tags[name] ?? [], instances: read)
    }

    var watchCount: Int { generations.count }

    /// The catalog as read so far with its source index, or nil while some listed service has not been read yet.
    func catalog() -> (catalog: ServiceCatalog, sourceIndex: UInt64)? {
        guard generations.keys.allSatisfy({ instances[$0] != nil }) else { return nil }
        return (ServiceCatalog(byName: services), indices.values.max() ?? 0)
    }

    func finish() { changes.finish() }
}
