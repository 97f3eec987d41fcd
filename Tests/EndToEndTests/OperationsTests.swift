import Foundation
import Testing

/// What an operator relies on: JSON logs, `/ready` telling the truth, and SIGTERM ending a process cleanly with its
/// state kept.
@Suite("Operations: logs, readiness, graceful shutdown", .serialized, .timeLimit(.minutes(2)))
struct OperationsTests {
    @Test("--log-format json: every log line is one JSON object carrying the DC")
    func jsonLogs() async throws {
        let directory = try TestEnvironment.temporaryDirectory("json-logs")
        let controlPlane = try ControlPlaneProcess(
            datacenter: "dc7", registryYAML: "services: []\n", directory: directory, extraArguments: ["--log-format", "json"])
        defer { controlPlane.process.stop() }
        #expect(await controlPlane.waitUntilReady())
        try controlPlane.writeRegistry("services: [ { name: backend, instances: \"broken\" } ]\n")
        #expect(await TestEnvironment.waitUntil { controlPlane.process.log.contains("registry file rejected") })
        let lines = controlPlane.process.log.split(separator: "\n")
        #expect(lines.count >= 3)
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["dc"] as? String == "dc7" && object?["level"] != nil && object?["message"] != nil, "\(line)")
        }
    }

    @Test("/ready answers 503 until the first registry sync, then 200")
    func readiness() async throws {
        let directory = try TestEnvironment.temporaryDirectory("readiness")
        let consul = try ConsulAgent(directory: directory, needsFaults: true)
        defer { consul.process.stop() }
        #expect(await consul.waitUntilReady())
        try await consul.register(id: "a", service: "backend", port: 8080)
        try await consul.inject("error")
        let controlPlane = try ControlPlaneProcess(consul: consul, directory: directory, extraArguments: ["--consul-wait", "2s"])
        defer { controlPlane.process.stop() }
        let answering = await TestEnvironment.waitUntil { (try? await HTTP.get("\(controlPlane.api)/ready"))?.status == 503 }
        #expect(answering, "not ready while Consul fails")
        try await consul.inject("none")
        #expect(await TestEnvironment.waitUntil { (try? await HTTP.get("\(controlPlane.api)/ready"))?.status == 200 })
    }

    @Test("SIGTERM: the control plane and the aggregator exit cleanly within seconds, the aggregator's state kept")
    func gracefulShutdown() async throws {
        let world = try await FederationWorld(name: "sigterm", dc1Backends: [], dc2Backends: ["dc2-a"])
        defer { world.stop() }
        #expect(await TestEnvironment.waitUntil { await world.endpointsInDC1() == [world.backend("dc2-a").address] })
        let started = ContinuousClock.now
        #expect(world.dc1.process.terminate(within: 10) == 0, "the control plane with a connected Envoy exits 0")
        #expect(world.aggregator.process.terminate(within: 10) == 0, "the aggregator exits 0")
        print("operations: SIGTERM to exit, control plane then aggregator: \(ContinuousClock.now - started)")
        #expect(world.dc1.process.log.contains("shutting down") || world.dc1.process.log.contains("Shutting down"),
                "the control plane logs its shutdown:\n\(world.dc1.process.log.suffix(800))")
        world.dc2.process.kill9()
        world.aggregator = try world.aggregator.restarted()
        let datacenters = await TestEnvironment.waitUntil {
            await HTTP.text("\(world.aggregator.api)/v1/datacenters")?.contains("\"backend\":1") == true
        }
        #expect(datacenters, "the restarted aggregator has dc2's state from SQLite although dc2 is gone")
    }
}
