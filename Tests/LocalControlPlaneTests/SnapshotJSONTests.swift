import Foundation
import Testing

@testable import LocalControlPlane

@Suite("/debug/snapshot JSON")
struct SnapshotJSONTests {
    @Test("every resource of a snapshot using every feature renders unpacked; names with quotes stay valid JSON")
    func rendersEverything() async throws {
        var properties = Fixtures.strict
        properties.incomingPermissions.tlsAuthentication.servicesAllowedToUseWildcard = ["client"]
        let profile = try Fixtures.profile(#"""
            {"service_name": "client", "ads": true, "ingress_host": "127.0.0.1", "ingress_port": 5001,
             "egress_host": "127.0.0.1", "egress_port": 5000, "access_log_enabled": true,
             "access_log_filter": {"status_code_filter": "GE:500"},
             "proxy_settings": {
               "incoming": {"unlistedEndpointsPolicy": "log", "endpoints": [{"path": "/x", "clients": ["*"]}]},
               "outgoing": {"dependencies": [
                 {"service": "backend", "retryPolicy": {"retryOn": ["reset"], "retryHostPredicate": [{"name": "PREVIOUS_HOSTS"}]}},
                 {"domain": "https://api.example.com"}]}}}
            """#, properties: properties)
        let cache = SnapshotCache(datacenter: "dc1", properties: properties)
        await cache.apply(Fixtures.catalog(["backend": [Fixtures.instance("10.0.0.1", 80, tags: ["canary"])]]))
        let snapshot = try #require(await cache.snapshot(for: profile))
        let text = SnapshotJSON.render(snapshot, group: "a \"quoted\" group")
        #expect(!text.contains("unrenderable"), "every Any type is registered:\n\(text.prefix(2000))")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(document["group"] as? String == "a \"quoted\" group")
        for type in ["CDS", "EDS", "LDS", "RDS"] {
            let resources = try #require((document[type] as? [String: Any])?["resources"] as? [[String: Any]])
            #expect(!resources.isEmpty, "\(type) has resources")
        }
        #expect(text.contains("PreviousHostsPredicate") && text.contains("FileAccessLog") && text.contains("UpstreamTlsContext"))
    }
}
