import Benchmark
import EnvoyAPI
import Foundation
import GlobalAggregator
import LocalControlPlane
import Shared

/// Micro-benchmarks of the hot paths (`scripts/bench.sh`; never in the test command): catalog updates, snapshot
/// generation for many groups, protobuf encoding, the aggregator's merge and its SQLite store.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident], maxDuration: .seconds(5), maxIterations: 200)

    Benchmark("catalog: find the changed service, 1,000 services × 10 instances") { benchmark in
        let before = Fixtures.catalog(services: 1_000, instances: 10)
        let after = Fixtures.catalog(services: 1_000, instances: 10, port: 20_000)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(before.changedServices(in: after)) }
    }

    Benchmark("snapshot cache: one change to a service all 100 groups use, 1,000 × 10") { benchmark in
        let cache = SnapshotCache(datacenter: "dc1", properties: Fixtures.properties)
        let catalogs = [8080, 20_000].map { Fixtures.catalog(services: 1_000, instances: 10, port: $0) }
        await cache.apply(catalogs[0])
        let mailbox = SnapshotMailbox {}
        for group in 0..<100 {
            _ = await cache.watch(try Fixtures.profile(group: group, dependencies: 10, services: 1_000), into: mailbox)
        }
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations { await cache.apply(catalogs[(iteration + 1) % 2]) }
        benchmark.stopMeasurement()
        blackHole(mailbox.take())
    }

    Benchmark("protobuf: encode one service's endpoints (10 instances) as a shared resource") { benchmark in
        let assignment = Fixtures.loadAssignment(instances: 10)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(EncodedResource(name: "s0001", message: assignment, typeURL: ResourceType.endpoint.typeURL))
        }
    }

    Benchmark("protobuf: serialise one stream's EDS response (11 shared resources)") { benchmark in
        var response = Envoy_Service_Discovery_V3_DiscoveryResponse()
        let resource = EncodedResource(name: "s0001", message: Fixtures.loadAssignment(instances: 10), typeURL: ResourceType.endpoint.typeURL)
        response.resources = Array(repeating: resource.any, count: 11)
        response.versionInfo = resource.version
        response.typeURL = ResourceType.endpoint.typeURL
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations {
            response.nonce = String(iteration)
            blackHole(try response.serializedBytes() as [UInt8])
        }
    }

    // The aggregator merges from nothing at start and on a policy change; otherwise only what a DC's new state changed.
    Benchmark(
        "aggregator: merge from nothing, 20 DCs × 2,000 services × 20 instances, with versions",
        configuration: .init(metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident], maxDuration: .seconds(20), maxIterations: 20)
    ) { benchmark in
        let (datacenters, snapshots) = Fixtures.federation(datacenters: 20, services: 2_000, instances: 20)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(FederationMerger.merge(snapshots, datacenters: datacenters, policy: FederationPolicy(), now: Date()))
        }
    }

    // Where the merge's instance digests are made: once per DC state received (or restored from the store).
    Benchmark(
        "aggregator: one DC's state taken in (instances sorted and digested), 2,000 services × 20 instances",
        configuration: .init(metrics: [.wallClock, .cpuTotal], maxDuration: .seconds(10), maxIterations: 50)
    ) { benchmark in
        let state = Fixtures.datacenter("dc1", services: 2_000, instances: 20).state
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(DatacenterSnapshot(state: state, receivedAt: Date()))
        }
    }

    Benchmark(
        "aggregator: merge after one DC's new state moved one instance, 20 DCs × 2,000 services × 20 instances",
        configuration: .init(metrics: [.wallClock, .cpuTotal, .mallocCountTotal], maxDuration: .seconds(20), maxIterations: 100)
    ) { benchmark in
        var (datacenters, snapshots) = Fixtures.federation(datacenters: 20, services: 2_000, instances: 20)
        // Two states of dc1, each decoded on its own (no arrays shared), one instance apart.
        let states = [8080, 20_000].map { Fixtures.datacenter("dc1", services: 2_000, instances: 20, port: $0) }
        var merger = FederationMerger()
        blackHole(merger.merge(snapshots, datacenters: datacenters, policy: FederationPolicy(), now: Date()))
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations {
            snapshots["dc1"] = states[(iteration + 1) % 2]
            blackHole(merger.merge(snapshots, datacenters: datacenters, policy: FederationPolicy(), now: Date()))
        }
    }

    Benchmark(
        "local control plane: check a pushed state's version, 19 DCs × 2,000 services × 20 instances",
        configuration: .init(metrics: [.wallClock, .cpuTotal], maxDuration: .seconds(20), maxIterations: 20)
    ) { benchmark in
        let (datacenters, snapshots) = Fixtures.federation(datacenters: 20, services: 2_000, instances: 20)
        let services = FederationMerger.merge(snapshots, datacenters: datacenters, policy: FederationPolicy(), now: Date()).remote["dc1"]!
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(RemoteStateVersion.version(of: services)) }
    }

    Benchmark(
        "aggregator: SQLite save and load one DC (2,000 services × 20 instances)",
        configuration: .init(metrics: [.wallClock, .cpuTotal, .peakMemoryResident], maxDuration: .seconds(10), maxIterations: 20)
    ) { benchmark in
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = StateStore(path: path)
        let snapshot = Fixtures.datacenter("dc1", services: 2_000, instances: 20)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            try await store.save([snapshot])
            blackHole(try await store.loadAll())
        }
    }
}
