import EnvoyAPI
import Foundation
import SwiftProtobuf
import Testing

@testable import LocalControlPlane
@testable import Shared

@Suite("envoy-control's traffic features: circuit breakers, outlier detection, compression (golden JSON in Golden/)")
struct TrafficFeatureGeneratorTests {
    @Test("circuit-breaker thresholds and outlier detection from the snapshot properties, on every service cluster")
    func clusterProtection() throws {
        var properties = Fixtures.strict
        properties.egress.commonHttp.circuitBreakers.defaultThreshold = .init(maxConnections: 1, maxPendingRequests: 2, maxRequests: 1, maxRetries: 4)
        properties.egress.commonHttp.circuitBreakers.highThreshold = .init(
            maxConnections: 5, maxPendingRequests: 6, maxRequests: 7, maxRetries: 8, trackRemaining: false)
        properties.clusterOutlierDetection.enabled = true
        let cluster = ClusterGenerator.serviceCluster("echo", properties: properties)
        #expect(cluster.circuitBreakers.thresholds.map(\.maxRequests.value) == [1, 7])
        #expect(cluster.outlierDetection.consecutive5Xx.value == 5 && cluster.outlierDetection.alwaysEjectOneHost.value)
        try Golden.check([cluster], named: "clusters-protection")
        #expect(!ClusterGenerator.serviceCluster("echo", properties: Fixtures.strict).hasOutlierDetection, "off by default for local clusters")
        #expect(ClusterGenerator.serviceCluster("echo", properties: Fixtures.strict, crossDatacenter: true).outlierDetection.maxEjectionPercent.value
            == 100, "cross-DC clusters keep the federation's detection when the property is off")
    }

    @Test("compression: gzip then brotli before the egress router when enabled; the runtime flags default to the properties")
    func compression() throws {
        var properties = Fixtures.strict
        properties.compression.responseCompressionEnabled = true
        let metadata = """
            {"service_name": "client", "ingress_host": "127.0.0.1", "ingress_port": 5001, "egress_host": "127.0.0.1", "egress_port": 5000,
             "compression": {"gzip": {"enabled": true, "quality": 1}, "brotli": {"enabled": true, "quality": 11}}}
            """
        let profile = try Fixtures.profile(metadata, properties: properties)
        let listeners = ListenerGenerator.listeners(for: profile, properties: properties)
        let egress = try #require(listeners.first { $0.name == ListenerGenerator.egressName })
        let manager = try Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager(
            unpackingAny: egress.filterChains[0].filters[0].typedConfig)
        #expect(manager.httpFilters.map(\.name) == ["envoy.filters.http.compressor", "envoy.filters.http.compressor", "envoy.filters.http.router"])
        try Golden.check([egress], named: "listeners-compression")
        let plain = try Fixtures.profile(metadata.replacingOccurrences(of: "\"compression\"", with: "\"other\""), properties: properties)
        let plainEgress = try #require(ListenerGenerator.listeners(for: plain, properties: properties).first { $0.name == ListenerGenerator.egressName })
        #expect(try Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager(
            unpackingAny: plainEgress.filterChains[0].filters[0].typedConfig).httpFilters.count == 1, "no compression unless enabled")
    }

    @Test("domainPattern: the egress routes matching hosts to the dynamic forward proxy cluster (TLS, SNI and SAN from the host), filter first")
    func forwardProxy() async throws {
        let properties = Fixtures.strict
        let metadata = """
            {"service_name": "client", "ads": true, "ingress_host": "127.0.0.1", "ingress_port": 5001, "egress_host": "127.0.0.1",
             "egress_port": 5000, "proxy_settings": {"outgoing": {"dependencies": [{"domainPattern": "*.example.com"}, {"domainPattern": "api.*"}]}}}
            """
        let profile = try Fixtures.profile(metadata, properties: properties)
        #expect(profile.outgoing.domainPatterns == ["*.example.com", "api.*"])
        let cache = SnapshotCache(datacenter: "dc1", properties: properties)
        await cache.apply(Fixtures.catalog([:]))
        let snapshot = try #require(await cache.snapshot(for: profile))
        let cluster = try Envoy_Config_Cluster_V3_Cluster(
            serializedBytes: try #require(snapshot.resources[.cluster]?["dynamic_forward_proxy_cluster"]).any.value)
        let routes = try Envoy_Config_Route_V3_RouteConfiguration(serializedBytes: try #require(snapshot.resources[.route]?["default_routes"]).any.value)
        let host = try #require(routes.virtualHosts.first { $0.name == "dynamic_forward_proxy_cluster" })
        #expect(host.domains == ["*.example.com", "api.*"] && host.routes.first?.route.cluster == "dynamic_forward_proxy_cluster")
        #expect(routes.virtualHosts.last?.domains == ["*"], "the catch-all stays last")
        let egress = try #require(ListenerGenerator.listeners(for: profile, properties: properties).first { $0.name == ListenerGenerator.egressName })
        let manager = try Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager(
            unpackingAny: egress.filterChains[0].filters[0].typedConfig)
        #expect(manager.httpFilters.map(\.name) == ["envoy.filters.http.dynamic_forward_proxy", "envoy.filters.http.router"])
        try Golden.check([cluster], named: "clusters-forward-proxy")
        try Golden.check([routes], named: "routes-forward-proxy")
        try Golden.check([egress], named: "listeners-forward-proxy")
        let plain = try #require(await cache.snapshot(for: try Fixtures.profile()))
        #expect(plain.resources[.cluster]?["dynamic_forward_proxy_cluster"] == nil, "only for Envoys with domain patterns")
    }

    @Test("HTTP/2 upstream only when every instance carries the sidecar tag; a service with no instance keeps what it had")
    func http2() throws {
        let generator = SnapshotGenerator(datacenter: "dc1", properties: Fixtures.strict)
        let variant = SnapshotGenerator.ClusterVariant(try Fixtures.profile())
        func speaks(_ resources: SnapshotGenerator.ServiceResources?) throws -> Bool {
            let cluster = try Envoy_Config_Cluster_V3_Cluster(serializedBytes: try #require(resources?.clusters[variant]).any.value)
            let options = try Envoy_Extensions_Upstreams_Http_V3_HttpProtocolOptions(
                unpackingAny: try #require(cluster.typedExtensionProtocolOptions[ClusterGenerator.httpProtocolOptionsName]))
            if case .http2ProtocolOptions = options.explicitHTTPConfig.protocolConfig { return true }
            return false
        }
        let sidecars = CatalogService(name: "proxy1", instances: [
            Fixtures.instance("10.0.0.1", 80, tags: ["envoy"]), Fixtures.instance("10.0.0.2", 80, tags: ["envoy", "blue"]),
        ])
        let tagged = generator.serviceResources("proxy1", local: sidecars, remote: nil, variants: [variant])
        #expect(try speaks(tagged))
        var mixed = sidecars
        mixed.instances.append(Fixtures.instance("10.0.0.3", 80))
        #expect(try !speaks(generator.serviceResources("proxy1", local: mixed, remote: nil, variants: [variant])), "one instance without a sidecar")
        let empty = CatalogService(name: "proxy1", instances: [])
        #expect(try speaks(generator.serviceResources("proxy1", local: empty, remote: nil, variants: [variant], previous: tagged)))
        var off = Fixtures.strict
        off.egress.http2.enabled = false
        #expect(try !speaks(SnapshotGenerator(datacenter: "dc1", properties: off).serviceResources(
            "proxy1", local: sidecars, remote: nil, variants: [variant])))
    }

    @Test("loadBalancing.weights.enabled off: no endpoint weights; edsConnectionTimeout and staticClusterConnectionTimeout set connect timeouts")
    func weightsAndTimeouts() {
        let instances = [Fixtures.instance("10.0.0.1", 80, weight: 5), Fixtures.instance("10.0.0.2", 80, weight: 1)]
        let weighted = EndpointGenerator.loadAssignment(name: "echo", local: instances, remote: nil, datacenter: "dc1")
        #expect(weighted.endpoints[0].lbEndpoints.map(\.loadBalancingWeight.value) == [5, 1])
        let even = EndpointGenerator.loadAssignment(name: "echo", local: instances, remote: nil, datacenter: "dc1", weights: false)
        #expect(even.endpoints[0].lbEndpoints.allSatisfy { !$0.hasLoadBalancingWeight })
        var properties = Fixtures.strict
        properties.edsConnectionTimeout = .milliseconds(1500)
        properties.staticClusterConnectionTimeout = .seconds(3)
        #expect(ClusterGenerator.serviceCluster("echo", properties: properties).connectTimeout.nanos == 500_000_000)
        let domain = DomainDependency(host: "example.com", port: 443, tls: true, explicitPort: false, settings: .init())
        #expect(ClusterGenerator.domainCluster(domain, properties: properties).connectTimeout.seconds == 3)
        #expect(ClusterGenerator.serviceCluster("echo").connectTimeout.seconds == 2, "envoy-control's default: 2 s")
    }

    @Test("egress.domains: a service is also routed under each suffix, with any port")
    func serviceDomains() throws {
        var properties = Fixtures.strict
        properties.egress.domains = [".service.consul"]
        let routes = RouteGenerator.egress(
            for: try Fixtures.profile(), dependencies: [RoutedDependency(dependency: .init(service: "backend", settings: .init()), traits: .init())],
            properties: properties, subsets: SubsetRules(properties, tagFilter: TagFilter()))
        #expect(routes.virtualHosts.first?.domains == ["backend", "backend:*", "backend.service.consul", "backend.service.consul:*"])
    }

    @Test("localService.retryPolicy: the default on the ingress virtual host, a route per method with its own policy before the rest")
    func localServiceRetries() throws {
        var properties = Fixtures.strict
        properties.routes.status.separatedRouteWhiteList = ["*"]
        properties.localService.retryPolicy.default = .init(enabled: true, retryOn: ["connect-failure"], numRetries: 2)
        properties.localService.retryPolicy.perHttpMethod = [
            "GET": .init(enabled: true, retryOn: ["5xx"], numRetries: 3, perTryTimeout: .seconds(1), retriableStatusCodes: [503]),
            "POST": .init(enabled: false, retryOn: ["5xx"]),
        ]
        let configuration = IngressRoutes.configuration(try Fixtures.profile(), properties)
        let host = try #require(configuration.virtualHosts.first)
        #expect(host.retryPolicy.retryOn == "connect-failure" && host.retryPolicy.numRetries.value == 2)
        #expect(host.routes.map { $0.match.headers.first?.stringMatch.exact ?? "-" } == ["GET", "-", "GET", "-"], "status, then catch-all")
        #expect(host.routes[2].route.retryPolicy.retriableStatusCodes == [503] && host.routes[2].route.retryPolicy.perTryTimeout.seconds == 1)
        try Golden.check([configuration], named: "routes-local-retries")
        #expect(!IngressRoutes.configuration(try Fixtures.profile(), Fixtures.strict).virtualHosts[0].hasRetryPolicy, "off by default")
        let problems = LocalControlPlaneConfig.check(
            yaml: "datacenter: dc1\nsnapshot:\n  localService: { retryPolicy: { perHttpMethod: { FETCH: { enabled: true } } } }\n").problems
        #expect(problems.contains { $0.contains("'FETCH' is not an HTTP method") }, "\(problems)")
    }

    @Test("retryPolicy: methods split the route (retrying GET/HEAD first), Retry-After back-off, retriable response headers")
    func retryPolicyExtras() throws {
        let metadata = #"""
            {"service_name": "client", "proxy_settings": {"outgoing": {"dependencies": [{"service": "backend", "retryPolicy": {
              "retryOn": ["5xx", "retriable-headers"], "methods": ["HEAD", "GET"], "retryableHeaders": ["x-retry-me"],
              "rateLimitedRetryBackOff": {"resetHeaders": [{"name": "X-RateLimit-Reset", "format": "UNIX_TIMESTAMP"}]}}}]}}}
            """#
        let profile = try Fixtures.profile(metadata)
        let dependency = try #require(profile.outgoing.services.first)
        let routes = RouteGenerator.egress(
            for: profile, dependencies: [RoutedDependency(dependency: dependency, traits: .init())], properties: Fixtures.strict,
            subsets: SubsetRules(Fixtures.strict, tagFilter: TagFilter()))
        let forwarding = try #require(routes.virtualHosts.first).routes.filter { $0.route.cluster == "backend" && !$0.route.hasMetadataMatch }
        #expect(forwarding.count == 2)
        #expect(forwarding[0].match.headers.map(\.stringMatch.safeRegex.regex) == ["^(GET|HEAD)$"])
        #expect(forwarding[0].route.retryPolicy.retriableHeaders.map(\.name) == ["x-retry-me"])
        #expect(forwarding[0].route.retryPolicy.rateLimitedRetryBackOff.resetHeaders.map(\.format) == [.unixTimestamp])
        #expect(!forwarding[1].route.hasRetryPolicy, "other methods are not retried")
        try Golden.check([routes], named: "routes-retry-methods")
        let defaults = try Fixtures.profile(#"""
            {"service_name": "client", "proxy_settings": {"outgoing": {"dependencies": [{"service": "backend", "retryPolicy": {"retryOn": ["5xx"]}}]}}}
            """#)
        #expect(defaults.outgoing.services.first?.settings.retryPolicy?.resetHeaders == [.init(name: "Retry-After", format: .seconds)],
                "envoy-control's default back-off header")
        #expect(throws: NodeMetadataError.self) {
            try Fixtures.profile(metadata.replacingOccurrences(of: #""HEAD", "GET""#, with: #""head""#))
        }
    }

    @Test("routes.status: high-priority status routes only for separatedRouteWhiteList services, virtual clusters for every service")
    func statusRoutes() throws {
        var properties = Fixtures.strict
        properties.routes.status.enabled = true
        properties.routes.status.createVirtualCluster = true
        properties.routes.status.separatedRouteWhiteList = ["listed"]
        func host(_ service: String) throws -> Envoy_Config_Route_V3_VirtualHost {
            try #require(IngressRoutes.configuration(try Fixtures.profile(#"{"service_name": "\#(service)"}"#), properties).virtualHosts.first)
        }
        #expect(try host("listed").routes.map(\.route.priority) == [.high, .default])
        #expect(try host("other").routes.map(\.route.priority) == [.default])
        #expect(try host("other").virtualClusters.map(\.name) == ["status", "endpoints"])
        properties.routes.status.separatedRouteWhiteList = ["*"]
        #expect(try host("other").routes.count == 2, "* lists every service")
    }

    @Test("settings: envoy-control's keys; percentages above 100, negative limits and bad qualities are refused with their path")
    func settings() {
        for (yaml, problem) in [
            ("clusterOutlierDetection: { enabled: true, maxEjectionPercent: 150 }", "maxEjectionPercent: 150 is not in 0-100"),
            ("clusterOutlierDetection: { consecutive5xxx: 3 }", "unknown setting"),
            ("egress: { commonHttp: { circuitBreakers: { defaultThreshold: { maxRequests: -1 } } } }", "maxRequests"),
            ("compression: { gzip: { enabled: true, quality: 10 } }", "quality 10 is not in 1...9"),
            ("compression: { zstd: {} }", "unknown setting"),
        ] {
            let problems = LocalControlPlaneConfig.check(yaml: "datacenter: dc1\nsnapshot:\n  \(yaml)\n").problems
            #expect(problems.contains { $0.contains(problem) }, "\(yaml): \(problems)")
        }
        let good = "clusterOutlierDetection: { enabled: true, interval: 2s }\n  compression: { brotli: { enabled: true, quality: 11 } }"
        #expect(LocalControlPlaneConfig.check(yaml: "datacenter: dc1\nsnapshot:\n  \(good)\n").problems == [])
    }
}
