import EnvoyAPI
import Synchronization
import Testing

@testable import LocalControlPlane

@Suite("Snapshot cache")
struct SnapshotCacheTests {
    @Test("groups share each service's encoded bytes; only dependent groups are rebuilt")
    func sharingAndIncrementalRebuild() async throws {
        let cache = SnapshotCache(datacenter: "dc1", properties: Fixtures.strict)
        await cache.apply(Fixtures.catalog(["backend": [Fixtures.instance("10.0.0.1", 80)], "other": []]))
        let backendOnly = try Fixtures.profile()
        var everything = backendOnly
        everything.outgoing.allServices = .init()
        let backendMailbox = SnapshotMailbox {}
        let everythingMailbox = SnapshotMailbox {}
        _ = await cache.watch(backendOnly, into: backendMailbox)
        _ = await cache.watch(everything, into: everythingMailbox)
        let first = try #require(backendMailbox.take())
        let second = try #require(everythingMailbox.take())
        let shared = try #require(first.resources[.endpoint]?["backend"])
        let other = try #require(second.resources[.endpoint]?["backend"])
        #expect(Self.storage(of: other) == Self.storage(of: shared), "one encoding in memory, not two equal ones")
        #expect(await cache.groupCount == 2)

        await cache.apply(Fixtures.catalog(["backend": [Fixtures.instance("10.0.0.1", 80)], "other": [Fixtures.instance("10.0.0.5", 80)]]))
        let updated = try #require(everythingMailbox.take())
        #expect(updated.resources[.endpoint]?["other"] != second.resources[.endpoint]?["other"])
        #expect(updated.version(.endpoint) != second.version(.endpoint))
        #expect(updated.version(.cluster) == second.version(.cluster))
        #expect(backendMailbox.take() == nil, "the group that does not depend on 'other' got no new snapshot")
        #expect(Self.storage(of: try #require(updated.resources[.endpoint]?["backend"])) == Self.storage(of: shared),
                "the unchanged service was not encoded again")
    }

    /// Where a resource's encoded bytes live: equal for shared storage, different for two equal encodings.
    static func storage(of resource: EncodedResource) -> UnsafeRawPointer? {
        resource.any.value.withUnsafeBytes { $0.baseAddress }
    }

    @Test("a new tag or canary re-shapes the routes of dependent groups; a domain dependency adds its cluster")
    func routingTraitsReshapeRoutes() async throws {
        let cache = SnapshotCache(datacenter: "dc1", properties: Fixtures.strict, tagFilter: try TagFilter(pattern: "blue"))
        var profile = try Fixtures.profile()
        profile.outgoing.domains = [DomainDependency(host: "example.com", port: 443, tls: true, explicitPort: false, settings: .init())]
        await cache.apply(Fixtures.catalog(["backend": [Fixtures.instance("10.0.0.1", 80)]]))
        let plain = try #require(await cache.snapshot(for: profile))
        #expect(Set(plain.resources[.cluster]?.keys ?? [:].keys) == ["backend", "example_com_443"])

        await cache.apply(Fixtures.catalog(["backend": [
            Fixtures.instance("10.0.0.1", 80, tags: ["blue", "red"]), Fixtures.instance("10.0.0.2", 80, tags: ["canary"]),
        ]]))
        let tagged = try #require(await cache.snapshot(for: profile))
        #expect(tagged.version(.route) != plain.version(.route))
        #expect(tagged.version(.cluster) != plain.version(.cluster), "the cluster gains subset selectors")
        let routes = try Envoy_Config_Route_V3_RouteConfiguration(serializedBytes: try #require(tagged.resources[.route]?["default_routes"]).any.value)
        let backendRoutes = try #require(routes.virtualHosts.first { $0.name == "backend" }).routes
        let tagRoutes = backendRoutes.compactMap { route in
            route.route.hasMetadataMatch ? route.match.headers.first { $0.name == "x-service-tag" }?.stringMatch.exact : nil
        }
        #expect(Set(tagRoutes.filter { !$0.isEmpty }) == ["blue"], "only tags the --routable-tags filter allows get routes (and the unknown-tag one)")
        #expect(backendRoutes.contains { $0.match.headers.first?.name == "x-canary" })
    }

    @Test("neverRemoveClusters (envoy-control's default): a vanished dependency keeps its cluster, with no endpoints")
    func neverRemoveClusters() async throws {
        var properties = Fixtures.strict
        properties.egress.neverRemoveClusters = true
        let cache = SnapshotCache(datacenter: "dc1", properties: properties)
        let profile = try Fixtures.profile()
        await cache.apply(Fixtures.catalog(["backend": [Fixtures.instance("10.0.0.1", 80)], "other": [Fixtures.instance("10.0.0.2", 80)]]))
        let before = try #require(await cache.snapshot(for: profile))
        await cache.apply(Fixtures.catalog(["other": [Fixtures.instance("10.0.0.2", 80)]]))
        let after = try #require(await cache.snapshot(for: profile))
        #expect(after.resources[.cluster]?["backend"] == before.resources[.cluster]?["backend"], "the cluster stays as it was")
        let endpoints = try #require(after.resources[.endpoint]?["backend"])
        #expect(try Envoy_Config_Endpoint_V3_ClusterLoadAssignment(serializedBytes: endpoints.any.value).endpoints.flatMap(\.lbEndpoints).isEmpty)
        #expect(after.resources[.route]?["default_routes"] == before.resources[.route]?["default_routes"])

        let removing = SnapshotCache(datacenter: "dc1", properties: Fixtures.strict)
        await removing.apply(Fixtures.catalog(["backend": [Fixtures.instance("10.0.0.1", 80)]]))
        await removing.apply(Fixtures.catalog(["other": [Fixtures.instance("10.0.0.2", 80)]]))
        #expect(try #require(await removing.snapshot(for: profile)).resources[.cluster]?["backend"] == nil)
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
        let cache = SnapshotCache(datacenter: "dc1", properties: Fixtures.strict)
        let profile = try Fixtures.profile()
        let watch = await cache.watch(profile, into: SnapshotMailbox {})
        #expect(await cache.groupCount == 1 && watch.group == profile.groupId)
        await cache.cancelWatch(watch.id, profile: profile)
        #expect(await cache.groupCount == 0)
    }

    @Test("a mailbox wakes its stream once per batch and keeps only the newest snapshot")
    func mailboxCoalesces() async throws {
        let wakes = Mutex(0)
        let mailbox = SnapshotMailbox { wakes.withLock { $0 += 1 } }
        let cache = SnapshotCache(datacenter: "dc1", properties: Fixtures.strict)
        _ = await cache.watch(try Fixtures.profile(), into: mailbox)
        for address in ["10.0.0.1", "10.0.0.2", "10.0.0.3"] {
            await cache.apply(Fixtures.catalog(["backend": [Fixtures.instance(address, 80)]]))
        }
        #expect(wakes.withLock { $0 } == 1, "one wake-up until the stream takes")
        let newest = try #require(mailbox.take())
        let endpoints = try #require(newest.resources[.endpoint]?["backend"])
        #expect(try Envoy_Config_Endpoint_V3_ClusterLoadAssignment(serializedBytes: endpoints.any.value)
            .endpoints.flatMap(\.lbEndpoints).map(\.endpoint.address.socketAddress.address) == ["10.0.0.3"])
        #expect(mailbox.take() == nil)
        await cache.apply(Fixtures.catalog(["backend": [Fixtures.instance("10.0.0.4", 80)]]))
        #expect(wakes.withLock { $0 } == 2, "taken, so the next snapshot wakes the stream again")
    }
}
