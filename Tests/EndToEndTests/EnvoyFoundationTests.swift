import Foundation
import Testing

/// A real Envoy bootstrapped with ADS to the real `local-control-plane` executable, checked through
/// Envoy's admin API and real HTTP traffic, once per ADS flavour.
@Suite("Envoy end to end: registry file → ADS → Envoy", .serialized, .timeLimit(.minutes(3)))
struct EnvoyFoundationTests {
    static func registry(_ backends: [Backend]) -> String {
        "services:\n  - name: backend\n    instances:\n"
            + backends.map { "      - { id: \($0.name), address: 127.0.0.1, port: \($0.port) }\n" }.joined()
            + "  - name: unrelated\n    instances:\n      - { address: 127.0.0.1, port: 9 }\n"
    }

    static func clientMetadata(egressPort: Int) -> String {
        EnvoyProxy.clientDependingOn("backend", egressPort: egressPort, requestTimeout: "3s")
    }

    @Test("Envoy gets the dependency's endpoints, follows file edits and routes real traffic", arguments: ["GRPC", "DELTA_GRPC"])
    func registryToEnvoy(apiType: String) async throws {
        let directory = try TestEnvironment.temporaryDirectory("foundation-\(apiType)")
        let first = try Backend(name: "backend-1", directory: directory)
        let second = try Backend(name: "backend-2", directory: directory)
        let controlPlane = try ControlPlaneProcess(registryYAML: Self.registry([first]), directory: directory)
        defer { controlPlane.process.stop() }
        #expect(await controlPlane.waitUntilReady())

        let egressPort = TestEnvironment.freePort()
        let envoy = try EnvoyProxy(
            name: "client", nodeId: "client-\(apiType)",
            metadataYAML: Self.clientMetadata(egressPort: egressPort),
            xdsPort: controlPlane.xdsPort, apiType: apiType, directory: directory)
        defer { envoy.stop() }

        let configured = await TestEnvironment.waitUntil { await envoy.endpoints(of: "backend") == [first.address] }
        #expect(configured, "Envoy /clusters shows backend-1; envoy log:\n\(envoy.process.log.suffix(3000))")
        let clusters = await envoy.clusterNames()
        #expect(clusters.contains("backend") && !clusters.contains("unrelated"),
                "no cluster for a service that has instances but is not a dependency: \(clusters)")

        let reply = try await HTTP.get("http://127.0.0.1:\(egressPort)/", headers: [("Host", "backend")])
        #expect(reply.status == 200)
        #expect(reply.body == "backend-1\n")
        let unknown = try await HTTP.get("http://127.0.0.1:\(egressPort)/", headers: [("Host", "nobody")])
        #expect(unknown.status == 503, "envoy-control answers a Host that names no dependency with clusterNotFoundStatusCode")

        let edited = ContinuousClock.now
        try controlPlane.writeRegistry(Self.registry([second]))
        let followed = await TestEnvironment.waitUntil(every: .milliseconds(20)) {
            await envoy.endpoints(of: "backend") == [second.address]
        }
        #expect(followed, "the file edit reached Envoy")
        print("registry-file edit → Envoy /clusters (\(apiType)): \(ContinuousClock.now - edited)")
        let afterEdit = try await HTTP.get("http://127.0.0.1:\(egressPort)/", headers: [("Host", "backend:80")])
        #expect(afterEdit.body == "backend-2\n")

        try controlPlane.writeRegistry("services: [ { name: backend, instances: \"broken\" } ]\n")
        let rejected = await TestEnvironment.waitUntil {
            await HTTP.text("\(controlPlane.api)/metrics")?.contains("registry_errors_total{source=\"file\"} 1") == true
        }
        #expect(rejected, "the broken file was read and counted as an error")
        #expect(await envoy.endpoints(of: "backend") == [second.address], "a broken file keeps the last good catalog")

