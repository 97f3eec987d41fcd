import Foundation
import Testing

/// Traffic policy proven with real sidecar Envoys and real HTTP traffic on loopback: permissions, weights,
/// canary, service-tag routing, timeouts and the access-log filter.
@Suite("Traffic policy end to end: sidecars, real traffic", .serialized, .timeLimit(.minutes(3)))
struct TrafficPolicyTests {
    static func incoming(_ policy: String) -> String {
        """
            proxy_settings:
              incoming:
                unlistedEndpointsPolicy: \(policy)
                roles: [{ name: api-readers, clients: [client] }]
                endpoints:
                  - { path: /public, clients: ["*"] }
                  - { pathPrefix: /api/, methods: [GET], clients: [api-readers] }
        """
    }

    static let callerSettings = """
            proxy_settings:
              outgoing:
                dependencies: [{ service: server }, { service: audited }]
        """

    @Test("incoming permissions: allowed client/path/method 200, others 403 (blockAndLog) or 200 with a shadow-deny log line (log)")
    func permissions() async throws {
        let directory = try TestEnvironment.temporaryDirectory("permissions")
        let serverApp = try Backend(name: "server-app", directory: directory)
        let auditedApp = try Backend(name: "audited-app", directory: directory)
        let controlPlane = try ControlPlaneProcess(registryYAML: "services: []\n", directory: directory)
        defer { [serverApp, auditedApp].forEach { $0.process.stop() }; controlPlane.process.stop() }
        #expect(await controlPlane.waitUntilReady())

        let server = try Sidecar(
            service: "server", localServicePort: serverApp.port, settings: Self.incoming("blockAndLog"),
            controlPlane: controlPlane, directory: directory)
        let audited = try Sidecar(
            service: "audited", localServicePort: auditedApp.port, settings: Self.incoming("log"),
            controlPlane: controlPlane, directory: directory)
        let client = try Sidecar(service: "client", settings: Self.callerSettings, controlPlane: controlPlane, directory: directory)
        let intruder = try Sidecar(service: "intruder", settings: Self.callerSettings, controlPlane: controlPlane, directory: directory)
        defer { [server, audited, client, intruder].forEach { $0.stop() } }
        try controlPlane.writeRegistry("""
            services:
              - { name: server, instances: [{ address: 127.0.0.1, port: \(server.ingressPort) }] }
              - { name: audited, instances: [{ address: 127.0.0.1, port: \(audited.ingressPort) }] }
            """)

        #expect(await client.waitForRoute("server", "/api/items"), "client reaches server; log:\n\(server.envoy.process.log.suffix(2000))")
        let allowed = try await client.call("server", "/api/items")
        #expect(allowed.body == "server-app\n")
        #expect(allowed.headers["x-received-service-name"] == ["client"], "the egress listener names the caller")
        #expect(try await client.call("server", "/api/items", method: .POST).status == 403, "method not permitted")
        #expect(try await client.call("server", "/admin").status == 403, "unlisted path")
        #expect(await intruder.waitForRoute("server", "/public"), "anyone may call /public")
        #expect(try await intruder.call("server", "/api/items").status == 403, "client not permitted")
        let spoofed = try await intruder.call("server", "/api/items", headers: [("x-service-name", "client")])
        #expect(spoofed.status == 403, "a caller cannot pose as another service through its egress listener")

        #expect(await intruder.waitForRoute("audited", "/api/items"), "log policy lets a denied call through")
        let shadowLogged = await TestEnvironment.waitUntil {
            audited.envoy.process.log.contains("rbac-shadow GET /api/items caller=intruder verdict=denied")
        }
        #expect(shadowLogged, "shadow deny logged; log:\n\(audited.envoy.process.log.suffix(2000))")
        #expect(try await client.call("audited", "/api/items").status == 200)
        let allowLogged = await TestEnvironment.waitUntil {
            audited.envoy.process.log.contains("rbac-shadow GET /api/items caller=client verdict=allowed")
        }
        #expect(allowLogged, "shadow allow logged")
        let envoys = await HTTP.text("\(controlPlane.api)/debug/envoys") ?? ""
        #expect(envoys.contains("audited-sidecar") && !envoys.contains("lastNack"), "Envoy accepted every resource: \(envoys)")
    }

    static func clientSettings(externalPort: Int) -> String {
        """
            access_log_filter: "status_code:>=500"
            proxy_settings:
              outgoing:
                dependencies:
                  - service: weighted
                  - service: tagged
                  - service: slow
                    timeoutPolicy: { requestTimeout: 300ms }
                  - domain: http://localhost:\(externalPort)
                  - domain: https://secure.example.invalid
        """
    }

