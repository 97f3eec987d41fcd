import Foundation
import Testing

/// Who may call a service, and how often, proven with real sidecar Envoys, certificates made by the test and real
/// traffic: sidecar mTLS with SPIFFE URI SANs (envoy-control's static-secret mode), source-IP authentication from the
/// catalog and from named ranges, and per-endpoint rate limits. Direct calls to an ingress use curl, which can present any certificate and pick its source
/// address on loopback.
@Suite("Identity end to end: sidecar mTLS, source-IP authentication, rate limits", .serialized, .timeLimit(.minutes(3)))
struct IdentityTests {
    static let settings = """
        snapshot:
          incomingPermissions:
            enabled: true
            sourceIpAuthentication:
              ipFromServiceDiscovery: { enabledForIncomingServices: [batch] }
              ipFromRange: { office: [127.0.0.64/30] }
            selectorMatching: { office: { header: x-team } }
          outgoingPermissions: { enabled: true }
        """

    static let serverSettings = """
            proxy_settings:
              incoming:
                endpoints:
                  - { path: /secured, clients: [a] }
                  - { path: /batch, clients: [batch] }
                  - { path: /office, clients: [office] }
                  - { path: /office-blue, clients: ["office:blue"] }
        """

    static let callerSettings = """
            proxy_settings: { outgoing: { dependencies: [{ service: b }] } }
        """

    @Test("mTLS: a's certificate reaches b where b permits a; no certificate, c's certificate or another CA's cannot act as a")
    func mutualTLS() async throws {
        let directory = try TestEnvironment.temporaryDirectory("identity-mtls")
        let mesh = try TestPKI(name: "mesh", directory: directory)
        let rogue = try TestPKI(name: "rogue", directory: directory)
        let identity = { (service: String) in try mesh.issue(service, altNames: ["URI:spiffe://\(service)", "IP:127.0.0.1"]) }
        let (aCertificate, bCertificate, cCertificate) = (try identity("a"), try identity("b"), try identity("c"))
        let forgedA = try rogue.issue("forged-a", altNames: ["URI:spiffe://a", "IP:127.0.0.1"], trusting: mesh.caCertificate)

        let app = try Backend(name: "b-app", directory: directory)
        let controlPlane = try ControlPlaneProcess(registryYAML: "services: []\n", directory: directory, settings: Self.settings)
        defer { app.process.stop(); controlPlane.process.stop() }
        #expect(await controlPlane.waitUntilReady())
        let b = try Sidecar(
            service: "b", localServicePort: app.port, settings: Self.serverSettings, controlPlane: controlPlane, directory: directory,
            certificate: bCertificate)
        let a = try Sidecar(service: "a", settings: Self.callerSettings, controlPlane: controlPlane, directory: directory, certificate: aCertificate)
        let c = try Sidecar(service: "c", settings: Self.callerSettings, controlPlane: controlPlane, directory: directory, certificate: cCertificate)
        defer { [a, b, c].forEach { $0.stop() } }
        try controlPlane.writeRegistry("""
            services:
              - { name: b, instances: [{ address: 127.0.0.1, port: \(b.ingressPort), tags: ["mtls:enabled"] }] }
            """)

        #expect(await a.waitForRoute("b", "/secured"), "a reaches b over mTLS; b's log:\n\(b.envoy.process.log.suffix(2000))")
        let allowed = try await a.call("b", "/secured")
        #expect(allowed.headers.first(name: "x-received-client-cert")?.contains("URI=spiffe://a") == true, "b's service sees the verified caller")
        #expect(await a.envoy.stat("cluster.b.ssl.handshake") ?? 0 > 0, "a's cluster for b spoke TLS")
        #expect(await b.envoy.stat("http.ingress_https.downstream_cx_ssl_total") ?? 0 > 0, "b's ingress took the TLS chain")
        #expect(try await c.call("b", "/secured").status == 403, "c's sidecar holds c's certificate: not permitted")
        #expect(try await c.call("b", "/secured", headers: [("x-service-name", "a")]).status == 403, "c cannot claim a by header")

        let url = "https://127.0.0.1:\(b.ingressPort)/secured"
        #expect(try Self.curl(url, certificate: aCertificate) == 200, "a's certificate straight to b's ingress")
        #expect(try Self.curl(url, certificate: cCertificate, headers: ["x-service-name: a"]) == 403, "c's certificate, a's name")
        #expect(try Self.curl(url, trusting: mesh.caCertificate, headers: ["x-service-name: a"]) == 403, "TLS without a certificate")
        #expect(try Self.curl("http://\(b.ingress)/secured", headers: ["x-service-name: a"]) == 403, "plaintext with a forged header")
        #expect(try Self.curl(url, certificate: forgedA) == 0, "a certificate for a from another CA fails the handshake")
        #expect(await b.envoy.stat("http.ingress_https.rbac.denied") ?? 0 > 0)
    }