        let envoys = try #require(await HTTP.text("\(controlPlane.api)/debug/envoys"))
        #expect(envoys.contains("\"nodeId\":\"client-\(apiType)\""))
        #expect(envoys.contains(apiType == "GRPC" ? "\"protocol\":\"sotw\"" : "\"protocol\":\"delta\""))
        let snapshot = try #require(await HTTP.text("\(controlPlane.api)/debug/snapshot?node=client-\(apiType)"))
        #expect(snapshot.contains("\"CDS\"") && snapshot.contains(second.address.split(separator: ":")[0]))
        let metrics = try #require(await HTTP.text("\(controlPlane.api)/metrics"))
        #expect(metrics.contains("xds_connected_streams 1"))
        first.process.stop()
        second.process.stop()
    }

    @Test("a resource Envoy refuses: NACK recorded and counted, Envoy keeps its last good config and takes the next good one", arguments: ["GRPC", "DELTA_GRPC"])
    func realEnvoyNack(apiType: String) async throws {
        let directory = try TestEnvironment.temporaryDirectory("nack-\(apiType)")
        let first = try Backend(name: "backend-1", directory: directory)
        let second = try Backend(name: "backend-2", directory: directory)
        defer { [first, second].forEach { $0.process.stop() } }
        let controlPlane = try ControlPlaneProcess(registryYAML: Self.registry([first]), directory: directory)
        defer { controlPlane.process.stop() }
        #expect(await controlPlane.waitUntilReady())
        let egressPort = TestEnvironment.freePort()
        let envoy = try EnvoyProxy(
            name: "client", nodeId: "nack-\(apiType)", metadataYAML: Self.clientMetadata(egressPort: egressPort),
            xdsPort: controlPlane.xdsPort, apiType: apiType, directory: directory)
        defer { envoy.stop() }
        #expect(await TestEnvironment.waitUntil { await envoy.endpoints(of: "backend") == [first.address] })

        // A host name is a valid registry address, but an EDS endpoint must be an IP: Envoy refuses the assignment.
        try controlPlane.writeRegistry("""
            services:
              - name: backend
                instances:
                  - { address: 127.0.0.1, port: \(second.port) }
                  - { address: backend.invalid, port: 80 }
            """)
        let nacked = await TestEnvironment.waitUntil {
            let metrics = await HTTP.text("\(controlPlane.api)/metrics") ?? ""
            return metrics.split(separator: "\n").contains { line in
                line.hasPrefix("xds_nacks_total{") && line.contains("type=\"EDS\"") && !line.hasSuffix(" 0")
            }
        }
        #expect(nacked, "the NACK is counted; log:\n\(controlPlane.process.log.suffix(1500))")
        #expect((await HTTP.text("\(controlPlane.api)/debug/envoys") ?? "").contains("lastNack"), "and shown per Envoy")
        #expect(controlPlane.process.log.contains("envoy rejected config (NACK)"))
        #expect(await envoy.endpoints(of: "backend") == [first.address], "Envoy keeps its last good endpoints")
        #expect(try await HTTP.get("http://127.0.0.1:\(egressPort)/", headers: [("Host", "backend")]).body == "backend-1\n")

        try controlPlane.writeRegistry(Self.registry([second]))
        #expect(await TestEnvironment.waitUntil { await envoy.endpoints(of: "backend") == [second.address] }, "the next good config is taken")
    }

    @Test("a vanished dependency: its cluster stays, empty, by default (neverRemoveClusters); removed with it off")
    func clusterRemoval() async throws {
        let directory = try TestEnvironment.temporaryDirectory("removal")
        let backend = try Backend(name: "backend-1", directory: directory)
        defer { backend.process.stop() }
        for neverRemove in [true, false] {
            let controlPlane = try ControlPlaneProcess(
                registryYAML: Self.registry([backend]), directory: directory,
                settings: "snapshot: { outgoingPermissions: { enabled: true }, egress: { neverRemoveClusters: \(neverRemove) } }\n")
            defer { controlPlane.process.stop() }
            #expect(await controlPlane.waitUntilReady())
            let envoy = try EnvoyProxy(
                name: "client", nodeId: "removal-\(neverRemove)", metadataYAML: Self.clientMetadata(egressPort: TestEnvironment.freePort()),
                xdsPort: controlPlane.xdsPort, directory: directory)
            defer { envoy.stop() }
            #expect(await TestEnvironment.waitUntil { await envoy.endpoints(of: "backend") == [backend.address] })
            try controlPlane.writeRegistry("services:\n  - name: unrelated\n    instances:\n      - { address: 127.0.0.1, port: 9 }\n")
            if neverRemove {
                #expect(await TestEnvironment.waitUntil { await envoy.endpoints(of: "backend").isEmpty }, "its endpoints go")
                #expect(await envoy.clusterNames().contains("backend"), "the cluster stays")
            } else {
                #expect(await TestEnvironment.waitUntil { await !envoy.clusterNames().contains("backend") }, "the cluster is removed")
            }
        }
    }

    @Test("the ingress listener forwards to the bootstrap's local_service cluster")
    func ingress() async throws {
        let directory = try TestEnvironment.temporaryDirectory("ingress")
        let local = try Backend(name: "local-service", directory: directory)
        defer { local.process.stop() }
        let controlPlane = try ControlPlaneProcess(registryYAML: "services: []\n", directory: directory)
        defer { controlPlane.process.stop() }
        #expect(await controlPlane.waitUntilReady())
        let ingressPort = TestEnvironment.freePort()
        let envoy = try EnvoyProxy(
            name: "server", nodeId: "server-1",
            metadataYAML: """
                    service_name: server
                    \(EnvoyProxy.listenerKeys(egressPort: TestEnvironment.freePort(), ingressPort: ingressPort))
                """,
            xdsPort: controlPlane.xdsPort, directory: directory, localServicePort: local.port)
        defer { envoy.stop() }
        let answered = await TestEnvironment.waitUntil {
            (try? await HTTP.get("http://127.0.0.1:\(ingressPort)/"))?.body == "local-service\n"
        }
        #expect(answered, "ingress reaches the local service; envoy log:\n\(envoy.process.log.suffix(2000))")
    }
}
