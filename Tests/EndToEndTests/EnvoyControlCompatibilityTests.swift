import Foundation
import Testing

/// envoy-control's own Envoys against this control plane: real Envoys started from envoy-control's test bootstraps
/// (`Resources/envoy-control/`), and envoy-control's scenario tests (EnvoyControlTest, LocalServiceTest,
/// LocalServiceCustomHealthCheckRouteTest, StatusRouteTest, HttpIdleTimeoutTest, the permission tests without TLS)
/// ported to this harness with real traffic. The control plane runs as envoy-control's test app does: outgoing
/// permissions on, round robin.
@Suite("envoy-control compatibility: its bootstraps and scenarios", .serialized, .timeLimit(.minutes(5)))
struct EnvoyControlCompatibilityTests {
    static func settings(_ extra: String = "", loadBalancing: String = "{ policy: ROUND_ROBIN }") -> String {
        """
        snapshot:
          outgoingPermissions: { enabled: true, servicesAllowedToUseWildcard: [echo2] }
          loadBalancing: \(loadBalancing)
        \(extra)
        """
    }

    static func registry(echo: [Backend], others: [String: Backend] = [:]) -> String {
        "services:\n  - name: echo\n    instances:\n"
            + echo.map { "      - { id: \($0.name), address: 127.0.0.1, port: \($0.port) }\n" }.joined()
            + others.sorted { $0.key < $1.key }.map { "  - { name: \($0.key), instances: [{ address: 127.0.0.1, port: \($0.value.port) }] }\n" }
            .joined()
    }

    /// One control plane, an echo service and a local service, for one scenario.
    struct World {
        let directory: URL
        let controlPlane: ControlPlaneProcess
        let echo: Backend
        let local: Backend

        init(_ name: String, settings: String = EnvoyControlCompatibilityTests.settings()) async throws {
            directory = try TestEnvironment.temporaryDirectory("ec-\(name)")
            echo = try Backend(name: "echo", directory: directory)
            local = try Backend(name: "local-service", directory: directory)
            controlPlane = try ControlPlaneProcess(
                registryYAML: EnvoyControlCompatibilityTests.registry(echo: [echo]), directory: directory, settings: settings)
            #expect(await controlPlane.waitUntilReady())
        }

        func envoy(_ bootstrap: String) throws -> EnvoyControlBootstrap {
            try EnvoyControlBootstrap(bootstrap, controlPlane: controlPlane, localServicePort: local.port, directory: directory)
        }

        func stop() {
            controlPlane.process.stop()
            [echo, local].forEach { $0.process.stop() }
        }
    }

    /// Every envoy-control test bootstrap that needs no TLS, JWT or Lua (compression and the dynamic forward proxy
    /// are accepted, not acted on yet), and config_xds again over delta xDS.
    static let bootstraps = [
        "config_ads", "config_xds", "config_ads_static_listeners", "config_ads_all_dependencies", "config_ads_no_dependencies",
        "config_ads_disabled_endpoint_permissions", "config_ads_custom_health_check", "config_xds_compression",
        "config_ads_dynamic_forward_proxy", "config_xds+delta",
    ]

