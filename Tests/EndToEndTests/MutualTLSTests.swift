import Foundation
import Shared
import Testing

/// mTLS with `--tls-cert/--tls-key/--tls-ca`: real Envoys over TLS to the xDS port, real HTTPS clients, the real
/// aggregator; peers without a certificate signed by the CA are refused and change nothing.
@Suite("mTLS: xDS and both HTTP APIs", .serialized, .timeLimit(.minutes(3)))
struct MutualTLSTests {
    /// What every test starts from: its directory, the mesh CA, a foreign CA, and a push token in a file.
    struct Setting {
        let directory: URL
        let pki: TestPKI
        let foreign: TestPKI
        let tokenFile: URL
        let token: String

        init(_ name: String) throws {
            directory = try TestEnvironment.temporaryDirectory(name)
            pki = try TestPKI(name: "mesh", directory: directory)
            foreign = try TestPKI(name: "foreign", directory: directory)
            tokenFile = directory.appendingPathComponent("token")
            token = "secret-\(UUID().uuidString)"
            try token.write(to: tokenFile, atomically: true, encoding: .utf8)
        }
    }

    /// Node metadata of a client that depends on `backend`, with an egress port of its own.
    static func dependsOnBackend() -> String {
        EnvoyProxy.clientDependingOn("backend")
    }

    static func registry(_ backends: [Backend]) -> String {
        "services:\n  - name: backend\n    instances:\n"
            + backends.map { "      - { address: 127.0.0.1, port: \($0.port) }\n" }.joined()
    }

    @Test("xDS: an Envoy with a CA-signed certificate is configured; one without a certificate or with a foreign one is refused")
    func envoysOverMutualTLS() async throws {
        let setting = try Setting("mtls-xds")
        let (directory, pki, foreign) = (setting.directory, setting.pki, setting.foreign)
        let backend = try Backend(name: "b1", directory: directory)
        let controlPlane = try ControlPlaneProcess(
            registryYAML: Self.registry([backend]), directory: directory,
            extraArguments: try pki.issue("control-plane", altNames: ["DNS:localhost", "IP:127.0.0.1"]).flags)
        defer { controlPlane.process.stop() }

        let trusted = try EnvoyProxy(
            name: "client", nodeId: "trusted", metadataYAML: Self.dependsOnBackend(), xdsPort: controlPlane.xdsPort, directory: directory,
            xdsTLS: .init(try pki.issue("envoy-trusted", altNames: ["URI:spiffe://dc1/client"])))
        let anonymous = try EnvoyProxy(
            name: "client", nodeId: "anonymous", metadataYAML: Self.dependsOnBackend(), xdsPort: controlPlane.xdsPort,
            directory: directory, xdsTLS: .init(trustingOnly: pki.caCertificate))
        let impostor = try EnvoyProxy(
            name: "client", nodeId: "impostor", metadataYAML: Self.dependsOnBackend(), xdsPort: controlPlane.xdsPort, directory: directory,
            xdsTLS: .init(try foreign.issue("envoy-impostor", altNames: ["URI:spiffe://dc1/client"], trusting: pki.caCertificate)))
        defer { [trusted, anonymous, impostor].forEach { $0.stop() } }

        let configured = await TestEnvironment.waitUntil { await trusted.endpoints(of: "backend") == [backend.address] }
        #expect(configured, "the trusted Envoy got its endpoints over mTLS; control plane log:\n\(controlPlane.process.log.suffix(1500))")
        for refused in [anonymous, impostor] {
            // Envoy retries ADS with backoff: two attempts show the refusal is final, not a slow start.
            let retried = await TestEnvironment.waitUntil { await refused.stat("cluster.envoy-control-xds.upstream_cx_total") ?? 0 >= 2 }
            #expect(retried, "Envoy tried to connect")
            #expect(await refused.endpoints(of: "backend").isEmpty)
            #expect(await refused.stat("control_plane.connected_state") == 0)
        }
        let envoys = try await HTTPSClients.with { clients in
            let client = try clients.make(try pki.issue("operator", altNames: ["DNS:operator"]), trusting: pki.caCertificate)
            return try await HTTP.get("\(controlPlane.api)/debug/envoys", client: client).body
        }
        #expect(envoys.contains("trusted") && !envoys.contains("anonymous") && !envoys.contains("impostor"))
    }