    @Test("source IP: only the addresses of batch's instances get through, following the catalog; a named range admits its addresses")
    func sourceAddresses() async throws {
        let directory = try TestEnvironment.temporaryDirectory("identity-source-ip")
        let app = try Backend(name: "b-app", directory: directory)
        let controlPlane = try ControlPlaneProcess(registryYAML: "services: []\n", directory: directory, settings: Self.settings)
        defer { app.process.stop(); controlPlane.process.stop() }
        #expect(await controlPlane.waitUntilReady())
        let b = try Sidecar(service: "b", localServicePort: app.port, settings: Self.serverSettings, controlPlane: controlPlane, directory: directory)
        defer { b.stop() }
        let registry = { (batchAddress: String) in
            """
            services:
              - { name: b, instances: [{ address: 127.0.0.1, port: \(b.ingressPort) }] }
              - { name: batch, instances: [{ address: \(batchAddress), port: 8080 }] }
            """
        }
        try controlPlane.writeRegistry(registry("127.0.0.5"))
        let batch = "http://\(b.ingress)/batch"

        #expect(await TestEnvironment.waitUntil { (try? Self.curl(batch, from: "127.0.0.5")) == 200 }, "batch's instance address is let in")
        #expect(try Self.curl(batch, from: "127.0.0.6", headers: ["x-service-name: batch"]) == 403, "another address, whatever its header")

        try controlPlane.writeRegistry(registry("127.0.0.6"))
        #expect(await TestEnvironment.waitUntil { (try? Self.curl(batch, from: "127.0.0.6")) == 200 }, "the catalog moved batch: .6 is let in")
        #expect(try Self.curl(batch, from: "127.0.0.5") == 403, "and .5 no longer")

        let office = "http://\(b.ingress)/office"
        #expect(try Self.curl(office, from: "127.0.0.65") == 200, "inside office's range")
        #expect(try Self.curl(office, from: "127.0.0.5") == 403, "outside it")
        let blue = "http://\(b.ingress)/office-blue"
        #expect(try Self.curl(blue, from: "127.0.0.65", headers: ["x-team: blue"]) == 200, "office:blue: the range and the selector header")
        #expect(try Self.curl(blue, from: "127.0.0.65", headers: ["x-team: red"]) == 403, "another team in the range")
        #expect(try Self.curl(blue, from: "127.0.0.5", headers: ["x-team: blue"]) == 403, "the header alone is not enough")
    }

    @Test("rate limits: an endpoint's limit holds exactly over a concurrent burst (429 beyond it); per-client limits count each client apart")
    func rateLimits() async throws {
        let directory = try TestEnvironment.temporaryDirectory("identity-rate-limit")
        let app = try Backend(name: "b-app", directory: directory)
        let controlPlane = try ControlPlaneProcess(registryYAML: "services: []\n", directory: directory, settings: "snapshot: {}\n")
        defer { app.process.stop(); controlPlane.process.stop() }
        #expect(await controlPlane.waitUntilReady())
        // Per minute: a burst never straddles a refill, so the count is exact, not a matter of timing.
        let b = try Sidecar(service: "b", localServicePort: app.port, settings: """
                proxy_settings:
                  incoming:
                    rateLimitEndpoints:
                      - { path: /limited, methods: [GET], rateLimit: 10/m }
                      - { pathPrefix: /per-client/, clients: [a], rateLimit: 3/m }
            """, controlPlane: controlPlane, directory: directory)
        defer { b.stop() }
        let ingress = "http://\(b.ingress)"
        #expect(await TestEnvironment.waitUntil { (try? await HTTP.get("\(ingress)/unlimited"))?.status == 200 }, "b's ingress is configured")

        let burst = try await Self.statuses(of: 30) { try await HTTP.get("\(ingress)/limited") }
        print("rate limit 10/m, 30 concurrent requests: \(burst)")
        #expect(burst == [200: 10, 429: 20], "exactly the limit gets through")
        #expect(try await HTTP.send(.POST, "\(ingress)/limited").status == 200, "methods: only GET is limited")
        #expect(try await Self.statuses(of: 20) { try await HTTP.get("\(ingress)/unlimited") } == [200: 20], "other paths are not counted")

        let asA = try await Self.statuses(of: 5) { try await HTTP.get("\(ingress)/per-client/x", headers: [("x-service-name", "a")]) }
        let asC = try await Self.statuses(of: 5) { try await HTTP.get("\(ingress)/per-client/x", headers: [("x-service-name", "c")]) }
        #expect(asA == [200: 3, 429: 2] && asC == [200: 5], "a's limit counts a alone: \(asA), \(asC)")
        #expect(await b.envoy.stat("ingress_rate_limit.http_local_rate_limit.rate_limited") == 22)
    }