    @Test("each bootstrap is configured with no rejected update; egress and ingress carry real traffic", arguments: bootstraps)
    func bootstrapConfigured(bootstrap: String) async throws {
        let delta = bootstrap.hasSuffix("+delta")
        let world = try await World(bootstrap, settings: Self.settings(delta ? "  deltaXdsEnabled: true" : ""))
        defer { world.stop() }
        let envoy = try EnvoyControlBootstrap(
            delta ? String(bootstrap.dropLast("+delta".count)) : bootstrap, controlPlane: world.controlPlane,
            localServicePort: world.local.port, directory: world.directory, deltaXDS: delta)
        defer { envoy.stop() }

        let expectEcho = !["config_ads_no_dependencies", "config_ads_custom_health_check"].contains(bootstrap)
        let routed = await TestEnvironment.waitUntil {
            let reply = try? await envoy.callService("echo")
            return expectEcho ? reply?.body == "echo\n" : reply?.status == 503
        }
        #expect(routed, "egress to echo (\(expectEcho ? "a dependency" : "no dependency: 503")); envoy log:\n\(envoy.envoy.process.log.suffix(3000))")
        let ingress = try await envoy.callLocalService("/hello")
        #expect(ingress.body == "local-service\n", "ingress reaches the bootstrap's local_service")
        let updateStats = await HTTP.text("\(envoy.envoy.admin)/stats?filter=update_") ?? ""
        #expect(await envoy.rejectedUpdates() == 0, "no xDS update rejected:\n\(updateStats)")
        let dump = await envoy.envoy.configDump()
        #expect(dump.contains("\"default_routes\"") && dump.contains("\"ingress_secured_routes\""))
        #expect(!dump.contains("\"name\": \"local_service\",\n     \"type\": \"EDS\""), "no CDS cluster shadows the bootstrap's local_service")

        let streams = await HTTP.text("\(world.controlPlane.api)/debug/envoys") ?? ""
        if bootstrap.hasPrefix("config_xds") {
            for api in ["CDS", "EDS", "LDS", "RDS"] {
                #expect(streams.contains("\"api\":\"\(api)\""), "an Envoy without ads: true uses the separate \(api) service: \(streams)")
            }
            #expect(!streams.contains("\"api\":\"ADS\""))
            #expect(streams.contains("\"protocol\":\"\(delta ? "delta" : "sotw")\""), "\(streams)")
        } else {
            #expect(streams.contains("\"api\":\"ADS\"") && !streams.contains("\"api\":\"CDS\""))
        }
        #expect(!streams.contains("lastNack"), "Envoy accepted every resource: \(streams)")
    }

    @Test("EnvoyControlTest: proxying, redeploy to a second instance, endpoints in the DC's locality", arguments: [
        "config_ads", "config_xds", "config_ads_static_listeners",
    ])
    func envoyControlTest(bootstrap: String) async throws {
        let world = try await World("redeploy-\(bootstrap)")
        defer { world.stop() }
        let redeployed = try Backend(name: "echo-redeployed", directory: world.directory)
        defer { redeployed.process.stop() }
        let envoy = try world.envoy(bootstrap)
        defer { envoy.stop() }

        #expect(await TestEnvironment.waitUntil { (try? await envoy.callService("echo"))?.body == "echo\n" }, "should allow proxy-ing request using envoy")
        let clusters = await HTTP.text("\(envoy.envoy.admin)/clusters?format=json") ?? ""
        #expect(clusters.contains("\"zone\": \"dc1\""), "should assign endpoints to correct clusters (locality = DC)")

        try world.controlPlane.writeRegistry(Self.registry(echo: [world.echo, redeployed]))
        #expect(await TestEnvironment.waitUntil { await envoy.envoy.endpoints(of: "echo").count == 2 })
        try world.controlPlane.writeRegistry(Self.registry(echo: [redeployed]))
        #expect(await TestEnvironment.waitUntil { await envoy.envoy.endpoints(of: "echo") == [redeployed.address] })
        let after = try await envoy.callService("echo")
        #expect(after.body == "echo-redeployed\n", "should route traffic to the second instance when first is deregistered")
    }

    @Test("LocalServiceTest: the ingress adds the service name and the requested authority to responses")
    func localService() async throws {
        let world = try await World("local-service", settings: Self.settings("""
              ingress: { addServiceNameHeaderToResponse: true, addRequestedAuthorityHeaderToResponse: true }
            """))
        defer { world.stop() }
        let envoy = try world.envoy("config_ads")
        defer { envoy.stop() }
        let answered = await TestEnvironment.waitUntil {
            (try? await envoy.callLocalService("/", headers: [("Host", "test-service")]))?.headers["x-service-name"] == ["echo2"]
        }
        #expect(answered, "x-service-name: echo2; envoy log:\n\(envoy.envoy.process.log.suffix(2000))")
        let reply = try await envoy.callLocalService("/", headers: [("Host", "test-service")])
        #expect(reply.status == 200)
        #expect(reply.headers["x-requested-authority"] == ["test-service"])
        let normalized = try await envoy.callLocalService("/a//b/../c")
        #expect(normalized.headers["x-received-path"] == ["/a/c"], "envoy-control's default path normalization (merge slashes, dot segments)")
    }