    @Test("HTTP API: refused without a CA-signed certificate; refused pushes change nothing; a good push applies")
    func controlPlaneAPIOverMutualTLS() async throws {
        let setting = try Setting("mtls-http")
        let (directory, pki, foreign, tokenFile, token) = (setting.directory, setting.pki, setting.foreign, setting.tokenFile, setting.token)
        let controlPlane = try ControlPlaneProcess(
            registryYAML: "services: []\n", directory: directory,
            extraArguments: try pki.issue("control-plane", altNames: ["DNS:localhost"]).flags + ["--push-token-file", tokenFile.path])
        defer { controlPlane.process.stop() }

        try await HTTPSClients.with { clients in
            let trusted = try clients.make(try pki.issue("aggregator", altNames: ["DNS:aggregator"]), trusting: pki.caCertificate)
            let anonymous = try clients.make(nil, trusting: pki.caCertificate)
            let impostor = try clients.make(try foreign.issue("impostor", altNames: ["DNS:aggregator"]), trusting: pki.caCertificate)

            let ready = await TestEnvironment.waitUntil { (try? await HTTP.get("\(controlPlane.api)/ready", client: trusted))?.status == 200 }
            #expect(ready, "ready over mTLS; log:\n\(controlPlane.process.log.suffix(1500))")
            let services = ["backend": RemoteService(localities: [RemoteLocality(datacenter: "dc2", priority: 1, instances: [
                WireInstance(ServiceInstance(id: "r1", address: "127.0.0.1", port: 9)),
            ])])]
            let state = RemoteState(generatedBy: "test", generation: 1, services: services)
            let version = state.version
            let push = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
            let authorization = [("Authorization", "Bearer \(token)")]
            for refused in [anonymous, impostor] {
                await #expect(throws: (any Error).self, "TLS handshake refused") {
                    _ = try await HTTP.send(.PUT, "\(controlPlane.api)/v1/remote-state", body: push, headers: authorization, client: refused)
                }
                await #expect(throws: (any Error).self) { _ = try await HTTP.get("\(controlPlane.api)/health", client: refused) }
            }
            let wrongToken = try await HTTP.send(
                .PUT, "\(controlPlane.api)/v1/remote-state", body: push, headers: [("Authorization", "Bearer nope")], client: trusted)
            #expect(wrongToken.status == 401)
            let header = "X-Applied-Remote-Version"
            #expect(try await HTTP.get("\(controlPlane.api)/v1/state", client: trusted).headers.first(name: header) != version,
                    "nothing refused was applied")

            let applied = try await HTTP.send(.PUT, "\(controlPlane.api)/v1/remote-state", body: push, headers: authorization, client: trusted)
            #expect(applied.status == 200, "\(applied.body)")
            #expect(try await HTTP.get("\(controlPlane.api)/v1/state", client: trusted).headers.first(name: header) == version)
        }
    }

    @Test("aggregator over mTLS: polls and pushes with its certificate, a foreign aggregator is refused, its own API needs a certificate")
    func aggregatorOverMutualTLS() async throws {
        let setting = try Setting("mtls-federation")
        let (directory, pki, foreign, tokenFile) = (setting.directory, setting.pki, setting.foreign, setting.tokenFile)
        let backend = try Backend(name: "dc2-a", directory: directory)
        let controlPlaneFlags = try pki.issue("control-plane", altNames: ["DNS:localhost"]).flags + ["--push-token-file", tokenFile.path]
        let dc1 = try ControlPlaneProcess(datacenter: "dc1", registryYAML: "services: []\n", directory: directory, extraArguments: controlPlaneFlags)
        let dc2 = try ControlPlaneProcess(
            datacenter: "dc2", registryYAML: Self.registry([backend]), directory: directory, extraArguments: controlPlaneFlags)
        let aggregator = try AggregatorProcess(
            controlPlanes: [dc1, dc2], tokenFile: tokenFile, directory: directory,
            extraArguments: try pki.issue("aggregator", altNames: ["DNS:localhost"]).flags)
        let outsider = try AggregatorProcess(
            controlPlanes: [dc1], tokenFile: tokenFile, directory: directory.appendingPathComponent("foreign"),
            extraArguments: try foreign.issue("aggregator", altNames: ["DNS:localhost"], trusting: pki.caCertificate).flags)
        let envoy = try EnvoyProxy(
            name: "client", nodeId: "client-dc1", metadataYAML: Self.dependsOnBackend(), xdsPort: dc1.xdsPort, directory: directory,
            xdsTLS: .init(try pki.issue("envoy", altNames: ["URI:spiffe://dc1/client"])))
        defer {
            envoy.stop()
            [aggregator, outsider].forEach { $0.process.stop() }
            [dc1, dc2].forEach { $0.process.stop() }
        }

        let crossed = await TestEnvironment.waitUntil(timeout: .seconds(30)) { await envoy.endpoints(of: "backend") == [backend.address] }
        #expect(crossed, "dc2's instance reached dc1's Envoy through the aggregator over mTLS; log:\n\(aggregator.process.log.suffix(1500))")

        try await HTTPSClients.with { clients in
            let operatorClient = try clients.make(try pki.issue("operator", altNames: ["DNS:operator"]), trusting: pki.caCertificate)
            let anonymous = try clients.make(nil, trusting: pki.caCertificate)
            #expect(try await HTTP.get("\(aggregator.api)/", client: operatorClient).status == 200, "status page over mTLS")
            await #expect(throws: (any Error).self) { _ = try await HTTP.get("\(aggregator.api)/", client: anonymous) }

            // The outsider's certificate is signed by another CA: dc1 refuses its polls, and it says so.
            // Its API wants certificates of the mesh CA (its --tls-ca) and shows one of the foreign CA.
            let outsiderClient = try clients.make(try pki.issue("operator-2", altNames: ["DNS:operator"]), trusting: foreign.caCertificate)
            let reported = await TestEnvironment.waitUntil {
                (try? await HTTP.get("\(outsider.api)/v1/datacenters", client: outsiderClient))?.body.contains("lastError") == true
            }
            #expect(reported, "the refused poll is reported; outsider log:\n\(outsider.process.log.suffix(1500))")
            #expect(await envoy.endpoints(of: "backend") == [backend.address], "the outsider changed nothing")
        }
    }
}
