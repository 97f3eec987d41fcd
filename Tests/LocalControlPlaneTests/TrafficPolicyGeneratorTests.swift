import Testing

@testable import LocalControlPlane
@testable import Shared

@Suite("Traffic policy generators (golden JSON in Golden/)")
struct TrafficPolicyGeneratorTests {
    let instances = [
        Fixtures.instance("10.0.0.1", 80, tags: ["blue", "weight:3"]),
        Fixtures.instance("10.0.0.2", 80, tags: ["green", "canary"]),
        Fixtures.instance("10.0.0.3", 80, tags: ["internal-only"]),
    ]

    @Test("routing traits: routable tags (minus canary, weight:N and tags the filter refuses) and canary presence")
    func traits() throws {
        let all = RoutingTraits(instances: instances, routable: TagFilter())
        #expect(all == RoutingTraits(tags: ["blue", "green", "internal-only"], hasCanary: true))
        let restricted = RoutingTraits(instances: instances, routable: try TagFilter(pattern: "blue|green"))
        #expect(restricted.tags == ["blue", "green"])
        #expect(RoutingTraits(instances: [Fixtures.instance("10.0.0.9", 80)], routable: TagFilter()).usesSubsets == false)
    }

    @Test("subsets: endpoints carry canary and tag metadata; the cluster selects on them")
    func subsets() throws {
        let filter = try TagFilter(pattern: "blue|green")
        let traits = RoutingTraits(instances: instances, routable: filter)
        try Golden.check(
            [EndpointGenerator.loadAssignment(name: "backend", local: instances, remote: nil, datacenter: "dc1", subsets: filter),
             ClusterGenerator.serviceCluster("backend", traits: traits)],
            named: "subsets")
    }

    @Test("routes: tag routes, 503 with x-service-tag-error for unknown tags, canary only with x-canary: 1, domains")
    func taggedRoutes() throws {
        let profile = try Fixtures.profile("""
            {"service_name": "client", "egress_host": "127.0.0.1", "egress_port": 5000,
             "proxy_settings": {"outgoing": {"dependencies": [
                {"service": "backend", "timeoutPolicy": {"requestTimeout": "500ms"}},
                {"domain": "https://api.example.com"}]}}}
            """)
        let backend = RoutedDependency(
            service: "backend", timeouts: .init(requestTimeout: .milliseconds(500)),
            traits: RoutingTraits(tags: ["blue"], hasCanary: true))
        try Golden.check([RouteGenerator.egress(for: profile, dependencies: [backend])], named: "routes-policy")
        let domain = try #require(profile.outgoing.domains.keys.first)
        #expect(domain == DomainDependency(host: "api.example.com", port: 443, tls: true))
        try Golden.check([ClusterGenerator.domainCluster(domain)], named: "clusters-domain")
    }

    @Test("permissions: RBAC allow rules per endpoint, roles expanded, log policy as shadow rules with a verdict log")
    func permissions() throws {
        let metadata = """
            {"service_name": "server", "ingress_host": "127.0.0.1", "ingress_port": 5001, "local_service_port": 8080,
             "proxy_settings": {"incoming": {
                "unlistedEndpointsPolicy": "%@",
                "roles": [{"name": "readers", "clients": ["client", "reporting"]}],
                "endpoints": [
                    {"path": "/health", "clients": ["*"]},
                    {"pathPrefix": "/api/", "methods": ["get", "POST"], "clients": ["readers"]},
                    {"pathRegex": "/admin/[0-9]+", "clients": ["admin"]}]}}}
            """
        let blocking = try Fixtures.profile(metadata.replacingOccurrences(of: "%@", with: "blockAndLog"))
        try Golden.check(ListenerGenerator.listeners(for: blocking), named: "listeners-permissions")
        let logging = try Fixtures.profile(metadata.replacingOccurrences(of: "%@", with: "log"))
        try Golden.check(ListenerGenerator.listeners(for: logging), named: "listeners-permissions-log")
    }

    @Test("access log filter: each clause becomes an Envoy filter, joined with AND")
    func accessLogFilter() throws {
        let profile = try Fixtures.profile("""
            {"service_name": "client", "egress_host": "127.0.0.1", "egress_port": 5000,
             "access_log_filter": "status_code:>=500;duration:>1000;header:x-debug:1;response_flags:UF,UH;not_health_check"}
            """)
        try Golden.check(ListenerGenerator.listeners(for: profile), named: "listeners-access-log")
    }
}
