import EnvoyAPI
import Testing
import Yams

@testable import LocalControlPlane
@testable import Shared

/// envoy-control's service-tag features (ServiceTagsTest's combinations and excluded tags, RoutingPolicyTest's
/// automatic tags, ServiceTagPreferenceTest's preference routing) and its local reply mapper, as generated resources.
@Suite("Service tags and local replies (envoy-control's routing.serviceTags, localReplyMapper)")
struct ServiceTagGeneratorTests {
    static let settings: SnapshotProperties = {
        var properties = Fixtures.strict
        properties.routing.serviceTags.routingExcludedTags = [.init(type: .prefix, value: "blacklist")]
        properties.routing.serviceTags.allowedTagsCombinations = [
            .init(serviceName: "service-1", tags: ["version:.*", "hardware:.*", "role:.*"]),
            .init(serviceName: "service-2", tags: ["version:.*", "role:.*"]),
            .init(serviceName: "service-2", tags: ["version:.*", "hardware:.*"]),
        ]
        properties.routing.serviceTags.autoServiceTagEnabled = true
        properties.routing.serviceTags.addUpstreamServiceTagsHeader = true
        return properties
    }()

    let routing = ServiceTagRouting(settings.routing.serviceTags, filter: TagFilter())

    @Test("combinations: sorted joined pairs and triples only where allowedTagsCombinations allows them; excluded tags dropped")
    func combinations() {
        let tags = ["version:v1.5", "hardware:c32", "role:master"]
        let first = routing.routingTags(service: "service-1", of: Fixtures.instance("10.0.0.1", 80, tags: tags))
        #expect(Set(first) == Set(tags + [
            "hardware:c32,role:master", "hardware:c32,version:v1.5", "role:master,version:v1.5", "hardware:c32,role:master,version:v1.5",
        ]), "a triple allows its three pairs too")
        let second = routing.routingTags(service: "service-2", of: Fixtures.instance("10.0.0.1", 80, tags: tags))
        #expect(Set(second) == Set(tags + ["hardware:c32,version:v1.5", "role:master,version:v1.5"]), "hardware with role is not allowed")
        #expect(routing.routingTags(service: "service-3", of: Fixtures.instance("10.0.0.1", 80, tags: tags)) == tags)
        #expect(routing.routingTags(service: "echo", of: Fixtures.instance("10.0.0.1", 80, tags: ["lorem", "blacklisted"])) == ["lorem"])
    }

    @Test("automatic tags: the first preferred tag any endpoint has, in every locality; none → empty, or all with fallbackToAnyInstance")
    func automaticTagEndpoints() throws {
        let rules = SubsetRules(Self.settings, tagFilter: TagFilter())
        let instances = [
            Fixtures.instance("10.0.0.1", 80, tags: ["ipsum", "other"]), Fixtures.instance("10.0.0.2", 80, tags: ["lorem"]),
            Fixtures.instance("10.0.0.3", 80),
        ]
        let all = EndpointGenerator.loadAssignment(name: "echo", local: instances, remote: nil, datacenter: "dc1", subsets: rules)
        func addresses(_ policy: DependencySettings.RoutingPolicy) -> [String] {
            EndpointGenerator.preferring(policy, metadataKey: "tag", in: all).endpoints.flatMap(\.lbEndpoints)
                .map(\.endpoint.address.socketAddress.address)
        }
        #expect(addresses(.init(autoServiceTag: true, serviceTagPreference: ["ipsum", "lorem"])) == ["10.0.0.1"])
        #expect(addresses(.init(autoServiceTag: true, serviceTagPreference: ["absent", "lorem"])) == ["10.0.0.2"])
        #expect(addresses(.init(autoServiceTag: true, serviceTagPreference: ["absent"])) == [])
        #expect(addresses(.init(autoServiceTag: true, serviceTagPreference: ["absent"], fallbackToAnyInstance: true)).count == 3)
    }

    @Test("automatic tags through the cache: only groups whose dependency asks get the narrowed endpoints; outgoing-level policy is the default")
    func automaticTagGroups() async throws {
        let cache = SnapshotCache(datacenter: "dc1", properties: Self.settings)
        await cache.apply(Fixtures.catalog(["echo": [
            Fixtures.instance("10.0.0.1", 80, tags: ["ipsum"]), Fixtures.instance("10.0.0.2", 80, tags: ["lorem"]),
        ]]))
        let automatic = try Fixtures.profile(#"""
            {"service_name": "client", "proxy_settings": {"outgoing": {
              "routingPolicy": {"autoServiceTag": true, "serviceTagPreference": ["ipsum", "lorem"]},
              "dependencies": [{"service": "echo"}]}}}
            """#, properties: Self.settings)
        let plain = try Fixtures.profile(
            #"{"service_name": "client", "proxy_settings": {"outgoing": {"dependencies": [{"service": "echo"}]}}}"#, properties: Self.settings)
        func endpointCount(_ profile: ProxyProfile) async throws -> Int {
            let snapshot = try #require(await cache.snapshot(for: profile))
            let assignment = try Envoy_Config_Endpoint_V3_ClusterLoadAssignment(
                serializedBytes: try #require(snapshot.resources[.endpoint]?["echo"]).any.value)
            return assignment.endpoints.flatMap(\.lbEndpoints).count
        }
        #expect(try await endpointCount(automatic) == 1)
        #expect(try await endpointCount(plain) == 2)
        await cache.apply(Fixtures.catalog(["echo": [Fixtures.instance("10.0.0.2", 80, tags: ["lorem"])]]))
        #expect(try await endpointCount(automatic) == 1, "ipsum gone: lorem's instance")
    }

    @Test("routes: a requested tag the automatic preference already holds is a 400; the preference header added if absent; upstream tags header")
    func automaticTagRoutes() throws {
        let profile = try Fixtures.profile(#"""
            {"service_name": "client", "proxy_settings": {"outgoing": {"dependencies": [
              {"service": "echo", "routingPolicy": {"autoServiceTag": true, "serviceTagPreference": ["ipsum", "lorem"]}}]}}}
            """#, properties: Self.settings)
        let routed = RoutedDependency(dependency: profile.outgoing.services[0], traits: RoutingTraits(tags: ["est", "lorem"]))
        let routes = RouteGenerator.egress(
            for: profile, dependencies: [routed], properties: Self.settings, subsets: SubsetRules(Self.settings, tagFilter: TagFilter()))
        try Golden.check([routes], named: "routes-automatic-tags")
        let echo = try #require(routes.virtualHosts.first { $0.name == "echo" })
        #expect(echo.routes.prefix(2).map(\.directResponse.status) == [400, 400])
        #expect(routes.responseHeadersToAdd.map(\.header.key) == ["x-envoy-upstream-service-tags"])
    }

    @Test("preference routing: Lua filters for the services it is enabled for; clusters select from a fallback list even before tags exist")
    func preferenceRouting() throws {
        var properties = Self.settings
        properties.routing.serviceTags.preferenceRouting.enableForServices = ["client", "other"]
        properties.routing.serviceTags.preferenceRouting.disableForServices = ["other"]
        properties.routing.serviceTags.preferenceRouting.fallbackToAnyForDefaultPreference = "global"
        let listeners = #""ingress_host": "0.0.0.0", "ingress_port": 5001, "egress_host": "0.0.0.0", "egress_port": 5000"#
        func filterNames(_ service: String) throws -> [String] {
            let profile = try Fixtures.profile(#"{"service_name": "\#(service)", \#(listeners)}"#, properties: properties)
            return try ListenerGenerator.listeners(for: profile, properties: properties).flatMap { listener in
                let manager = try Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager(
                    unpackingAny: listener.filterChains[0].filters[0].typedConfig)
                return manager.httpFilters.map(\.name)
            }
        }
        #expect(try filterNames("client").filter { $0.contains("lua") } == ["ingress.lua.service_tag_preference", "envoy.lua.service_tag_preference"])
        #expect(try filterNames("other").allSatisfy { !$0.contains("lua") }, "disableForServices wins")
        #expect(try filterNames("third").allSatisfy { !$0.contains("lua") })
        let cluster = ClusterGenerator.serviceCluster(
            "echo", mode: .ads, properties: properties, traits: RoutingTraits(), subsets: SubsetRules(properties, tagFilter: TagFilter()))
        #expect(cluster.lbSubsetConfig.metadataFallbackPolicy == .fallbackList)
        #expect(cluster.lbSubsetConfig.subsetSelectors.map(\.keys) == [["tag"]], "a preferred tag no endpoint has matches nothing")
        let lua = try #require(ServiceTagPreferenceGenerator.egressFilter(for: "client", properties.routing.serviceTags))
        let source = try Envoy_Extensions_Filters_Http_Lua_V3_Lua(unpackingAny: lua.typedConfig).defaultSourceCode.inlineString
        #expect(source.contains(#"os.getenv("DEFAULT_SERVICE_TAG_PREFERENCE") or "global""#) && source.contains(#"local fallbackToAnyFor = "global""#))
        #expect(ServiceTagPreferenceGenerator.quoted("a\"b\\c\n\u{1}9") == #""a\"b\\c\n\0019""#)
    }

    @Test("a split's locality weights survive the subset load balancer every tag-routing cluster has (80/20 stays 80/20)")
    func subsetsKeepLocalityWeights() {
        let rules = SubsetRules(Self.settings, tagFilter: TagFilter())
        let split = ClusterGenerator.serviceCluster("echo", properties: Self.settings, localityWeighted: true, subsets: rules)
        #expect(split.hasLbSubsetConfig && split.lbSubsetConfig.localityWeightAware && split.commonLbConfig.localityConfigSpecifier != nil)
        #expect(!ClusterGenerator.serviceCluster("echo", properties: Self.settings, subsets: rules).lbSubsetConfig.localityWeightAware)
    }

    @Test("local reply mapper: LocalReplyMappingTest's matchers in order on every connection manager, then the common JSON format")
    func localReplyMapper() throws {
        let properties = try YAMLDecoder().decode(SnapshotProperties.self, from: #"""
            dynamicListeners:
              localReplyMapper:
                enabled: true
                responseFormat:
                  contentType: application/envoy+json
                  jsonFormat: '{"destination":"service-name: %REQ(:authority)%, service-tag: %REQ(x-service-tag)%","responseFlags":"%RESPONSE_FLAGS%","body":"%LOCAL_REPLY_BODY%"}'
                matchers:
                  - headerMatcher: { name: ":path", exactMatch: /api }
                    statusCodeToReturn: 510
                    responseFormat: { jsonFormat: '{"path":"%REQ(:path)%","responseFlags":"%RESPONSE_FLAGS%","body":"%LOCAL_REPLY_BODY%"}' }
                  - responseFlagMatcher: [NC]
                    statusCodeToReturn: 522
                    bodyToReturn: my-custom no route body
                    responseFormat: { textFormat: "Request to service: %REQ(:authority)% responseFlags:%RESPONSE_FLAGS% body: %LOCAL_REPLY_BODY%" }
                  - statusCodeMatcher: "EQ:403"
                    bodyToReturn: denied
            """#)
        let profile = try Fixtures.profile(
            #"{"service_name": "c", "ingress_host": "0.0.0.0", "ingress_port": 5001, "egress_host": "0.0.0.0", "egress_port": 5000}"#,
            properties: properties)
        let listeners = ListenerGenerator.listeners(for: profile, properties: properties)
        try Golden.check(listeners, named: "listeners-local-reply")
        for listener in listeners {
            let manager = try Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager(
                unpackingAny: listener.filterChains[0].filters[0].typedConfig)
            #expect(manager.localReplyConfig.mappers.map(\.statusCode.value) == [510, 522, 0], "\(listener.name)")
        }
        for (yaml, problem) in [
            ("matchers: [{ statusCodeMatcher: \"EQ:400\", responseFlagMatcher: [NC] }]", "one and only one"),
            ("matchers: [{ bodyToReturn: x }]", "one and only one"),
            ("responseFormat: { textFormat: a, jsonFormat: '{}' }", "only one of jsonFormat, textFormat"),
            ("responseFormat: { jsonFormat: 'not json' }", "is not a JSON object"),
            ("matchers: [{ statusCodeMatcher: \"GT:400\" }]", "is not OPERATOR:VALUE"),
        ] {
            let problems = LocalControlPlaneConfig.check(yaml: "datacenter: dc1\nsnapshot:\n  dynamicListeners: { localReplyMapper: { \(yaml) } }\n").problems
            #expect(problems.contains { $0.contains(problem) }, "\(yaml): \(problems)")
        }
        let combination = LocalControlPlaneConfig.check(
            yaml: "datacenter: dc1\nsnapshot:\n  routing: { serviceTags: { allowedTagsCombinations: [{ serviceName: a, tags: [x] }] } }\n").problems
        #expect(combination.contains { $0.contains("must contain 2 or 3 tags") }, "\(combination)")
    }
}
