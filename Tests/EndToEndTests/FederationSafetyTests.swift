import Foundation
import Testing

/// Ordinary events that used to withdraw cross-DC routes, each with real processes and a real Envoy in dc1 whose
/// endpoints are sampled the whole time: a rollout while Consul is slow, one bad instance, a second aggregator that
/// cannot see a DC, replicas that disagree, and a remote DC whose backends die.
@Suite("Federation safety: cross-DC routes survive ordinary events", .serialized, .timeLimit(.minutes(3)))
struct FederationSafetyTests {
    /// Samples dc1's endpoints of `backend` for `duration`; true when `kept` was there at every sample.
    static func holds(_ world: FederationWorld, _ kept: Set<String>, for duration: Duration) async throws -> Bool {
        var always = true
        let end = ContinuousClock.now + duration
        while ContinuousClock.now < end {
            let endpoints = await world.endpointsInDC1()
            if !endpoints.isSuperset(of: kept) {
                always = false
                print("federation safety: dc1 lost endpoints: has \(endpoints), expected \(kept)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return always
    }

    static func state(of controlPlane: ControlPlaneProcess, token: URL) async -> [String: Any]? {
        let bearer = (try? String(contentsOf: token, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard let reply = try? await HTTP.get("\(controlPlane.api)/v1/state", headers: [("Authorization", "Bearer \(bearer)")]),
              reply.status == 200 else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any]
    }

    @Test("dc2's control plane restarted while its Consul answers slowly: dc1 never loses dc2; later changes flow")
    func restartWithSlowConsul() async throws {
        let world = try await FederationWorld(name: "slow-restart", dc1Backends: [], dc2Backends: ["dc2-a", "dc2-b"], dc2Consul: true)
        defer { world.stop() }
        let consul = try #require(world.consul)
        let both = Set(["dc2-a", "dc2-b"].map { world.backend($0).address })
        #expect(await TestEnvironment.waitUntil(timeout: .seconds(20)) { await world.endpointsInDC1() == both })

        try await consul.inject("slow", delay: "4s")
        world.dc2.process.kill9()
        world.dc2 = try world.dc2.restarted()
        let sawUnsynced = await TestEnvironment.waitUntil(timeout: .seconds(10), every: .milliseconds(50)) {
            await Self.state(of: world.dc2, token: world.tokenFile)?["synced"] as? Bool == false
        }
        #expect(sawUnsynced, "the restarted control plane said it had not synced yet")
        #expect(try await Self.holds(world, both, for: .seconds(10)), "dc1 kept dc2's instances through the restart")

        try await consul.inject("none")
        try await consul.deregister(id: "dc2-b")
        let flowed = await TestEnvironment.waitUntil(timeout: .seconds(20)) { await world.endpointsInDC1() == [world.backend("dc2-a").address] }
        #expect(flowed, "a later change reached dc1; aggregator log:\n\(world.aggregator.process.log.suffix(1500))")
    }

    @Test("an instance with weight 2,000,000 in dc2 is left out; dc2's other changes still reach dc1")
    func outOfRangeWeight() async throws {
        let world = try await FederationWorld(name: "heavy-instance", dc1Backends: [], dc2Backends: ["dc2-a", "dc2-b"])
        defer { world.stop() }
        let (a, b) = (world.backend("dc2-a"), world.backend("dc2-b"))
        #expect(await TestEnvironment.waitUntil { await world.endpointsInDC1() == [a.address, b.address] })
        let heavy = "      - { id: heavy, address: 127.0.0.1, port: 9, weight: 2000000 }\n"
        try world.dc2.writeRegistry(world.registry(["dc2-a", "dc2-b"]) + heavy)
        let dropped = "instances_dropped_total{reason=\"weight\",source=\"file\"}"
        #expect(await TestEnvironment.waitUntil { await HTTP.text("\(world.dc2.api)/metrics")?.contains(dropped) == true },
                "the bad instance is left out, and counted")
        let changed = ContinuousClock.now
        try world.dc2.writeRegistry(world.registry(["dc2-a"]) + heavy)
        let flowed = await TestEnvironment.waitUntil(timeout: .seconds(10), every: .milliseconds(20)) { await world.endpointsInDC1() == [a.address] }
        print("federation safety: a change next to a bad instance reached dc1 in \(ContinuousClock.now - changed)")
        #expect(flowed, "aggregator log:\n\(world.aggregator.process.log.suffix(1500))")
    }

    @Test("a second aggregator that cannot reach dc2, past its start-up grace: dc1 keeps dc2, no push flapping, changes flow")
    func secondAggregatorBlindToDC2() async throws {
        let world = try await FederationWorld(name: "two-aggregators", dc1Backends: [], dc2Backends: ["dc2-a", "dc2-b"])
        defer { world.stop() }
        let both = Set(["dc2-a", "dc2-b"].map { world.backend($0).address })
        #expect(await TestEnvironment.waitUntil { await world.endpointsInDC1() == both })

        let blind = try AggregatorProcess(
            controlPlanes: [world.dc1], tokenFile: world.tokenFile, directory: world.directory,
            database: world.directory.appendingPathComponent("blind.sqlite"),
            extraArguments: ["--datacenter", "dc2=http://127.0.0.1:\(TestEnvironment.freePort())", "--initial-sync-grace", "3s"])
        defer { blind.process.stop() }
        #expect(try await Self.holds(world, both, for: .seconds(8)), "dc1 kept dc2 past the blind aggregator's grace")
        #expect(blind.process.log.contains("pushed"), "the blind aggregator did push to dc1:\n\(blind.process.log.suffix(1500))")

        let settled = await world.appliedPushesInDC1()
        #expect(try await Self.holds(world, both, for: .seconds(6)))
        let later = await world.appliedPushesInDC1()
        #expect(settled != nil && settled == later, "no applied pushes while nothing changes: \(String(describing: settled)) → \(String(describing: later))")

        try world.dc2.writeRegistry(world.registry(["dc2-b"]))
        let flowed = await TestEnvironment.waitUntil(timeout: .seconds(10)) { await world.endpointsInDC1() == [world.backend("dc2-b").address] }
        #expect(flowed, "a later change still flows")
    }

    @Test("two replicas of dc2 with different states: the aggregator uses the fresher, whichever answers last")
    func fresherReplicaWins() async throws {
        let world = try await FederationWorld(name: "replicas", dc1Backends: [], dc2Backends: ["dc2-a", "dc2-b"])
        defer { world.stop() }
        world.aggregator.process.stop()
        try world.dc2.writeRegistry(world.registry(["dc2-a"]))
        #expect(await TestEnvironment.waitUntil {
            (await Self.state(of: world.dc2, token: world.tokenFile)?["services"] as? [[String: Any]])?.first?["instances"]
                .map { ($0 as? [Any])?.count == 1 } ?? false
        })
        let replicaB = try ControlPlaneProcess(
            datacenter: "dc2", replica: "-b", registryYAML: world.registry(["dc2-b"]), directory: world.directory,
            extraArguments: world.tokenArguments + ["--remote-state-file", world.directory.appendingPathComponent("remote-dc2-b.json").path])
        defer { replicaB.process.stop() }
        #expect(await replicaB.waitUntilReady())
        world.aggregator = try AggregatorProcess(
            controlPlanes: [world.dc1, world.dc2, replicaB], tokenFile: world.tokenFile, directory: world.directory,
            database: world.directory.appendingPathComponent("replicas.sqlite"))
        let fresher = [world.backend("dc2-b").address]
        #expect(await TestEnvironment.waitUntil(timeout: .seconds(15)) { await world.endpointsInDC1() == Set(fresher) })
        // Both replicas answer again within the 10 s poll wait; the older one must never take over.
        var stayed = true
        let end = ContinuousClock.now + .seconds(12)
        while ContinuousClock.now < end {
            if await world.endpointsInDC1() != Set(fresher) { stayed = false }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(stayed, "the fresher replica's state stayed in use")
    }

    @Test("failover to a DC whose backends die: outlier detection moves traffic to the next priority within 5 s")
    func deadFailoverDatacenter() async throws {
        let world = try await FederationWorld(
            name: "dead-dc", dc1Backends: [], dc2Backends: ["dc2-a"], dc3Backends: ["dc3-a"],
            policyYAML: "defaults: { failover: [dc2, dc3] }\n")
        defer { world.stop() }
        #expect(await TestEnvironment.waitUntil(timeout: .seconds(20)) { await world.endpointsInDC1().count == 2 })
        #expect(await world.distribution(of: 20) == ["dc2-a": 20], "dc2 is the first failover")

        world.backend("dc2-a").process.kill9()  // its registry still lists it
        let died = ContinuousClock.now
        let moved = await TestEnvironment.waitUntil(timeout: .seconds(10), every: .milliseconds(50)) { await world.request() == "dc3-a" }
        let elapsed = ContinuousClock.now - died
        print("federation safety: traffic left a dead failover DC in \(elapsed)")
        #expect(moved && elapsed < .seconds(5))
        #expect(await world.distribution(of: 20) == ["dc3-a": 20])
    }
}
