import Testing

@testable import LocalControlPlane

@Suite("Snapshot cache")
struct SnapshotCacheTests {
    @Test("groups share each service's encoded bytes; only dependent groups are rebuilt")
    func sharingAndIncrementalRebuild() async throws {
        let cache = SnapshotCache(datacenter: "dc1")
        await cache.apply(Fixtures.catalog(["backend": [Fixtures.instance("10.0.0.1", 80)], "other": []]))
        let backendOnly = try Fixtures.profile()
        var everything = backendOnly
        everything.outgoing.allServices = .init()
        let (_, backendStream) = await cache.watch(backendOnly)
        let (_, everythingStream) = await cache.watch(everything)
        var backendUpdates = backendStream.makeAsyncIterator()
        var everythingUpdates = everythingStream.makeAsyncIterator()
        let first = try #require(await backendUpdates.next())
        let second = try #require(await everythingUpdates.next())
        let shared = try #require(first.resources[.endpoint]?["backend"])
        #expect(second.resources[.endpoint]?["backend"]?.any.value == shared.any.value)
        #expect(await cache.groupCount == 2)

        await cache.apply(Fixtures.catalog(["backend": [Fixtures.instance("10.0.0.1", 80)], "other": [Fixtures.instance("10.0.0.5", 80)]]))
        let updated = try #require(await everythingUpdates.next())
        #expect(updated.resources[.endpoint]?["other"] != second.resources[.endpoint]?["other"])
        #expect(updated.version(.endpoint) != second.version(.endpoint))
        #expect(updated.version(.cluster) == second.version(.cluster))
    }

    @Test("versions depend only on content")
    func contentVersions() async throws {
        let catalog = Fixtures.catalog(["backend": [Fixtures.instance("10.0.0.1", 80)]])
        let profile = try Fixtures.profile()
        let one = try await Fixtures.snapshot(catalog, profile: profile)
        let two = try await Fixtures.snapshot(catalog, profile: profile)
        for type in ResourceType.allCases {
            #expect(one.version(type) == two.version(type))
        }
    }

    @Test("the last watcher leaving frees its group")
    func groupRelease() async throws {
        let cache = SnapshotCache(datacenter: "dc1")
        let profile = try Fixtures.profile()
        let (id, _) = await cache.watch(profile)
        #expect(await cache.groupCount == 1)
        await cache.cancelWatch(id, profile: profile)
        #expect(await cache.groupCount == 0)
    }
}
