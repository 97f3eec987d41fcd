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
        let routed = dependencies.map { RoutedDependency(service: $0.service, timeouts: $0.timeouts, traits: RoutingTraits()) }
        try Golden.check(RouteGenerator.routes(for: profile, dependencies: routed), named: "routes")
    }
}

@Suite("Cross-DC endpoints (golden JSON)")
struct RemoteEndpointGeneratorTests {
    @Test("failover: local priority 0 (kept even when empty), remote DCs at their priorities")
    func failover() throws {
        let remote = RemoteService(localities: [
            RemoteLocality(datacenter: "dc3", priority: 2, instances: [WireInstance(ServiceInstance(address: "10.3.0.1", port: 80))]),
            RemoteLocality(datacenter: "dc2", priority: 1, instances: [WireInstance(ServiceInstance(address: "10.2.0.1", port: 80, weight: 2))]),
        ])
        try Golden.check([EndpointGenerator.loadAssignment(name: "backend", local: [], remote: remote, datacenter: "dc1")], named: "endpoints-failover")
    }

    @Test("split: locality weights and a locality-weighted cluster")
    func split() throws {
        let remote = RemoteService(
            localities: [RemoteLocality(datacenter: "dc2", priority: 0, weight: 20, instances: [WireInstance(ServiceInstance(address: "10.2.0.1", port: 80))])],
            localWeight: 80)
        #expect(EndpointGenerator.usesLocalityWeights(remote))
        try Golden.check(
            [EndpointGenerator.loadAssignment(name: "backend", local: [Fixtures.instance("10.1.0.1", 80)], remote: remote, datacenter: "dc1"),
             ClusterGenerator.serviceCluster("backend", localityWeighted: true)],
            named: "endpoints-split")
    }
}
