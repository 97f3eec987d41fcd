import Foundation
import Fuzzing
import GRDB
import Testing

/// How long the reliability scenarios hold their faults: seconds in the test command (the smoke subset), the
/// issue's durations with `RELIABILITY_SCALE=full` (`scripts/reliability.sh`, which writes docs/RELIABILITY.md
/// from the `reliability:` lines these tests print).
enum ReliabilityScale {
    static let full = ProcessInfo.processInfo.environment["RELIABILITY_SCALE"] == "full"
    static var consulDown: Duration { full ? .seconds(300) : .seconds(4) }
    static var consulFault: Duration { full ? .seconds(60) : .seconds(4) }
    static var aggregatorKills: Int { full ? 100 : 3 }
    static var partition: Duration { full ? .seconds(600) : .seconds(6) }
    /// Random kill points replay from `RELIABILITY_SEED`; the seed in use is printed.
    static let seed = ProcessInfo.processInfo.environment["RELIABILITY_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0...UInt64.max)

    static func report(_ line: String) { print("reliability: \(line)") }
}

@Suite("Reliability: faults held with real Envoys watching", .serialized, .timeLimit(.minutes(30)))
struct ReliabilityTests {
    /// Envoy's endpoints are sampled while `fault` holds; none of `kept` may go missing.
    private func hold(_ duration: Duration, keeping kept: Set<String>, of envoy: EnvoyProxy, cluster: String) async throws -> Bool {
        var keptAll = true
        let end = ContinuousClock.now + duration
        while ContinuousClock.now < end {
            let endpoints = await envoy.endpoints(of: cluster)
            if !endpoints.isSuperset(of: kept) {
                keptAll = false
                print("reliability: lost endpoints: has \(endpoints), expected at least \(kept)")
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        return keptAll
    }

    /// The control plane's `consul_watch_errors_total`, all endpoints together.
    static func watchErrors(of controlPlane: ControlPlaneProcess) async -> Double {
        let metrics = await HTTP.text("\(controlPlane.api)/metrics") ?? ""
        return metrics.split(separator: "\n").filter { $0.hasPrefix("consul_watch_errors_total{") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
    }

    @Test("Consul down, failing, slow, garbage, reset, flapping: Envoy keeps every endpoint, then converges",
          arguments: ReliabilityScale.full ? ["down", "error", "slow", "garbage", "reset-index", "flapping"] : ["down", "flapping"])
    func consulFaults(fault: String) async throws {
        let world = try await ConsulEndToEndTests.World("reliability-consul-\(fault)", needsFaults: true, consulWait: "2s")
        defer { world.stop() }
        try await world.consul.register(id: "a", service: "backend", port: 21001)
        try await world.consul.register(id: "b", service: "backend", port: 21002)
        let before: Set = ["127.0.0.1:21001", "127.0.0.1:21002"]
        #expect(await TestEnvironment.waitUntil { await world.envoy.endpoints(of: "backend") == before })
        let duration = fault == "down" ? ReliabilityScale.consulDown : ReliabilityScale.consulFault
        let after = before.union(["127.0.0.1:21003"])

        var kept = true
        switch fault {
        case "down":
            // SIGSTOP: connections hang rather than fail, the harder case (every read waits for its timeout).
            world.consul.process.pause()
            kept = try await hold(duration, keeping: before, of: world.envoy, cluster: "backend")
            world.consul.process.resume()
        case "reset-index":
            try await world.consul.resetIndex()
            kept = try await hold(duration, keeping: before, of: world.envoy, cluster: "backend")
        case "flapping":
            let end = ContinuousClock.now + duration
            var failing = false
            var (failingPhases, failuresSeen) = (0, 0)
            while ContinuousClock.now < end {
                failing.toggle()
                let errorsBefore = await Self.watchErrors(of: world.controlPlane)
                try await world.consul.inject(failing ? "error" : "none")
                if failing {
                    // A watch blocked in a query sees the fault only with its next request: wait for it.
                    failingPhases += 1
                    let seen = await TestEnvironment.waitUntil(timeout: .seconds(10)) {
                        await Self.watchErrors(of: world.controlPlane) > errorsBefore
                    }
                    if seen { failuresSeen += 1 }
                }
                kept = try await hold(.seconds(1), keeping: before, of: world.envoy, cluster: "backend") && kept
            }
            try await world.consul.inject("none")
            #expect(failuresSeen == failingPhases, "the control plane saw Consul fail in every failing phase (\(failuresSeen) of \(failingPhases))")
        default:
            try await world.consul.inject(fault, delay: "10s")
            kept = try await hold(duration, keeping: before, of: world.envoy, cluster: "backend")
            try await world.consul.inject("none")
        }
        // The change made once the fault is over must arrive: that is convergence.
        let cleared = ContinuousClock.now
        try await world.consul.register(id: "c", service: "backend", port: 21003)
        let converged = await TestEnvironment.waitUntil(timeout: .seconds(30), every: .milliseconds(20)) {
            await world.envoy.endpoints(of: "backend") == after
        }
        let convergence = ContinuousClock.now - cleared
        ReliabilityScale.report("Consul \(fault) for \(duration): endpoints kept \(kept), converged \(convergence) after it ended")
        #expect(kept, "\(fault): Envoy kept every endpoint")
        #expect(converged, "\(fault): converged; log:\n\(world.controlPlane.process.log.suffix(1500))")
        // A slow Consul's answers in flight when the fault ends still take their 10 s.
        #expect(convergence <= (fault == "slow" ? .seconds(13) : .seconds(3)), "\(fault): converged in \(convergence)")
    }

    @Test("kill -9 of the aggregator at random points, again and again: SQLite never corrupt, dc2 never emptied in dc1")
    func aggregatorKillLoop() async throws {
        let world = try await FederationWorld(name: "reliability-agg-kill", dc1Backends: [], dc2Backends: ["dc2-a", "dc2-b", "dc2-c"])
        defer { world.stop() }
        let names = ["dc2-a", "dc2-b", "dc2-c"]
        try world.dc2.writeRegistry(world.registry(["dc2-a"]))
        #expect(await TestEnvironment.waitUntil { await world.endpointsInDC1() == [world.backend("dc2-a").address] })
        var emptied = 0
        var slowest = Duration.zero
        var random = FuzzRandom(seed: ReliabilityScale.seed, case: 0)
        ReliabilityScale.report("aggregator kill points from RELIABILITY_SEED=\(ReliabilityScale.seed)")
        for round in 1...ReliabilityScale.aggregatorKills {
            // A change in dc2 keeps poll, store and push busy when the kill lands.
            let current = names[round % names.count]
            try world.dc2.writeRegistry(world.registry([current]))
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...600, using: &random)))
            world.aggregator.process.kill9()
            let integrity = try await DatabaseQueue(path: world.aggregator.database.path).read { db in
                try String.fetchOne(db, sql: "PRAGMA integrity_check")
            }
            #expect(integrity == "ok", "round \(round): \(integrity ?? "nil")")
            world.aggregator = try world.aggregator.restarted()
            let started = ContinuousClock.now
            let expected: Set = [world.backend(current).address]
            var seenEmpty = false
            let converged = await TestEnvironment.waitUntil(timeout: .seconds(20), every: .milliseconds(50)) {
                let endpoints = await world.endpointsInDC1()
                seenEmpty = seenEmpty || endpoints.isEmpty
                return endpoints == expected
            }
            #expect(converged, "round \(round): converged to \(current)")
            if seenEmpty { emptied += 1 }
            slowest = max(slowest, ContinuousClock.now - started)
        }
        ReliabilityScale.report(
            "aggregator kill -9 × \(ReliabilityScale.aggregatorKills): integrity ok every time, dc2 emptied in dc1 \(emptied) times, slowest convergence \(slowest)")
        #expect(emptied == 0, "remote endpoints were never emptied")
    }

