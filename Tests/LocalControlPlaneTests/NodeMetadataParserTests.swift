import Testing

@testable import LocalControlPlane

@Suite("Node metadata parsing")
struct NodeMetadataParserTests {
    @Test("envoy-control style metadata becomes a profile")
    func parsesFullMetadata() throws {
        let profile = try Fixtures.profile("""
            {"service_name": "echo", "ads": true, "ingress_host": "0.0.0.0", "ingress_port": 5001,
             "egress_host": "0.0.0.0", "egress_port": "5000", "local_service_port": 8080,
             "proxy_settings": {"outgoing": {"dependencies": [
                {"service": "backend", "timeoutPolicy": {"requestTimeout": "2s", "idleTimeout": "60s"}},
                {"service": "*"},
                {"domain": "https://example.com"}]}}}
            """)
        #expect(profile.serviceName == "echo")
        #expect(profile.egress == .init(host: "0.0.0.0", port: 5000))
        #expect(profile.ingress == .init(listener: .init(host: "0.0.0.0", port: 5001), localServicePort: 8080))
        #expect(profile.outgoing.services["backend"] == .init(requestTimeout: .seconds(2), idleTimeout: .seconds(60)))
        #expect(profile.outgoing.allServices == .init())
    }

    @Test("node.cluster is the service name when metadata has none")
    func clusterFallback() throws {
        let profile = try NodeMetadataParser.parse(metadata: Fixtures.metadata("{}"), nodeCluster: "echo")
        #expect(profile.serviceName == "echo")
        #expect(profile.egress == nil && profile.ingress == nil)
    }

    @Test(
        "malformed metadata names the field",
        arguments: [
            (#"{"service_name": 5}"#, "metadata.service_name"),
            (#"{}"#, "metadata.service_name"),
            (#"{"service_name": "a", "egress_port": 70000}"#, "metadata.egress_port"),
            (#"{"service_name": "a", "egress_port": "x"}"#, "metadata.egress_port"),
            (#"{"service_name": "a", "ingress_port": 5001}"#, "metadata.local_service_port"),
            (#"{"service_name": "a", "proxy_settings": {"outgoing": {"dependencies": {"service": "b"}}}}"#,
             "metadata.proxy_settings.outgoing.dependencies"),
            (#"{"service_name": "a", "proxy_settings": {"outgoing": {"dependencies": [{"service": "b c"}]}}}"#,
             "metadata.proxy_settings.outgoing.dependencies[0].service"),
            (#"{"service_name": "a", "proxy_settings": {"outgoing": {"dependencies": [{"timeoutPolicy": {}}]}}}"#,
             "metadata.proxy_settings.outgoing.dependencies[0]"),
            (#"{"service_name": "a", "proxy_settings": {"outgoing": {"dependencies": [{"service": "b", "timeoutPolicy": {"requestTimeout": "soon"}}]}}}"#,
             "metadata.proxy_settings.outgoing.dependencies[0].timeoutPolicy.requestTimeout"),
        ])
    func namesTheField(json: String, field: String) throws {
        let metadata = try Fixtures.metadata(json)
        #expect(throws: NodeMetadataError.self) { try NodeMetadataParser.parse(metadata: metadata) }
        do {
            _ = try NodeMetadataParser.parse(metadata: metadata)
        } catch {
            #expect(error.field == field)
        }
    }

    @Test("Envoys whose metadata means the same share a group, whatever their node and key order; any difference splits")
    func groupIdentity() throws {
        let first = try NodeMetadataParser.parse(metadata: Fixtures.metadata("""
            {"service_name": "client", "egress_host": "127.0.0.1", "egress_port": 15000,
             "proxy_settings": {"outgoing": {"dependencies": [{"service": "backend"}, {"service": "other"}]}}}
            """), nodeCluster: "client-a")
        let second = try NodeMetadataParser.parse(metadata: Fixtures.metadata("""
            {"proxy_settings": {"outgoing": {"dependencies": [{"service": "other"}, {"service": "backend"}]}},
             "egress_port": 15000, "egress_host": "127.0.0.1", "service_name": "client"}
            """), nodeCluster: "client-b")
        #expect(first == second && first.groupId == second.groupId)
        for different in [
            #"{"service_name": "client", "egress_host": "127.0.0.1", "egress_port": 15001, "proxy_settings": {"outgoing": {"dependencies": [{"service": "backend"}, {"service": "other"}]}}}"#,
            #"{"service_name": "client2", "egress_host": "127.0.0.1", "egress_port": 15000, "proxy_settings": {"outgoing": {"dependencies": [{"service": "backend"}, {"service": "other"}]}}}"#,
            #"{"service_name": "client", "egress_host": "127.0.0.1", "egress_port": 15000, "proxy_settings": {"outgoing": {"dependencies": [{"service": "backend"}]}}}"#,
        ] {
            let profile = try NodeMetadataParser.parse(metadata: Fixtures.metadata(different))
            #expect(profile.groupId != first.groupId, "\(different)")
        }
    }
}