    @Test("https domain dependencies: the server's certificate must chain to trustedCaFile and name the host, or the call fails")
    func domainCertificates() async throws {
        let directory = try TestEnvironment.temporaryDirectory("identity-domains")
        let trusted = try TestPKI(name: "public", directory: directory)
        let rogue = try TestPKI(name: "rogue", directory: directory)
        let servers = try Self.httpsServers([trusted, rogue], directory: directory)
        let (good, untrusted) = (servers[0].0, servers[1].0)
        let controlPlane = try ControlPlaneProcess(
            registryYAML: "services: []\n", directory: directory, settings: "snapshot: { trustedCaFile: \(trusted.caCertificate) }\n")
        defer { servers.forEach { $0.1.stop() }; controlPlane.process.stop() }
        #expect(await controlPlane.waitUntilReady())
        let client = try Sidecar(service: "client", settings: """
                proxy_settings:
                  outgoing:
                    dependencies:
                      - { domain: "https://localhost:\(good)" }
                      - { domain: "https://127.0.0.1:\(good)" }
                      - { domain: "https://localhost:\(untrusted)" }
            """, controlPlane: controlPlane, directory: directory)
        defer { client.stop() }
        #expect(await client.waitForRoute("localhost:\(good)"), "a certificate from the trusted CA naming the host")
        #expect(try await client.call("127.0.0.1:\(good)").status == 503, "the same certificate does not name 127.0.0.1")
        #expect(try await client.call("localhost:\(untrusted)").status == 503, "a certificate from a CA not in trustedCaFile")
        #expect(await client.envoy.stat("cluster.127_0_0_1_\(good).ssl.fail_verify_san") ?? 0 > 0)
    }

    /// One HTTPS server on localhost per CA, each with a certificate for `localhost` that CA signed.
    static func httpsServers(_ authorities: [TestPKI], directory: URL) throws -> [(port: Int, process: ManagedProcess)] {
        try authorities.map { pki in
            let certificate = try pki.issue("\(pki.directory.lastPathComponent)-localhost", altNames: ["DNS:localhost"])
            let port = TestEnvironment.freePort()
            let process = try ManagedProcess(
                name: "https-\(pki.directory.lastPathComponent)", executable: TestEnvironment.python,
                arguments: ["-c", httpsServer, "\(port)", certificate.certificate, certificate.key], directory: directory)
            return (port, process)
        }
    }

    /// An HTTPS file server on the venv's Python: port, certificate, key.
    static let httpsServer = """
        import http.server, ssl, sys
        server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), http.server.SimpleHTTPRequestHandler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[2], sys.argv[3])
        server.socket = context.wrap_socket(server.socket, server_side=True)
        server.serve_forever()
        """

    /// How many of `count` concurrent calls got each status.
    static func statuses(of count: Int, _ call: @escaping @Sendable () async throws -> HTTP.Reply) async throws -> [Int: Int] {
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<count { group.addTask { try await call().status } }
            return try await group.reduce(into: [:]) { $0[$1, default: 0] += 1 }
        }
    }

    /// A GET with curl, its status (0 when no HTTP answer came, e.g. a refused handshake): from a chosen loopback
    /// address, over TLS presenting a certificate (or none, trusting `trusting`). `insecure`: the server's certificate
    /// is not checked (a sidecar's names no host).
    static func curl(
        _ url: String, from source: String? = nil, certificate: TestPKI.Credentials? = nil, trusting ca: String? = nil,
        headers: [String] = [], insecure: Bool = false
    ) throws -> Int {
        var arguments = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5"] + (insecure ? ["-k"] : [])
        if let source { arguments += ["--interface", source] }
        if let certificate { arguments += ["--cert", certificate.certificate, "--key", certificate.key, "--cacert", certificate.ca] }
        if let ca { arguments += ["--cacert", ca] }
        arguments += headers.flatMap { ["-H", $0] } + [url]
        return Int(try TestEnvironment.capture("/usr/bin/curl", arguments).output) ?? 0
    }
}
