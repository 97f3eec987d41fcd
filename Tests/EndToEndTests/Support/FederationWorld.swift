import Foundation
import Testing

/// Two or three DCs on loopback, each with a real local control plane and its own registry file (dc2 on a Consul
/// API double when asked), real backends, the real aggregator, and a real Envoy in dc1 whose service `client`
/// depends on `backend`.
final class FederationWorld: @unchecked Sendable {
    let directory: URL
    let tokenFile: URL
    var dc1: ControlPlaneProcess
    var dc2: ControlPlaneProcess
    var dc3: ControlPlaneProcess?
    /// dc2's Consul agent when dc2 watches Consul (`dc2Consul: true`).
    let consul: ConsulAgent?
    var aggregator: AggregatorProcess
    let envoy: EnvoyProxy
    let egressPort: Int
    /// One token for both directions: pushes to the control planes and the aggregator's GET /v1/state.
    let tokenArguments: [String]
    private let backends: [String: Backend]

    /// `dcNBackends`: per DC, the backend instances (by name) registered at start (`dc3Backends` nil: no dc3).
    /// `aggregatorDatabase`: where the aggregator keeps its SQLite file (default: in the world's directory).
    init(
        name: String, dc1Backends: [String], dc2Backends: [String], dc3Backends: [String]? = nil, dc2Consul: Bool = false,
        policyYAML: String? = nil, aggregatorDatabase: URL? = nil, aggregatorArguments: [String] = []
    ) async throws {
        directory = try TestEnvironment.temporaryDirectory(name)
        tokenFile = directory.appendingPathComponent("push-token")
        try "test-token-\(UUID().uuidString)\n".write(to: tokenFile, atomically: true, encoding: .utf8)
        var started: [String: Backend] = [:]
        for backend in dc1Backends + dc2Backends + (dc3Backends ?? []) {
            started[backend] = try Backend(name: backend, directory: directory)
        }
        backends = started
        let tokenArguments = ["--push-token-file", tokenFile.path, "--state-token-file", tokenFile.path]
        self.tokenArguments = tokenArguments
        dc1 = try ControlPlaneProcess(
            datacenter: "dc1", registryYAML: Self.registry(dc1Backends, started), directory: directory, extraArguments: tokenArguments)
        if dc2Consul {
            let consul = try ConsulAgent(directory: directory, needsFaults: true)
            #expect(await consul.waitUntilReady(), "dc2's Consul is up")
            for backend in dc2Backends { try await consul.register(id: backend, service: "backend", port: started[backend]!.port) }
            self.consul = consul
            dc2 = try ControlPlaneProcess(
                datacenter: "dc2", consul: consul, directory: directory, extraArguments: tokenArguments + ["--consul-wait", "2s"])
        } else {
            consul = nil
            dc2 = try ControlPlaneProcess(
                datacenter: "dc2", registryYAML: Self.registry(dc2Backends, started), directory: directory, extraArguments: tokenArguments)
        }
        let directory = directory
        dc3 = try dc3Backends.map {
            try ControlPlaneProcess(
                datacenter: "dc3", registryYAML: Self.registry($0, started), directory: directory, extraArguments: tokenArguments)
        }
        var policyFile: URL?
        if let policyYAML {
            policyFile = directory.appendingPathComponent("policy.yaml")
            try policyYAML.write(to: policyFile!, atomically: true, encoding: .utf8)
        }
        aggregator = try AggregatorProcess(
            controlPlanes: [dc1, dc2] + (dc3.map { [$0] } ?? []), tokenFile: tokenFile, directory: directory, policyFile: policyFile,
            database: aggregatorDatabase, extraArguments: aggregatorArguments)
        egressPort = TestEnvironment.freePort()
        envoy = try EnvoyProxy(
            name: "client", nodeId: "client-dc1",
            metadataYAML: EnvoyProxy.clientDependingOn("backend", egressPort: egressPort),
            xdsPort: dc1.xdsPort, directory: directory)
        let dc1Ready = await dc1.waitUntilReady()
        let dc2Ready = await dc2.waitUntilReady()
        let dc3Ready = await dc3?.waitUntilReady() ?? true
        #expect(dc1Ready && dc2Ready && dc3Ready, "control planes ready")
    }

    func backend(_ name: String) -> Backend { backends[name]! }

    func registry(_ names: [String]) -> String { Self.registry(names, backends) }

    static func registry(_ names: [String], _ backends: [String: Backend]) -> String {
        "services:\n  - name: backend\n    instances:\n"
            + names.map { "      - { id: \($0), address: 127.0.0.1, port: \(backends[$0]!.port) }\n" }.joined()
    }

    /// Which backend answered one request through dc1's Envoy (nil on an error status).
    func request() async -> String? {
        guard let reply = try? await HTTP.get("http://127.0.0.1:\(egressPort)/", headers: [("Host", "backend")]), reply.status == 200 else {
            return nil
        }
        return reply.body.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// How many of `count` requests each backend answered.
    func distribution(of count: Int) async -> [String: Int] {
        var answers: [String: Int] = [:]
        for _ in 0..<count {
            answers[await request() ?? "error", default: 0] += 1
        }
        return answers
    }

    func endpointsInDC1() async -> Set<String> { await envoy.endpoints(of: "backend") }

    /// How many remote states dc1's control plane has applied (its `remote_state_applies_total`).
    func appliedPushesInDC1() async -> Int? {
        guard let metrics = await HTTP.text("\(dc1.api)/metrics") else { return nil }
        return metrics.split(separator: "\n").first { $0.hasPrefix("remote_state_applies_total") }
            .flatMap { $0.split(separator: " ").last.flatMap { Double($0) } }.map { Int($0) } ?? 0
    }

    func stop() {
        envoy.stop()
        aggregator.process.stop()
        dc1.process.stop()
        dc2.process.stop()
        dc3?.process.stop()
        consul?.process.stop()
        for backend in backends.values { backend.process.stop() }
    }
}