    @Test("LocalServiceCustomHealthCheckRouteTest: the health check goes to local_service_health_check, the rest to local_service")
    func customHealthCheck() async throws {
        let world = try await World("health-check")
        defer { world.stop() }
        let envoy = try world.envoy("config_ads_custom_health_check")
        defer { envoy.stop() }
        let routed = await TestEnvironment.waitUntil {
            _ = try? await envoy.callLocalService("/status/custom")
            return await envoy.envoy.stat("cluster.local_service_health_check.upstream_rq_200") ?? 0 > 0
        }
        #expect(routed, "health check routed to its cluster; envoy log:\n\(envoy.envoy.process.log.suffix(2000))")
        #expect(await envoy.envoy.stat("cluster.local_service.upstream_rq_200") == nil, "nothing reached local_service yet")
        _ = try await envoy.callLocalService("/status/ping")
        #expect(await envoy.envoy.stat("cluster.local_service.upstream_rq_200") == 1)
    }

    @Test("StatusRouteTest: a custom status prefix gets its virtual cluster")
    func statusRoute() async throws {
        let world = try await World("status-route", settings: Self.settings("""
              routes: { status: { enabled: true, endpoints: [{ path: /my-status/ }], createVirtualCluster: true } }
            """))
        defer { world.stop() }
        let envoy = try world.envoy("config_ads")
        defer { envoy.stop() }
        let counted = await TestEnvironment.waitUntil {
            let reply = try? await envoy.callLocalService("/my-status/abc")
            let counted = await envoy.envoy.stat("vhost.secured_local_service.vcluster.status.upstream_rq_200") ?? 0
            return reply?.status == 200 && counted > 0
        }
        #expect(counted, "status virtual cluster counted the request; envoy log:\n\(envoy.envoy.process.log.suffix(2000))")
    }

    @Test("HttpIdleTimeoutTest: egress connections to a dependency close after egress.commonHttp.connectionIdleTimeout")
    func idleTimeout() async throws {
        let world = try await World("idle-timeout", settings: Self.settings("""
              egress: { commonHttp: { connectionIdleTimeout: 2s } }
            """))
        defer { world.stop() }
        let upstream = try world.envoy("config_ads_no_dependencies")
        defer { upstream.stop() }
        try world.controlPlane.writeRegistry(Self.registry(echo: [world.echo]) + "  - { name: proxy1, instances: [{ address: 127.0.0.1, port: \(upstream.ingressPort) }] }\n")
        let envoy = try world.envoy("config_ads")
        defer { envoy.stop() }
        #expect(await TestEnvironment.waitUntil { (try? await envoy.callService("proxy1"))?.body == "local-service\n" }, "proxy1 answers through its Envoy")
        #expect(await TestEnvironment.waitUntil { await envoy.envoy.stat("cluster.proxy1.upstream_cx_active") == 1 }, "one kept-alive connection")
        let closed = await TestEnvironment.waitUntil(timeout: .seconds(15)) { await envoy.envoy.stat("cluster.proxy1.upstream_cx_active") == 0 }
        #expect(closed, "the idle connection was closed")
        #expect(await envoy.envoy.stat("cluster.proxy1.upstream_cx_idle_timeout") == 1, "closed by the idle timeout")
    }

    @Test("permissions without TLS: as envoy-control, the header names a plaintext caller only via envoy-original-destination; trustServiceNameHeader: always believes it; no incoming block means open; the server switch turns RBAC off")
    func permissions() async throws {
        let world = try await World("permissions", settings: Self.settings("""
              incomingPermissions: { enabled: true }
            """))
        defer { world.stop() }
        let secured = try world.envoy("config_ads")
        let open = try world.envoy("config_ads_disabled_endpoint_permissions")
        defer { [secured, open].forEach { $0.stop() } }
        let enforced = await TestEnvironment.waitUntil { (try? await secured.callLocalService("/endpoint"))?.status == 403 }
        #expect(enforced, "an unlisted client is refused; envoy log:\n\(secured.envoy.process.log.suffix(2000))")
        let viaOriginalDestination = { (client: String) in [("Host", "envoy-original-destination"), ("x-service-name", client)] }
        #expect(try await secured.callLocalService("/endpoint", headers: [("x-service-name", "authorizedClient")]).status == 403,
                "a plaintext header alone names nobody (envoy-control: certificates, or the original-destination path)")
        #expect(try await secured.callLocalService("/endpoint", headers: viaOriginalDestination("authorizedClient")).status == 200)
        #expect(try await secured.callLocalService("/secured_endpoint", headers: viaOriginalDestination("authorizedClient")).status == 403)
        #expect(try await secured.callLocalService("/secured_endpoint", headers: viaOriginalDestination("echo")).status == 200)
        #expect(try await secured.callLocalService("/unlisted", headers: viaOriginalDestination("echo")).status == 403, "unlisted endpoint blocked")
        #expect(await TestEnvironment.waitUntil { (try? await open.callLocalService("/endpoint"))?.status == 200 }, "no incoming block: open to all")

