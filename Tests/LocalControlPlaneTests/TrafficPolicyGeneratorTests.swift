import Testing
import Yams

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
        let all = RoutingTraits(service: "backend", instances: instances, rules: SubsetRules(Fixtures.strict, tagFilter: TagFilter()))
        #expect(all == RoutingTraits(tags: ["blue", "green", "internal-only"], hasCanary: true))
        let restricted = RoutingTraits(service: "backend", instances: instances, rules: SubsetRules(Fixtures.strict, tagFilter: try TagFilter(pattern: "blue|green")))
        #expect(restricted.tags == ["blue", "green"])
        let plain = RoutingTraits(service: "backend", instances: [Fixtures.instance("10.0.0.9", 80)], rules: SubsetRules(Fixtures.strict, tagFilter: TagFilter()))
        #expect(plain.usesSubsets == false)
        let off = RoutingTraits(service: "backend", instances: instances, rules: SubsetRules(SnapshotProperties(), tagFilter: TagFilter()))
        #expect(off.usesSubsets == false, "canary and service tags are off by default, as in envoy-control")
    }

    @Test("subsets: canaries carry the canary key, every endpoint its routable tags; the cluster selects on them")
    func subsets() throws {
        let rules = SubsetRules(Fixtures.strict, tagFilter: try TagFilter(pattern: "blue|green"))
        let traits = RoutingTraits(service: "backend", instances: instances, rules: rules)
        try Golden.check(
            [EndpointGenerator.loadAssignment(name: "backend", local: instances, remote: nil, datacenter: "dc1", subsets: rules),
             ClusterGenerator.serviceCluster("backend", properties: Fixtures.strict, traits: traits, subsets: rules)],
            named: "subsets")
    }

    @Test("routes: tag routes, unknown tags to no endpoint (Envoy's 503) with x-service-tag-error, canary only with x-canary: 1, domains")
    func taggedRoutes() throws {
        let profile = try Fixtures.profile("""
            {"service_name": "client", "egress_host": "127.0.0.1", "egress_port": 5000,
             "proxy_settings": {"outgoing": {"dependencies": [
                {"service": "backend", "timeoutPolicy": {"requestTimeout": "500ms"}},
                {"domain": "https://api.example.com"}]}}}
            """)
        let backend = RoutedDependency(
            dependency: try #require(profile.outgoing.services.first), traits: RoutingTraits(tags: ["blue"], hasCanary: true))
        #expect(backend.dependency.settings.timeoutPolicy.requestTimeout == .milliseconds(500))
        #expect(backend.dependency.settings.timeoutPolicy.idleTimeout == .seconds(120), "envoy-control's egress default")
        try Golden.check(
            [RouteGenerator.egress(
                for: profile, dependencies: [backend], properties: Fixtures.strict, subsets: SubsetRules(Fixtures.strict, tagFilter: TagFilter()))],
            named: "routes-policy")
        let domain = try #require(profile.outgoing.domains.first)
        #expect(domain.host == "api.example.com" && domain.port == 443 && domain.tls)
        try Golden.check([ClusterGenerator.domainCluster(domain)], named: "clusters-domain")

        let twoPorts = try Fixtures.profile("""
            {"service_name": "client", "proxy_settings": {"outgoing": {"dependencies": [
                {"domain": "https://api.example.com:8443"}, {"domain": "https://api.example.com"}]}}}
            """)
        let hosts = RouteGenerator.egress(
            for: twoPorts, dependencies: [], properties: Fixtures.strict, subsets: SubsetRules(Fixtures.strict, tagFilter: TagFilter())
        ).virtualHosts.flatMap(\.domains)
        #expect(hosts.filter { $0.hasPrefix("api.example.com") }.sorted() == ["api.example.com", "api.example.com:443", "api.example.com:8443"],
                "one host on two ports: the bare name once (Envoy refuses duplicate domains)")
    }

    @Test("permissions: RBAC allow rules per endpoint, roles expanded, log policy as shadow rules with a verdict log")
    func permissions() throws {
        let metadata = """
            {"service_name": "server", "ingress_host": "127.0.0.1", "ingress_port": 5001, "egress_host": "127.0.0.1", "egress_port": 5000,
             "proxy_settings": {"incoming": {
                "unlistedEndpointsPolicy": "%@",
                "roles": [{"name": "readers", "clients": ["client", "reporting"]}],
                "endpoints": [
                    {"path": "/health", "clients": ["*"]},
                    {"pathPrefix": "/api/", "methods": ["GET", "POST"], "clients": ["readers"]},
                    {"paths": ["/a", "/b"], "clients": ["client"], "unlistedClientsPolicy": "log"},
                    {"pathRegex": "/admin/[0-9]+", "clients": ["admin"]}]}}}
            """
        var properties = Fixtures.strict
        properties.incomingPermissions.tlsAuthentication.servicesAllowedToUseWildcard = ["server"]
        let blocking = try Fixtures.profile(metadata.replacingOccurrences(of: "%@", with: "blockAndLog"), properties: properties)
        try Golden.check(ListenerGenerator.listeners(for: blocking, properties: properties), named: "listeners-permissions")
        let logging = try Fixtures.profile(metadata.replacingOccurrences(of: "%@", with: "log"), properties: properties)
        try Golden.check(ListenerGenerator.listeners(for: logging, properties: properties), named: "listeners-permissions-log")
        #expect(throws: NodeMetadataError.self, "'*' needs the server's permission") {
            try Fixtures.profile(metadata.replacingOccurrences(of: "%@", with: "log"))
        }
    }

    @Test("access log: envoy-control's filter struct becomes Envoy filters joined with AND, logged to access_log_path")
    func accessLogFilter() throws {
        let profile = try Fixtures.profile("""
            {"service_name": "client", "ingress_host": "127.0.0.1", "ingress_port": 5001, "egress_host": "127.0.0.1", "egress_port": 5000,
             "access_log_enabled": true, "access_log_path": "/tmp/access.log",
             "access_log_filter": {"status_code_filter": "ge:500", "duration_filter": "GE:1000", "header_filter": "x-debug:^1$",
               "response_flag_filter": "UF,UH"}}
            """)
        #expect(profile.listeners?.accessLog.filter?.clauses == [
            .statusCode(.atLeast(500)), .duration(.atLeast(1000)), .notHealthCheck, .responseFlags(["UF", "UH"]),
            .headerRegex(name: "x-debug", regex: "^1$"),
        ])
        try Golden.check(ListenerGenerator.listeners(for: profile, properties: Fixtures.strict), named: "listeners-access-log")
    }

    @Test("access log: the server's filters fill the keys the metadata leaves out; custom fields join envoy-control's JSON line")
    func accessLogServerDefaults() throws {
        let settings = try YAMLDecoder().decode(SnapshotProperties.self, from: """
            dynamicListeners:
              httpFilters:
                accessLog:
                  enabled: true
                  customFields: { team: "%REQ(x-team)%", level: INFO }
                  filters: { statusCode: "GE:400", notHealthCheck: false, responseFlag: "UH" }
            """)
        let listeners = #""ingress_host": "0.0.0.0", "ingress_port": 5001, "egress_host": "0.0.0.0", "egress_port": 5000"#
        let profile = try Fixtures.profile(
            #"{"service_name": "c", \#(listeners), "access_log_filter": {"status_code_filter": "EQ:503"}}"#, properties: settings)
        #expect(profile.listeners?.accessLog.enabled == true)
        #expect(profile.listeners?.accessLog.filter?.clauses == [.statusCode(.equal(503)), .responseFlags(["UH"])])
        let manager = try #require(ListenerGenerator.listeners(for: profile, properties: settings).first?.filterChains.first?.filters.first)
        let json = try manager.typedConfig.jsonString()
        #expect(json.contains(#""team":"%REQ(x-team)%""#) && json.contains(#""level":"INFO""#) && json.contains(#""access_log_type":"ingress""#))
        #expect(throws: DecodingError.self) {
            try YAMLDecoder().decode(SnapshotProperties.self, from: "dynamicListeners: { httpFilters: { accessLog: { filters: { duration: \"GT:5\" } } } }")
        }
    }

    @Test("access log: our earlier string form still turns logging on; without access_log_enabled nothing is logged")
    func accessLogSwitch() throws {
        let listeners = #""ingress_host": "0.0.0.0", "ingress_port": 5001, "egress_host": "0.0.0.0", "egress_port": 5000"#
        let stringForm = try Fixtures.profile(#"{"service_name": "c", \#(listeners), "access_log_filter": "status_code:>=500"}"#)
        #expect(stringForm.listeners?.accessLog.enabled == true)
        let structForm = try Fixtures.profile(#"{"service_name": "c", \#(listeners), "access_log_filter": {"status_code_filter": "GE:500"}}"#)
        #expect(structForm.listeners?.accessLog.enabled == false, "envoy-control logs only with access_log_enabled")
        for bad in [#"{"status_code_filter": "GT:500"}"#, #"{"response_flag_filter": "XX"}"#, #"{"header_filter": "nocolon"}"#] {
            #expect(throws: NodeMetadataError.self, "\(bad)") {
                try Fixtures.profile(#"{"service_name": "c", "access_log_filter": \#(bad)}"#)
            }
        }
    }
}