    @Test("weights 1:3 split 25/75, x-canary: 1 to canaries (any instance without one), tag routing with 503 when no match, request timeout, domains, filtered access log")
    func routing() async throws {
        let directory = try TestEnvironment.temporaryDirectory("routing")
        let names = ["light", "heavy", "blue", "green", "canary", "slow", "external"]
        var backends: [String: Backend] = [:]
        for name in names { backends[name] = try Backend(name: name, directory: directory) }
        let port = { (name: String) in backends[name]!.port }
        let controlPlane = try ControlPlaneProcess(registryYAML: """
            services:
              - name: weighted
                instances:
                  - { address: 127.0.0.1, port: \(port("light")), tags: ["weight:1"] }
                  - { address: 127.0.0.1, port: \(port("heavy")), tags: ["weight:3"] }
              - name: tagged
                instances:
                  - { address: 127.0.0.1, port: \(port("blue")), tags: [blue] }
                  - { address: 127.0.0.1, port: \(port("green")), tags: [green] }
                  - { address: 127.0.0.1, port: \(port("canary")), tags: [canary] }
              - { name: slow, instances: [{ address: 127.0.0.1, port: \(port("slow")) }] }
            """, directory: directory)
        defer { backends.values.forEach { $0.process.stop() }; controlPlane.process.stop() }
        #expect(await controlPlane.waitUntilReady())
        let client = try Sidecar(
            service: "client", settings: Self.clientSettings(externalPort: port("external")), controlPlane: controlPlane, directory: directory)
        defer { client.stop() }
        #expect(await client.waitForRoute("weighted"), "configured; log:\n\(client.envoy.process.log.suffix(2000))")
        #expect(await client.waitForRoute("tagged"))

        let split = try await Self.count(2000) { try await client.call("weighted", "/split").body }
        let heavyShare = Double(split["heavy\n", default: 0]) / 2000 * 100
        print("weights 1:3 over 2000 requests: \(split)")
        #expect(abs(heavyShare - 75) <= 3, "heavy got \(heavyShare)% (want 75 ± 3): \(split)")

        let plain = try await Self.count(200) { try await client.call("tagged").body }
        #expect(Set(plain.keys) == ["blue\n", "green\n", "canary\n"], "canaries are in the regular set (envoy-control): \(plain)")
        let canary = try await Self.count(50) { try await client.call("tagged", headers: [("x-canary", "1")]).body }
        #expect(Set(canary.keys) == ["canary\n"], "x-canary: 1 reaches the canary only: \(canary)")
        let noCanary = try await Self.count(40) { try await client.call("weighted", headers: [("x-canary", "1")]).body }
        #expect(Set(noCanary.keys) == ["light\n", "heavy\n"], "without a canary instance, any instance: \(noCanary)")
        let blue = try await Self.count(50) { try await client.call("tagged", headers: [("x-service-tag", "blue")]).body }
        #expect(Set(blue.keys) == ["blue\n"], "x-service-tag: blue reaches blue only: \(blue)")
        let missing = try await client.call("tagged", "/no-such-tag", headers: [("x-service-tag", "purple")])
        #expect(missing.status == 503)
        #expect(missing.headers["x-service-tag-error"].first?.contains("tagged") == true)

        let started = ContinuousClock.now
        let cut = try await client.call("slow", "/slow?ms=3000")
        let elapsed = ContinuousClock.now - started
        #expect(cut.status == 504, "the 300 ms request timeout cuts a 3 s backend")
        #expect(elapsed < .seconds(2), "cut after \(elapsed)")
        #expect(try await client.call("slow", "/slow?ms=10").status == 200)

        #expect(try await client.call("localhost:\(port("external"))").body == "external\n", "http domain dependency over DNS")
        let dump = await client.envoy.configDump()
        #expect(dump.contains("secure_example_invalid_443") && dump.contains("\"sni\": \"secure.example.invalid\""), "https domain: TLS with SNI")

        // envoy-control's JSON access log line, one object per request.
        func logged() -> [(type: String, path: String, code: Int)] {
            client.envoy.process.log.split(separator: "\n").compactMap { line in
                guard line.hasPrefix("{"), let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
                return (object["access_log_type"] as? String ?? "", object["request_path"] as? String ?? "", object["response_code"] as? Int ?? 0)
            }
        }
        let found = await TestEnvironment.waitUntil {
            let lines = logged()
            return lines.contains { $0 == ("egress", "/no-such-tag", 503) } && lines.contains { $0 == ("egress", "/slow?ms=3000", 504) }
        }
        #expect(found, "5xx requests are logged; log:\n\(client.envoy.process.log.suffix(2000))")
        #expect(!logged().contains { $0.path.hasPrefix("/split") }, "2xx requests are filtered out")
        let envoys = await HTTP.text("\(controlPlane.api)/debug/envoys") ?? ""
        #expect(envoys.contains("client-sidecar") && !envoys.contains("lastNack"), "Envoy accepted every resource: \(envoys)")
    }

    /// Sends `total` requests, 10 at a time, and counts the distinct answers.
    static func count(_ total: Int, _ call: @escaping @Sendable () async throws -> String) async throws -> [String: Int] {
        try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<10 {
                group.addTask { var answers: [String] = []; for _ in 0..<(total / 10) { answers.append(try await call()) }; return answers }
            }
            var counts: [String: Int] = [:]
            for try await answers in group { for answer in answers { counts[answer, default: 0] += 1 } }
            return counts
        }
    }
}