        let trusting = try await World("permissions-header", settings: Self.settings("""
              incomingPermissions: { enabled: true, trustServiceNameHeader: always }
            """))
        defer { trusting.stop() }
        let plaintextMesh = try trusting.envoy("config_ads")
        defer { plaintextMesh.stop() }
        let believed = await TestEnvironment.waitUntil {
            (try? await plaintextMesh.callLocalService("/endpoint", headers: [("x-service-name", "authorizedClient")]))?.status == 200
        }
        #expect(believed, "trustServiceNameHeader: always takes the header from any plaintext caller")
        #expect(try await plaintextMesh.callLocalService("/endpoint", headers: [("x-service-name", "echo")]).status == 403)

        let disabled = try await World("permissions-off")
        defer { disabled.stop() }
        let unenforced = try disabled.envoy("config_ads")
        defer { unenforced.stop() }
        #expect(await TestEnvironment.waitUntil { (try? await unenforced.callLocalService("/endpoint"))?.status == 200 },
                "incomingPermissions.enabled false (envoy-control's default): endpoints are not enforced")
    }

    @Test("TlsBasedAuthenticationTest with config_auth: echo → echo2 (tagged mtls:enabled) is encrypted between the sidecars")
    func tlsAuthentication() async throws {
        let world = try await World("auth", settings: """
            snapshot:
              incomingPermissions: { enabled: true }
              outgoingPermissions: { enabled: true, servicesAllowedToUseWildcard: [echo, echo2] }
            """)
        defer { world.stop() }
        let pki = try TestPKI(name: "ec-mesh", directory: world.directory)
        let certificate = { (service: String) in try pki.issue(service, altNames: ["URI:spiffe://\(service)", "IP:127.0.0.1"]) }
        let echo2 = try EnvoyControlBootstrap(
            "config_auth", controlPlane: world.controlPlane, serviceName: "echo2", localServicePort: world.local.port,
            directory: world.directory, certificate: try certificate("echo2"))
        let echo = try EnvoyControlBootstrap(
            "config_auth", controlPlane: world.controlPlane, serviceName: "echo", localServicePort: world.local.port,
            directory: world.directory, certificate: try certificate("echo"))
        defer { [echo, echo2].forEach { $0.stop() } }
        try world.controlPlane.writeRegistry("""
            services:
              - { name: echo2, instances: [{ address: 127.0.0.1, port: \(echo2.ingressPort), tags: ["mtls:enabled"] }] }
            """)
        let reached = await TestEnvironment.waitUntil { (try? await echo.callService("echo2"))?.body == "local-service\n" }
        #expect(reached, "echo reaches echo2's local service through echo2's Envoy; log:\n\(echo2.envoy.process.log.suffix(2000))")
        #expect(await echo.envoy.stat("cluster.echo2.ssl.handshake") ?? 0 > 0, "encrypted between the sidecars")
        #expect(await echo2.envoy.stat("http.ingress_https.downstream_cx_ssl_total") ?? 0 > 0)
        // tcpDumpsEnabled (envoy-control's default): the TLS sockets the traffic just used are tap sockets.
        #expect(await echo2.envoy.configDump().contains("\"config_id\": \"downstream_tap\""))
        #expect(await echo.envoy.configDump().contains("\"config_id\": \"echo2_tap\""))
        let rejected = (await echo.rejectedUpdates(), await echo2.rejectedUpdates())
        #expect(rejected == (0, 0), "config_auth configured with no rejected update")
    }

    @Test("JWTFilterTest with config_oauth: token selectors (first-provider-prefix:team1, negated, both) decide on the token's authorities")
    func jwtSelectors() async throws {
        let signer = TestJWT()
        let directory = try TestEnvironment.temporaryDirectory("ec-oauth-jwks")
        try signer.jwks.write(to: directory.appendingPathComponent("jwks.json"), atomically: true, encoding: .utf8)
        let jwksPort = TestEnvironment.freePort()
        let jwksServer = try ManagedProcess(
            name: "oauth", executable: TestEnvironment.python,
            arguments: ["-m", "http.server", "\(jwksPort)", "--bind", "127.0.0.1", "--directory", directory.path], directory: directory)
        defer { jwksServer.stop() }
        let world = try await World("oauth", settings: """
            snapshot:
              incomingPermissions: { enabled: true }
              outgoingPermissions: { enabled: true }
              jwt:
                providers:
                  first-provider:
                    jwksUri: http://127.0.0.1:\(jwksPort)/jwks.json
                    createCluster: true
                    clusterName: first-provider
                    clusterPort: \(jwksPort)
                    matchings: { first-provider-prefix: authorities }
            """)
        defer { world.stop() }
        let pki = try TestPKI(name: "ec-mesh", directory: world.directory)
        let echo = try EnvoyControlBootstrap(
            "config_oauth", controlPlane: world.controlPlane, serviceName: "echo", localServicePort: world.local.port,
            directory: world.directory, certificate: try pki.issue("echo", altNames: ["URI:spiffe://echo"]), proxySettings: """
                  incoming:
                    unlistedEndpointsPolicy: blockAndLog
                    endpoints:
                    - { path: '/team-access', clients: ['first-provider-prefix:team1'], unlistedClientsPolicy: blockAndLog }
                    - { path: '/non-team1-access', clients: ['first-provider-prefix:!team1'], unlistedClientsPolicy: blockAndLog }
                    - { path: '/allow-team1-deny-team2', clients: ['first-provider-prefix:team1', 'first-provider-prefix:!team2'] }
                    - path: '/rbac-clients-test'
                      clients: ['first-provider-prefix:team1', 'first-provider-prefix:team2']
                      oauth: { provider: 'first-provider', verification: offline, policy: strict }
            """)
        defer { echo.stop() }
        func status(_ path: String, authorities: [String]?) async throws -> Int {
            let token = try authorities.map { try signer.token(issuer: "https://first-provider.test", authorities: $0) }
            return try await echo.callLocalService(path, headers: token.map { [("Authorization", "Bearer \($0)")] } ?? []).status
        }
        #expect(await TestEnvironment.waitUntil { (try? await status("/team-access", authorities: ["team1"])) == 200 },
                "a token with team1 passes once Envoy has the JWKS; log:\n\(echo.envoy.process.log.suffix(2000))")
        #expect(try await status("/team-access", authorities: ["wrong-team"]) == 403)
        #expect(try await status("/non-team1-access", authorities: ["team1"]) == 403)
        #expect(try await status("/non-team1-access", authorities: ["team2"]) == 200)
        // envoy-control's provideClientsForTestWithNegatedSelector.
        for (authorities, allowed) in [(["team1"], true), (["team2"], false), (["team3"], false), (["team1", "team2"], false), (["team3", "team2"], false)] {
            let answer = try await status("/allow-team1-deny-team2", authorities: authorities)
            #expect(answer == (allowed ? 200 : 403), "/allow-team1-deny-team2 with \(authorities)")
        }
        #expect(try await status("/rbac-clients-test", authorities: ["team2"]) == 200)
        #expect(try await status("/rbac-clients-test", authorities: ["team3"]) == 403)
        #expect(try await status("/rbac-clients-test", authorities: nil) == 401, "strict oauth without a token (envoy-control answers 403)")
        #expect(await echo.rejectedUpdates() == 0, "config_oauth configured with no rejected update")
        #expect(await echo.envoy.configDump().contains("jwt_failure_reason"), "jwt.failedStatusInMetadata on an Envoy new enough for it")
    }

    /// `name` → how many of `total` calls it answered (serially, as envoy-control's `callServiceRepeatedly`).
    static func hits(_ total: Int, _ call: () async throws -> HTTP.Reply) async throws -> [String: Int] {
        var hits: [String: Int] = [:]
        for _ in 0..<total {
            let reply = try await call()
            hits[reply.status == 200 ? reply.body.trimmingCharacters(in: .newlines) : "\(reply.status)", default: 0] += 1
        }
        return hits
    }

    @Test("CanaryLoadBalancingTest: weights hold with a canary; x-canary: 1 reaches only the canary; weight 0 counts as 1")
    func canaryLoadBalancing() async throws {
        let world = try await World("canary", settings: Self.settings(
            loadBalancing: #"{ policy: ROUND_ROBIN, canary: { enabled: true, metadataKey: canary, headerValue: "1" } }"#))
        defer { world.stop() }
        let canary = try Backend(name: "canary", directory: world.directory)
        let regular = try Backend(name: "regular", directory: world.directory)
        defer { [canary, regular].forEach { $0.process.stop() } }
        func register(canaryWeight: Int) throws {
            try world.controlPlane.writeRegistry("""
                services:
                  - name: echo
                    instances:
                      - { address: 127.0.0.1, port: \(canary.port), tags: [canary, "weight:\(canaryWeight)"] }
                      - { address: 127.0.0.1, port: \(regular.port), tags: ["weight:20"] }
                """)
        }
        try register(canaryWeight: 1)
        let envoy = try world.envoy("config_ads")
        defer { envoy.stop() }
        #expect(await TestEnvironment.waitUntil { await envoy.envoy.endpoints(of: "echo").count == 2 })

        let weighted = try await Self.hits(42) { try await envoy.callService("echo") }
        #expect(weighted["canary", default: 0] > 0 && weighted["regular", default: 0] > weighted["canary", default: 0] * 3,
                "should balance load according to weights: \(weighted)")
        let canaryOnly = try await Self.hits(50) { try await envoy.callService("echo", headers: [("x-canary", "1")]) }
        #expect(canaryOnly == ["canary": 50], "should route request to canary instance only: \(canaryOnly)")

        try register(canaryWeight: 0)
        let zero = try await Self.hits(42) { try await envoy.callService("echo") }
        #expect(zero["canary", default: 0] > 0 && zero["regular", default: 0] > 0, "canary weight 0 still gets traffic: \(zero)")
    }

    @Test("ServiceTagsTest: x-service-tag picks tagged instances; unknown or excluded tags get 503; no tag reaches all")
    func serviceTags() async throws {
        let directory = try TestEnvironment.temporaryDirectory("ec-service-tags")
        let names = ["regular", "lorem", "lorem-ipsum", "blacklisted"]
        var backends: [String: Backend] = [:]
        for name in names { backends[name] = try Backend(name: name, directory: directory) }
        defer { backends.values.forEach { $0.process.stop() } }
        let local = try Backend(name: "local-service", directory: directory)
        defer { local.process.stop() }
        let port = { (name: String) in backends[name]!.port }
        let controlPlane = try ControlPlaneProcess(registryYAML: """
            services:
              - name: echo
                instances:
                  - { address: 127.0.0.1, port: \(port("regular")) }
                  - { address: 127.0.0.1, port: \(port("lorem")), tags: [lorem] }
                  - { address: 127.0.0.1, port: \(port("lorem-ipsum")), tags: [lorem, ipsum] }
                  - { address: 127.0.0.1, port: \(port("blacklisted")), tags: [blacklisted] }
            """, directory: directory, settings: Self.settings("""
              routing: { serviceTags: { enabled: true, metadataKey: tag, routingExcludedTags: [{ type: PREFIX, value: blacklist }] } }
            """))
        defer { controlPlane.process.stop() }
        #expect(await controlPlane.waitUntilReady())
        let envoy = try EnvoyControlBootstrap("config_ads", controlPlane: controlPlane, localServicePort: local.port, directory: directory)
        defer { envoy.stop() }
        #expect(await TestEnvironment.waitUntil { await envoy.envoy.endpoints(of: "echo").count == 4 })

        let tag = { (value: String) in { try await envoy.callService("echo", headers: [("x-service-tag", value)]) } }
        #expect(try await Self.hits(10, tag("ipsum")) == ["lorem-ipsum": 10], "should route requests to instance with tag ipsum")
        let lorem = try await Self.hits(20, tag("lorem"))
        #expect(lorem["lorem", default: 0] > 2 && lorem["lorem-ipsum", default: 0] > 2 && lorem.values.reduce(0, +) == 20,
                "should route requests to instances with tag lorem: \(lorem)")
        let all = try await Self.hits(20) { try await envoy.callService("echo") }
        #expect(Set(all.keys) == Set(names), "should route requests to all instances: \(all)")
        #expect(try await Self.hits(10, tag("dolom")) == ["503": 10], "should return 503 if instance with requested tag is not found")
        #expect(try await Self.hits(10, tag("blacklisted")) == ["503": 10], "should return 503 if requested tag is excluded")
    }
}