    @Test("a DC unreachable: the others keep its last-known endpoints flagged stale, and it recovers by itself")
    func datacenterPartition() async throws {
        let world = try await FederationWorld(
            name: "reliability-partition", dc1Backends: [], dc2Backends: ["dc2-a", "dc2-b"], policyYAML: "staleAfter: 12s\n")
        defer { world.stop() }
        try world.dc2.writeRegistry(world.registry(["dc2-a"]))
        let dc2a: Set = [world.backend("dc2-a").address]
        #expect(await TestEnvironment.waitUntil { await world.endpointsInDC1() == dc2a })

        // The aggregator's blocking polls (--poll-wait 10s) answer at least every 10 s, hence staleAfter 12 s.
        world.dc2.process.pause()
        let staleFlagged = await TestEnvironment.waitUntil(timeout: .seconds(40)) {
            await HTTP.text("\(world.aggregator.api)/v1/datacenters")?.contains("\"stale\":true") ?? false
        }
        let kept = try await hold(ReliabilityScale.partition, keeping: dc2a, of: world.envoy, cluster: "backend")
        // Edited while unreachable: the control plane picks it up the moment it runs again.
        try world.dc2.writeRegistry(world.registry(["dc2-b"]))
        world.dc2.process.resume()
        let resumed = ContinuousClock.now
        let recovered = await TestEnvironment.waitUntil(timeout: .seconds(30)) {
            await world.endpointsInDC1() == [world.backend("dc2-b").address]
        }
        let recovery = ContinuousClock.now - resumed
        let unflagged = await TestEnvironment.waitUntil(timeout: .seconds(10)) {
            await HTTP.text("\(world.aggregator.api)/v1/datacenters")?.contains("\"stale\":true") == false
        }
        ReliabilityScale.report("dc2 partitioned for \(ReliabilityScale.partition): flagged stale \(staleFlagged), endpoints kept \(kept), recovered \(recovery) after")
        #expect(staleFlagged, "the aggregator flags dc2 stale")
        #expect(kept, "dc1's Envoy kept dc2's last-known endpoints")
        #expect(recovered && unflagged, "recovered without intervention")
    }
}
