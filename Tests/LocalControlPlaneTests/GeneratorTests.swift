import Testing

@testable import LocalControlPlane
@testable import Shared

@Suite("Resource generators (golden JSON in Golden/)")
struct GeneratorTests {
    let profile = try! Fixtures.profile("""
        {"service_name": "echo", "ads": true, "ingress_host": "127.0.0.1", "ingress_port": 5001,
         "egress_host": "127.0.0.1", "egress_port": 5000, "use_remote_address": true, "generate_request_id": true,
         "add_upstream_external_address_header": true,
         "proxy_settings": {
           "incoming": {"healthCheck": {"path": "/status/custom"}, "timeoutPolicy": {"responseTimeout": "5s"}},
           "outgoing": {"dependencies": [
             {"service": "backend", "timeoutPolicy": {"requestTimeout": "2s", "idleTimeout": "60s"},
              "retryPolicy": {"retryOn": ["connect-failure", "reset"], "numberRetries": 2}}]}}}
        """)

    @Test("clusters: EDS over ADS, or from the control-plane cluster for xds-mode Envoys; envoy-control's LB and limits")
    func clusters() throws {
        try Golden.check(
            [ClusterGenerator.serviceCluster("backend"), ClusterGenerator.serviceCluster("backend-xds", mode: .xds)], named: "clusters")
    }

    @Test("endpoints: one locality zone per datacenter at priority 0, weights kept")
    func endpoints() throws {
        let service = CatalogService(name: "backend", instances: [
            Fixtures.instance("10.0.0.1", 8081), Fixtures.instance("10.0.0.2", 8082, weight: 3),
        ])
        try Golden.check([EndpointGenerator.loadAssignment(name: service.name, local: service.instances, remote: nil, datacenter: "dc1")], named: "endpoints")
    }

    @Test("listeners: ingress_listener and egress_listener with RDS over ADS, envoy-control's connection manager settings")
    func listeners() throws {
        try Golden.check(ListenerGenerator.listeners(for: profile, properties: Fixtures.strict), named: "listeners")
    }

    @Test("listeners: only when the metadata gives all four addresses (otherwise the bootstrap's static listeners)")
    func staticListeners() throws {
        let egressOnly = try Fixtures.profile(#"{"service_name": "a", "egress_host": "0.0.0.0", "egress_port": 5000}"#)
        #expect(egressOnly.listeners == nil)
        #expect(ListenerGenerator.listeners(for: egressOnly, properties: Fixtures.strict).isEmpty)
        let names = RouteGenerator.routes(
            for: egressOnly, dependencies: [], properties: Fixtures.strict, subsets: SubsetRules(Fixtures.strict, tagFilter: TagFilter())
        ).map(\.name)
        #expect(names == ["default_routes", "ingress_secured_routes"], "static listeners still find their routes")
    }

    @Test("routes: Host-header routing with timeouts and retries, 503 for unknown hosts, original destination, ingress to local_service")
    func routes() throws {
        let dependencies = profile.outgoing.resolve(among: ["backend", "unrelated"])
        #expect(dependencies.map(\.service) == ["backend"])
        let routed = dependencies.map { RoutedDependency(dependency: $0, traits: RoutingTraits()) }
        try Golden.check(
            RouteGenerator.routes(
                for: profile, dependencies: routed, properties: Fixtures.strict, subsets: SubsetRules(Fixtures.strict, tagFilter: TagFilter())),
            named: "routes")
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
