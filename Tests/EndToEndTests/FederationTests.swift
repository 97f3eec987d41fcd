import Foundation
import Testing

/// Two DCs, the aggregator and a real Envoy in dc1: cross-DC routing, failover, splits and restarts,
/// checked through Envoy's `/clusters` and real traffic.
@Suite("Federation end to end: two DCs, aggregator, real Envoy", .serialized, .timeLimit(.minutes(3)))
struct FederationTests {
    static func percentile(_ values: [Duration], _ p: Double) -> Duration {
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }

    @Test("a dependency that lives only in dc2 is routed there; cross-DC propagation is measured")
    func crossDatacenterRouting() async throws {
        let world = try await FederationWorld(name: "cross-dc", dc1Backends: [], dc2Backends: ["dc2-a", "dc2-b"])
        defer { world.stop() }
        let both = Set(["dc2-a", "dc2-b"].map { world.backend($0).address })
        let reached = await TestEnvironment.waitUntil { await world.endpointsInDC1() == both }
        #expect(reached, "dc1's Envoy has dc2's instances; aggregator log:\n\(world.aggregator.process.log.suffix(2000))")
        let answer = await world.request()
        #expect(answer == "dc2-a" || answer == "dc2-b", "a real request through dc1's Envoy reached dc2")

        let unauthenticated = try await HTTP.put("\(world.dc1.api)/v1/remote-state", body: "{}")
        #expect(unauthenticated.status == 401)
        #expect(try await HTTP.get("\(world.dc1.api)/v1/state").status == 401, "the DC state needs the state token")
        #expect(await world.endpointsInDC1() == both, "a rejected push changes nothing")

        // Propagation: an instance change in dc2's registry → dc1's Envoy /clusters.
        var latencies: [Duration] = []
        for round in 0..<10 {
            let names = round.isMultiple(of: 2) ? ["dc2-a"] : ["dc2-a", "dc2-b"]
            let expected = Set(names.map { world.backend($0).address })
            let changed = ContinuousClock.now
            try world.dc2.writeRegistry(world.registry(names))
            let arrived = await TestEnvironment.waitUntil(timeout: .seconds(10), every: .milliseconds(20)) {
                await world.endpointsInDC1() == expected
            }
            #expect(arrived, "round \(round) reached dc1")
            latencies.append(ContinuousClock.now - changed)
        }
        let p50 = Self.percentile(latencies, 0.5)
        let p99 = Self.percentile(latencies, 0.99)
        print("cross-DC propagation dc2 registry → dc1 Envoy /clusters over \(latencies.count) changes: p50 \(p50), p99 \(p99)")
        // A measurement (0.2 s alone); the bound only catches a broken path. Seen at 9.8 s with five suites at once on
        // 2 cores, so it stays well above that.
        #expect(p99 < .seconds(20))
        let metrics = await HTTP.text("\(world.aggregator.api)/metrics") ?? ""
        let deltaBytes = metrics.split(separator: "\n").first { $0.hasPrefix("aggregator_poll_body_bytes_total{") && $0.contains("form=\"delta\"") && $0.contains("dc=\"dc2\"") }
        #expect(deltaBytes.flatMap { $0.split(separator: " ").last.flatMap { Double($0) } } ?? 0 > 0,
                "after its first answer dc2's replica sends only what changed:\n\(metrics.split(separator: "\n").filter { $0.contains("poll_body") })")
    }

    @Test("failover: traffic stays in dc1 while it is healthy, moves to dc2 (time measured, bound 10 s), and comes back")
    func failover() async throws {
        let world = try await FederationWorld(name: "failover", dc1Backends: ["dc1-a"], dc2Backends: ["dc2-a"])
        defer { world.stop() }
        let ready = await TestEnvironment.waitUntil(timeout: .seconds(60)) { await world.endpointsInDC1().count == 2 }
        #expect(ready, "dc1's Envoy knows both DCs")
        #expect(await world.distribution(of: 50) == ["dc1-a": 50], "all traffic stays local")

        try world.dc1.writeRegistry(world.registry([]))
        let failedAt = ContinuousClock.now
        let movedAway = await TestEnvironment.waitUntil(timeout: .seconds(10), every: .milliseconds(50)) { await world.request() == "dc2-a" }
        let failoverTime = ContinuousClock.now - failedAt
        print("failover dc1 → dc2 took \(failoverTime)")
        #expect(movedAway, "moved within the generous 10 s bound (a measurement: well under 1 s alone)")
        #expect(await world.distribution(of: 30) == ["dc2-a": 30])

        try world.dc1.writeRegistry(world.registry(["dc1-a"]))
        let back = await TestEnvironment.waitUntil(timeout: .seconds(10), every: .milliseconds(50)) { await world.request() == "dc1-a" }
        #expect(back)
        #expect(await world.distribution(of: 30) == ["dc1-a": 30])
    }

    @Test("split backend {dc1: 80, dc2: 20}: 2,000 requests share 80/20 within ±3 points; /v1/merged shows it; an edited policy is reloaded and reaches the Envoy")
    func split() async throws {
        let world = try await FederationWorld(
            name: "split", dc1Backends: ["dc1-a"], dc2Backends: ["dc2-a"],
            policyYAML: "services:\n  backend: { split: { dc1: 80, dc2: 20 } }\n")
        defer { world.stop() }
        let ready = await TestEnvironment.waitUntil(timeout: .seconds(60)) { await world.endpointsInDC1().count == 2 }
        #expect(ready)
        // The split's locality weights come with the cluster (CDS) as well as the endpoints: wait until both DCs answer.
        let weighted = await TestEnvironment.waitUntil { await world.distribution(of: 40)["dc2-a", default: 0] > 0 }
        #expect(weighted)
        let counts = await world.distribution(of: 2000)
        let share = Double(counts["dc1-a", default: 0]) / 20.0
        print("split 80/20 over 2000 requests: \(counts) → dc1 \(share)%")
        #expect(counts["error"] == nil)
        #expect(abs(share - 80) <= 3)

        // /v1/merged shows what dc1 receives: its own weight and dc2's locality weight.
        let aggregator = "http://127.0.0.1:\(world.aggregator.httpPort)"
        let merged = try #require(await HTTP.text("\(aggregator)/v1/merged"))
        #expect(merged.contains("\"localWeight\":80") && merged.contains("\"weight\":20"), "\(merged.prefix(1500))")

        // The policy file is watched: a new split reaches the Envoy without a restart.
        try "services:\n  backend: { split: { dc1: 20, dc2: 80 } }\n"
            .write(to: world.directory.appendingPathComponent("policy.yaml"), atomically: true, encoding: .utf8)
        let reloaded = await TestEnvironment.waitUntil(timeout: .seconds(20)) {
            await HTTP.text("\(aggregator)/v1/merged")?.contains("\"localWeight\":20") == true
        }
        #expect(reloaded, "the edited policy was merged; aggregator log:\n\(world.aggregator.process.log.suffix(1500))")
        let shifted = await TestEnvironment.waitUntil(timeout: .seconds(20)) {
            let sample = await world.distribution(of: 200)
            return sample["dc1-a", default: 0] < 80
        }
        #expect(shifted, "dc1's Envoy now sends most requests to dc2")
    }

    @Test("kill -9 of the aggregator and a restart while dc2 is down never empties dc2's endpoints in dc1")
    func aggregatorRestartWithDatacenterDown() async throws {
        let world = try await FederationWorld(name: "agg-restart", dc1Backends: [], dc2Backends: ["dc2-a", "dc2-b"])
        defer { world.stop() }
        try world.dc2.writeRegistry(world.registry(["dc2-a"]))
        let dc2a = world.backend("dc2-a").address
        #expect(await TestEnvironment.waitUntil { await world.endpointsInDC1() == [dc2a] })

        world.aggregator.process.kill9()
        world.dc2.process.kill9()
        world.aggregator = try world.aggregator.restarted()
        var alwaysThere = true
        for _ in 0..<40 {  // 4 s with the aggregator back and dc2 unreachable
            if await world.endpointsInDC1() != [dc2a] { alwaysThere = false }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(alwaysThere, "dc1 kept dc2's endpoints the whole time")
        let datacenters = try #require(await HTTP.text("\(world.aggregator.api)/v1/datacenters"))
        #expect(datacenters.contains("\"lastError\""), "the aggregator reports dc2 unreachable")

        try world.dc2.writeRegistry(world.registry(["dc2-b"]))
        world.dc2 = try world.dc2.restarted()
        let flowed = await TestEnvironment.waitUntil(timeout: .seconds(15)) { await world.endpointsInDC1() == [world.backend("dc2-b").address] }
        #expect(flowed, "changes flow again once dc2 is back")
    }

    @Test("a restarted aggregator pushes an unreachable DC's state from SQLite to a control plane that lost its file")
    func aggregatorRestoresFromSQLite() async throws {
        let world = try await FederationWorld(name: "agg-sqlite", dc1Backends: [], dc2Backends: ["dc2-a"])
        defer { world.stop() }
        let dc2a = world.backend("dc2-a").address
        #expect(await TestEnvironment.waitUntil { await world.endpointsInDC1() == [dc2a] })

        world.aggregator.process.kill9()
        world.dc2.process.kill9()
        world.dc1.process.kill9()
        try FileManager.default.removeItem(at: world.directory.appendingPathComponent("remote-state-dc1.json"))
        world.dc1 = try world.dc1.restarted()
        #expect(await world.dc1.waitUntilReady())
        #expect(await TestEnvironment.waitUntil { await world.endpointsInDC1().isEmpty }, "dc1 starts without dc2")
        // Only SQLite knows dc2 now; without it the aggregator would wait its 120 s start-up grace for dc2.
        world.aggregator = try world.aggregator.restarted()
        let restored = await TestEnvironment.waitUntil(timeout: .seconds(15)) { await world.endpointsInDC1() == [dc2a] }
        #expect(restored, "dc2's last-known state came from SQLite; aggregator log:\n\(world.aggregator.process.log.suffix(1500))")
    }

    @Test("a restarted control plane gets its remote state back from its file, then from a re-push")
    func controlPlaneRestart() async throws {
        let world = try await FederationWorld(name: "cp-restart", dc1Backends: [], dc2Backends: ["dc2-a"])
        defer { world.stop() }
        let dc2a = world.backend("dc2-a").address
        #expect(await TestEnvironment.waitUntil { await world.endpointsInDC1() == [dc2a] })

        world.aggregator.process.kill9()
        world.dc1.process.kill9()
        world.dc1 = try world.dc1.restarted()
        #expect(await world.dc1.waitUntilReady())
        let ready = try #require(await HTTP.text("\(world.dc1.api)/ready"))
        #expect(ready.contains("\"remoteStateVersion\""), "restored from the file without any aggregator")
        #expect(await TestEnvironment.waitUntil { await world.endpointsInDC1() == [dc2a] }, "Envoy reconnected and has dc2's endpoint")

        world.aggregator = try world.aggregator.restarted()
        let repushed = await TestEnvironment.waitUntil(timeout: .seconds(15)) {
            guard let text = await HTTP.text("\(world.aggregator.api)/v1/datacenters"),
                  let views = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]],
                  let dc1 = views.first(where: { $0["datacenter"] as? String == "dc1" }),
                  let replica = (dc1["replicas"] as? [[String: Any]])?.first else { return false }
            return replica["pushedBootId"] as? String == replica["bootId"] as? String && replica["pushedBootId"] != nil
                && replica["appliedRemoteVersion"] as? String == dc1["desiredVersion"] as? String
        }
        #expect(repushed, "the aggregator re-pushed to the new boot of dc1")
    }
}
