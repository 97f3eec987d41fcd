import Shared

/// What the Consul watches have read so far: the service list and each service's usable instances. It hands out
/// a catalog only once every listed service was read (so Envoys never see a half-read catalog at start), and
/// signals changes so that many of them coalesce into one update.
actor ConsulCatalogState {
    private var generations: [String: Int] = [:]
    private var tags: [String: [String]] = [:]
    private var instances: [String: [ServiceInstance]] = [:]
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
    func setServices(_ services: [String: [String]], index: UInt64) -> [(name: String, generation: Int)] {
        indices[""] = index
        var added: [(String, Int)] = []
        for name in services.keys.sorted() where generations[name] == nil {
            nextGeneration += 1
            generations[name] = nextGeneration
            added.append((name, nextGeneration))
        }
        let removed = generations.keys.filter { services[$0] == nil }
        for name in removed {
            generations[name] = nil
            instances[name] = nil
            indices[name] = nil
        }
        if !removed.isEmpty || tags != services { changes.yield() }
        tags = services
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
        changes.yield()
    }

    var watchCount: Int { generations.count }

    /// The catalog as read so far with its source index, or nil while some listed service has not been read yet.
    func catalog() -> (catalog: ServiceCatalog, sourceIndex: UInt64)? {
        guard generations.keys.allSatisfy({ instances[$0] != nil }) else { return nil }
        let catalog = ServiceCatalog(services: instances.map { CatalogService(name: $0.key, tags: tags[$0.key] ?? [], instances: $0.value) })
        return (catalog, indices.values.max() ?? 0)
    }

    func finish() { changes.finish() }
}
