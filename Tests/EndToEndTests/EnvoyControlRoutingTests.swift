import Foundation
import Testing

/// envoy-control's routing scenario tests ported with real Envoys from its bootstraps and real traffic:
/// ServiceTagsTest's tag combinations, ServiceTagsAndCanaryTest, RoutingPolicyTest, ServiceTagPreferenceTest (and its fallback-to-any variant),
/// LocalReplyMappingTest, InternalRedirectTest, EndpointMetadataMergingTests.
@Suite("envoy-control routing scenarios: tag combinations, routing policy, tag preference, local replies, redirects", .serialized, .timeLimit(.minutes(3)))
struct EnvoyControlRoutingTests {
    typealias World = EnvoyControlCompatibilityTests.World

    /// A registry of services whose instances are the given backends with the given tags.
    static func registry(_ services: [(name: String, instances: [(Backend, [String])])]) -> String {
        "services:\n" + services.map { service in
            "  - name: \(service.name)\n    instances:\n" + service.instances.map { backend, tags in
                "      - { id: \(backend.name), address: 127.0.0.1, port: \(backend.port), tags: [\(tags.map { "\"\($0)\"" }.joined(separator: ", "))] }\n"
            }.joined()
        }.joined()
    }

    static func hits(_ count: Int, _ envoy: EnvoyControlBootstrap, _ service: String = "echo", headers: [(String, String)] = []) async throws -> [String: Int] {
        try await EnvoyControlCompatibilityTests.hits(count) { try await envoy.callService(service, headers: headers) }
    }

    /// Calls until `service` answers 200 from one of `names` (the Envoy has the endpoints the registry gives).
    static func settled(_ envoy: EnvoyControlBootstrap, _ service: String = "echo", headers: [(String, String)] = [], on names: Set<String>) async -> Bool {
        await TestEnvironment.waitUntil {
            guard let hits = try? await hits(6, envoy, service, headers: headers) else { return false }
            return !hits.isEmpty && Set(hits.keys).isSubset(of: names)
        }
    }

    @Test("ServiceTagsTest: allowed combinations (a,b and a,b,c joined sorted) select instances; others and excluded tags get 503")
    func tagCombinations() async throws {
        let world = try await World("tag-combinations", settings: EnvoyControlCompatibilityTests.settings("""
              routing:
                serviceTags:
                  enabled: true
                  routingExcludedTags: [{ type: PREFIX, value: blacklist }]
                  allowedTagsCombinations:
                    - { serviceName: service-1, tags: ["version:.*", "hardware:.*", "role:.*"] }
                    - { serviceName: service-2, tags: ["version:.*", "role:.*"] }
                    - { serviceName: service-2, tags: ["version:.*", "hardware:.*"] }
            """))
        defer { world.stop() }
        let backends = try ["a", "b", "master", "secondary", "third"].map { try Backend(name: $0, directory: world.directory) }
        defer { backends.forEach { $0.process.stop() } }
        let (a, b, master, secondary, third) = (backends[0], backends[1], backends[2], backends[3], backends[4])
        try world.controlPlane.writeRegistry(Self.registry([
            ("service-1", [(a, ["version:v1.5", "hardware:c32", "role:master"]), (b, ["version:v1.5", "hardware:c64", "role:master", "blacklisted"])]),
            ("service-2", [(master, ["version:v1.5", "hardware:c32", "role:master"]), (secondary, ["version:v2.0", "hardware:c32", "role:secondary"])]),
            ("service-3", [(third, ["version:v1.5", "hardware:c32", "role:master"])]),
        ]))
        let envoy = try world.envoy("config_ads")
        defer { envoy.stop() }
        let tag = { (value: String) in [("x-service-tag", value)] }
        #expect(await Self.settled(envoy, "service-3", on: ["third"]))
        #expect(try await Self.hits(5, envoy, "service-1", headers: tag("hardware:c32,role:master,version:v1.5")) == ["a": 5])
        #expect(try await Self.hits(5, envoy, "service-1", headers: tag("blacklisted")) == ["503": 5], "excluded by prefix")
        #expect(try await Self.hits(5, envoy, "service-3", headers: tag("hardware:c32,role:master,version:v1.5")) == ["503": 5], "no combinations")
        #expect(try await Self.hits(5, envoy, "service-3", headers: tag("hardware:c32,role:master")) == ["503": 5])
        #expect(try await Self.hits(5, envoy, "service-3", headers: tag("role:master")) == ["third": 5])
        #expect(try await Self.hits(5, envoy, "service-2", headers: tag("hardware:c32,version:v1.5")) == ["master": 5])
        #expect(try await Self.hits(5, envoy, "service-2", headers: tag("role:secondary,version:v2.0")) == ["secondary": 5])
        #expect(try await Self.hits(5, envoy, "service-2", headers: tag("hardware:c32,role:master")) == ["503": 5], "not an allowed pair")
        #expect(try await Self.hits(5, envoy, "service-2", headers: tag("hardware:c32,role:master,version:v1.5")) == ["503": 5], "no triple")
    }

    @Test("ServiceTagsAndCanaryTest: a tag with x-canary reaches the tag's canaries, else the tag's instances; an unknown tag stays 503")
    func tagsAndCanary() async throws {
        let world = try await World("tags-canary", settings: EnvoyControlCompatibilityTests.settings("""
              routing: { serviceTags: { enabled: true } }
            """, loadBalancing: "{ policy: ROUND_ROBIN, canary: { enabled: true } }"))
        defer { world.stop() }
        let backends = try ["lorem-regular", "lorem-canary", "ipsum-regular"].map { try Backend(name: $0, directory: world.directory) }
        defer { backends.forEach { $0.process.stop() } }
        try world.controlPlane.writeRegistry(Self.registry([
            ("echo", [(backends[0], ["lorem"]), (backends[1], ["lorem", "canary"]), (backends[2], ["ipsum"])]),
        ]))
        let envoy = try EnvoyControlBootstrap(
            "config_ads", controlPlane: world.controlPlane, localServicePort: world.local.port, directory: world.directory,
            proxySettings: "      outgoing: { dependencies: [{ service: echo }] }")
        defer { envoy.stop() }
        let canary = ("x-canary", "1")
        #expect(await Self.settled(envoy, headers: [("x-service-tag", "lorem"), canary], on: ["lorem-canary"]))
        #expect(try await Self.hits(5, envoy, headers: [("x-service-tag", "ipsum"), canary]) == ["ipsum-regular": 5], "no ipsum canary: ipsum")
        #expect(try await Self.hits(5, envoy, headers: [canary]) == ["lorem-canary": 5])
        #expect(try await Self.hits(5, envoy, headers: [("x-service-tag", "not-found"), canary]) == ["503": 5])
        let lorem = try await Self.hits(10, envoy, headers: [("x-service-tag", "lorem")])
        #expect(Set(lorem.keys) == ["lorem-regular", "lorem-canary"], "without x-canary every lorem instance: \(lorem)")
    }

    @Test("RoutingPolicyTest: autoServiceTag narrows to the first preferred tag present, client tags select within it, duplicates are a 400")
    func routingPolicy() async throws {
        let world = try await World("routing-policy", settings: EnvoyControlCompatibilityTests.settings("""
              routing: { serviceTags: { enabled: true, autoServiceTagEnabled: true, rejectRequestsWithDuplicatedAutoServiceTag: true } }
            """))
        defer { world.stop() }
        let backends = try ["ipsum-beta", "lorem-beta", "ipsum-alpha"].map { try Backend(name: $0, directory: world.directory) }
        defer { backends.forEach { $0.process.stop() } }
        let (ipsumBeta, loremBeta, ipsumAlpha) = (backends[0], backends[1], backends[2])
        try world.controlPlane.writeRegistry(Self.registry([
            ("echo", [(ipsumBeta, ["ipsum", "beta"]), (loremBeta, ["lorem", "beta"]), (ipsumAlpha, ["ipsum", "alpha"])]),
        ]))
        let enabled = try EnvoyControlBootstrap(
            "config_ads", controlPlane: world.controlPlane, localServicePort: world.local.port, directory: world.directory, proxySettings: """
                  outgoing:
                    routingPolicy: { autoServiceTag: true, serviceTagPreference: [ipsum, lorem] }
                    dependencies: [{ service: echo }]
            """)
        let disabled = try EnvoyControlBootstrap(
            "config_ads", controlPlane: world.controlPlane, localServicePort: world.local.port, directory: world.directory,
            proxySettings: "      outgoing: { dependencies: [{ service: echo }] }")
        defer { [enabled, disabled].forEach { $0.stop() } }
        #expect(await Self.settled(enabled, on: ["ipsum-beta", "ipsum-alpha"]), "log:\n\(enabled.envoy.process.log.suffix(1500))")
        #expect(await TestEnvironment.waitUntil { await disabled.envoy.endpoints(of: "echo").count == 3 })
        let beta = [("x-service-tag", "beta")]
        #expect(try await Self.hits(6, enabled, headers: beta) == ["ipsum-beta": 6], "beta among the ipsum instances")
        let spread = try await Self.hits(12, disabled, headers: beta)
        #expect(Set(spread.keys) == ["ipsum-beta", "lorem-beta"], "without a policy beta is any beta instance: \(spread)")
        let duplicated = try await enabled.callService("echo", headers: [("x-service-tag", "lorem")])
        #expect(duplicated.status == 400)
        #expect(duplicated.body == "Request service-tag 'lorem' duplicates auto service-tag preference. Remove service-tag parameter from the request")
        #expect(try await enabled.callService("echo", headers: [("x-service-tag", "ipsum")]).status == 400)
        #expect(try await enabled.callService("echo").headers.first(name: "x-received-service-tag-preference") == "ipsum|lorem")

        try world.controlPlane.writeRegistry(Self.registry([("echo", [(loremBeta, ["lorem", "beta"])])]))
        #expect(await Self.settled(enabled, on: ["lorem-beta"]), "ipsum gone: lorem is preferred next")
        try world.controlPlane.writeRegistry(Self.registry([("echo", [(ipsumAlpha, ["alpha"])])]))
        #expect(await TestEnvironment.waitUntil { (try? await Self.hits(3, enabled)) == ["503": 3] }, "no preferred tag, no fallback: nothing")
        #expect(await Self.settled(disabled, on: ["ipsum-alpha"]))
    }

    @Test("ServiceTagPreferenceTest: x-service-tag-preference or the Envoy's default preference picks the first tag present; x-service-tag wins")
    func serviceTagPreference() async throws {
        let world = try await World("tag-preference", settings: EnvoyControlCompatibilityTests.settings("""
              routing:
                serviceTags:
                  enabled: true
                  addUpstreamServiceTagsHeader: true
                  preferenceRouting:
                    enableForAll: true
                    disableForServices: [disabled-service]
                    fallbackToAny: { enableForServicesWithDefaultPreferenceEqualTo: global }
            """))
        defer { world.stop() }
        let backends = try ["global", "vte12", "lvte1", "vte33"].map { try Backend(name: $0, directory: world.directory) }
        defer { backends.forEach { $0.process.stop() } }
        let instances = [(backends[0], ["global", "other-1"]), (backends[1], ["vte12", "other-2"]), (backends[2], ["lvte1", "other-3"]),
                         (backends[3], ["vte33", "other-3", "cz"])]
        try world.controlPlane.writeRegistry(Self.registry([("echo", instances)]))
        let dependencies = "      outgoing: { dependencies: [{ service: echo }] }"
        func envoy(_ service: String = "echo2", preference: String? = nil) throws -> EnvoyControlBootstrap {
            try EnvoyControlBootstrap(
                "config_ads", controlPlane: world.controlPlane, serviceName: service, localServicePort: world.local.port,
                directory: world.directory, proxySettings: dependencies,
                environment: preference.map { ["DEFAULT_SERVICE_TAG_PREFERENCE": $0] } ?? [:])
        }
        let (global, vte12, disabled) = (try envoy(), try envoy(preference: "vte12|global"), try envoy("disabled-service"))
        defer { [global, vte12, disabled].forEach { $0.stop() } }
        #expect(await Self.settled(global, on: ["global"]), "default preference global; log:\n\(global.envoy.process.log.suffix(1500))")
        #expect(await Self.settled(vte12, on: ["vte12"]), "the Envoy's DEFAULT_SERVICE_TAG_PREFERENCE")
        let preferring = { (value: String) in [("x-service-tag-preference", value)] }
        #expect(try await Self.hits(5, global, headers: preferring("lvte1|vte12|global")) == ["lvte1": 5])
        #expect(try await Self.hits(5, vte12, headers: preferring("global")) == ["global": 5])
        #expect(try await Self.hits(5, vte12, headers: [("x-service-tag", "cz")]) == ["vte33": 5], "a tag beats the preference")
        let reply = try await global.callService("echo")
        #expect(reply.headers.first(name: "x-received-service-tag-preference") == "global", "the callee sees the preference")
        #expect(reply.headers.first(name: "x-envoy-upstream-service-tags")?.contains("global") == true, "\(reply.headers)")
        #expect(try await Self.hits(5, vte12, headers: preferring("vte77")) == ["503": 5], "no preferred tag present")
        let anyInstance = try await Self.hits(12, global, headers: preferring("vte100"))
        #expect(anyInstance.count > 1 && anyInstance["503"] == nil, "default preference global falls back to any: \(anyInstance)")
        let unfiltered = try await Self.hits(12, disabled)
        #expect(unfiltered.count > 1, "preference routing disabled for this service: \(unfiltered)")
        let ingress = try await global.callLocalService("/")
        #expect(ingress.headers.first(name: "x-received-service-tag-preference") == "global", "the ingress adds the default preference")

        try world.controlPlane.writeRegistry(Self.registry([("echo", instances.filter { $0.0.name != "lvte1" })]))
        #expect(await TestEnvironment.waitUntil {
            (try? await Self.hits(3, global, headers: preferring("lvte1|vte12|global"))) == ["vte12": 3]
        }, "lvte1 gone: the next preference")
    }

    @Test("LocalReplyMappingTest: mappers in order rewrite Envoy's own replies (no route: 522 text; /api: 510 JSON); others take the common JSON format")
    func localReplyMapping() async throws {
        let world = try await World("local-reply", settings: EnvoyControlCompatibilityTests.settings(#"""
              routing: { serviceTags: { enabled: true, metadataKey: tag } }
              dynamicListeners:
                localReplyMapper:
                  enabled: true
                  responseFormat:
                    contentType: application/envoy+json
                    jsonFormat: '{"destination":"service-name: %REQ(:authority)%, service-tag: %REQ(x-service-tag)%","responseFlags":"%RESPONSE_FLAGS%","body":"%LOCAL_REPLY_BODY%"}'
                  matchers:
                    - headerMatcher: { name: ":path", exactMatch: /api }
                      statusCodeToReturn: 510
                      responseFormat:
                        jsonFormat: '{"destination":{"serviceName":"%REQ(:authority)%","serviceTag":"%REQ(x-service-tag)%","path":"%REQ(:path)%"},"responseFlags":"%RESPONSE_FLAGS%","body":"%LOCAL_REPLY_BODY%","path":"%REQ(:path)%"}'
                    - responseFlagMatcher: [NC]
                      statusCodeToReturn: 522
                      bodyToReturn: my-custom no route body
                      responseFormat:
                        textFormat: "Request to service: %REQ(:authority)% responseFlags:%RESPONSE_FLAGS% body: %LOCAL_REPLY_BODY%"
            """#))
        defer { world.stop() }
        let envoy = try EnvoyControlBootstrap(
            "config_ads", controlPlane: world.controlPlane, localServicePort: world.local.port, directory: world.directory,
            proxySettings: "      outgoing: { dependencies: [{ service: echo }, { service: service-2 }] }")
        defer { envoy.stop() }
        #expect(await Self.settled(envoy, on: ["echo"]))
        let noTag = try await envoy.callService("echo", headers: [("x-service-tag", "not-existing")])
        #expect(noTag.status == 503)
        #expect(noTag.headers.first(name: "content-type") == "application/envoy+json")
        let common = try JSONSerialization.jsonObject(with: Data(noTag.body.utf8)) as? [String: String]
        #expect(common == ["body": "no healthy upstream", "responseFlags": "UH", "destination": "service-name: echo, service-tag: not-existing"])
        let noRoute = try await envoy.callService("service-2")
        #expect(noRoute.status == 522, "a declared dependency without instances has a route but no cluster (NC)")
        #expect(noRoute.body.contains("Request to service: service-2 responseFlags:NC body: my-custom no route body"), "\(noRoute.body)")
        let api = try await envoy.callService("service-2", "/api")
        #expect(api.status == 510, "the first mapper wins")
        let apiBody = try #require(try JSONSerialization.jsonObject(with: Data(api.body.utf8)) as? [String: Any])
        #expect(apiBody["path"] as? String == "/api" && apiBody["responseFlags"] as? String == "NC")
        let destination = apiBody["destination"] as? [String: Any]
        #expect(destination?["serviceName"] as? String == "service-2" && destination?["serviceTag"] is NSNull)
    }

    @Test("InternalRedirectTest: a dependency with handleInternalRedirect follows the 302 inside Envoy; one without passes it on")
    func internalRedirect() async throws {
        let world = try await World("internal-redirect")
        defer { world.stop() }
        let (redirect, target) = (try Backend(name: "service-redirect", directory: world.directory), try Backend(name: "service-1", directory: world.directory))
        defer { [redirect, target].forEach { $0.process.stop() } }
        try world.controlPlane.writeRegistry(EnvoyControlCompatibilityTests.registry(
            echo: [world.echo], others: ["service-redirect": redirect, "service-1": target, "service-5": redirect]))
        let envoy = try EnvoyControlBootstrap(
            "config_ads", controlPlane: world.controlPlane, localServicePort: world.local.port, directory: world.directory, proxySettings: """
                  outgoing:
                    dependencies:
                      - { service: service-redirect, handleInternalRedirect: true }
                      - service: service-1
                      - service: service-5
            """)
        defer { envoy.stop() }
        let path = "/redirect?to=http://service-1/&code=302"
        let followed = await TestEnvironment.waitUntil {
            (try? await envoy.callService("service-redirect", path, client: HTTP.noRedirects))?.body == "service-1\n"
        }
        let last = try await envoy.callService("service-redirect", path, client: HTTP.noRedirects)
        #expect(followed, "followed to service-1: \(last.status) \(last.headers)")
        let passed = try await envoy.callService("service-5", path, client: HTTP.noRedirects)
        #expect(passed.status == 302 && passed.headers.first(name: "location") == "http://service-1/")
    }

    @Test("EndpointMetadataMergingTests: one address registered twice with different tags is one endpoint answering every tag")
    func endpointMetadataMerging() async throws {
        let world = try await World("metadata-merging", settings: EnvoyControlCompatibilityTests.settings("""
              routing: { serviceTags: { enabled: true } }
            """))
        defer { world.stop() }
        try world.controlPlane.writeRegistry("""
            services:
              - name: echo
                instances:
                  - { id: echo-1, address: 127.0.0.1, port: \(world.echo.port), tags: [ipsum] }
                  - { id: echo-2, address: 127.0.0.1, port: \(world.echo.port), tags: [lorem, dolom] }
            """)
        let envoy = try EnvoyControlBootstrap(
            "config_ads", controlPlane: world.controlPlane, localServicePort: world.local.port, directory: world.directory,
            proxySettings: "      outgoing: { dependencies: [{ service: echo }] }")
        defer { envoy.stop() }
        #expect(await Self.settled(envoy, headers: [("x-service-tag", "dolom")], on: ["echo"]))
        for tag in ["ipsum", "lorem", "dolom"] {
            #expect(try await envoy.callService("echo", headers: [("x-service-tag", tag)]).status == 200, "\(tag)")
        }
        #expect(await envoy.envoy.endpoints(of: "echo").count == 1)
    }
}
