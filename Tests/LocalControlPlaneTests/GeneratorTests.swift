import Testing

@testable import LocalControlPlane
@testable import Shared

@Suite("Resource generators (golden JSON in Golden/)")
struct GeneratorTests {
    let profile = try! Fixtures.profile("""
        {"service_name": "echo", "ingress_host": "127.0.0.1", "ingress_port": 5001, "local_service_port": 8080,
         "egress_host": "127.0.0.1", "egress_port": 5000,
         "proxy_settings": {"outgoing": {"dependencies": [
            {"service": "backend", "timeoutPolicy": {"requestTimeout": "2s", "idleTimeout": "60s"}}]}}}
        """)

    @Test("clusters: EDS over ADS per service, static local service")
    func clusters() throws {
        try Golden.check(
            [ClusterGenerator.serviceCluster("backend"), ClusterGenerator.localServiceCluster(port: 8080)], named: "clusters")
    }

    @Test("endpoints: one locality zone per datacenter at priority 0, weights kept")
    func endpoints() throws {
        let service = CatalogService(name: "backend", instances: [
            Fixtures.instance("10.0.0.1", 8081), Fixtures.instance("10.0.0.2", 8082, weight: 3),
        ])
        try Golden.check([EndpointGenerator.loadAssignment(name: service.name, local: service.instances, remote: nil, datacenter: "dc1")], named: "endpoints")
    }

    @Test("listeners: egress and ingress with RDS over ADS")
    func listeners() throws {
        try Golden.check(ListenerGenerator.listeners(for: profile), named: "listeners")
    }

    @Test("routes: Host-header routing with timeouts, 404 for unknown hosts, ingress to the local service")
    func routes() throws {
        let dependencies = profile.outgoing.resolve(among: ["backend", "unrelated"])
        #expect(dependencies.map(\.service) == ["backend"])
        try Golden.check(RouteGenerator.routes(for: profile, dependencies: dependencies), named: "routes")
    }
}
