import AsyncHTTPClient
import ConsulDouble
import Foundation
import Hummingbird
import HummingbirdTesting
import Shared
import Testing

@testable import LocalControlPlane

/// The real watcher against the Consul test double served on a real loopback port (Hummingbird `.live`).
struct ConsulWatchHarness {
    let consul: ConsulDoubleCatalog
    let url: String
    let cache: SnapshotCache
    let status: RegistryStatus
    /// What `/v1/state` serves: its index moves once per applied catalog update.
    let publisher: LocalStatePublisher

    /// `aclToken`: the token Consul requires; `token`: the one the watcher sends.
    static func run(
        settings: ConsulWatchSettings = .fast, aclToken: String? = nil, token: String? = nil,
        seed: @Sendable (ConsulDoubleCatalog) async -> Void = { _ in }, _ body: @Sendable (ConsulWatchHarness) async throws -> Void
    ) async throws {
        let consul = ConsulDoubleCatalog()
        await seed(consul)
        let app = Application(router: ConsulDoubleServer(catalog: consul, aclToken: aclToken).router())
        try await app.test(.live) { client in
            let harness = ConsulWatchHarness(
                consul: consul, url: "http://127.0.0.1:\(try #require(client.port))", cache: SnapshotCache(datacenter: "dc1", properties: Fixtures.strict),
                status: RegistryStatus(source: "consul"), publisher: LocalStatePublisher(datacenter: "dc1"))
            let connections = ConsulConnections(maxConcurrentWatches: settings.maxConcurrentWatches)
            let source = ConsulRegistrySource(
                url: harness.url, token: token, connections: connections, settings: settings,
                sink: CatalogSink(cache: harness.cache, state: harness.publisher), status: harness.status)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await source.run() }
                defer { group.cancelAll() }
                try await body(harness)
            }
            try await connections.shutdown()
        }
    }

    /// The instances (`address:port`) of `service` in the catalog the cache serves.
    func endpoints(_ service: String) async -> Set<String> {
        Set(await cache.currentCatalog?[service]?.instances.map { "\($0.address):\($0.port)" } ?? [])
    }

    /// Polls until `condition` holds (at most `timeout`).
    func eventually(timeout: Duration = .seconds(5), _ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return await condition()
    }
}

extension ConsulWatchSettings {
    /// Short waits so faults and index resets play out within a test.
    static var fast: ConsulWatchSettings {
        var settings = ConsulWatchSettings()
        settings.wait = .seconds(1)
        settings.debounce = .milliseconds(20)
        settings.maxConcurrentWatches = 256
        return settings
    }
}
