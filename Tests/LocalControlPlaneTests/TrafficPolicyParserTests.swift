import Testing

@testable import LocalControlPlane

@Suite("Traffic policy metadata parsing")
struct TrafficPolicyParserTests {
    @Test("incoming permissions: paths, methods, roles, selectors, unlisted policies")
    func incoming() throws {
        let profile = try Fixtures.profile("""
            {"service_name": "server", "proxy_settings": {"incoming": {
                "unlistedEndpointsPolicy": "log",
                "roles": [{"name": "readers", "clients": ["a", "b"]}],
                "endpoints": [{"path": "/x", "methods": ["GET"], "clients": ["readers", "c:vpn"]},
                  {"paths": ["/p2", "/p1"], "clients": ["d"], "unlistedClientsPolicy": "log"}, {"pathRegex": "/y.*", "clients": []}]}}}
            """)
        let incoming = try #require(profile.incoming.permissions)
        #expect(incoming.unlistedEndpointsPolicy == .log)
        #expect(incoming.endpoints == [
            .init(paths: [.exact("/x")], methods: ["GET"], clients: ["readers", "c:vpn"]),
            .init(paths: [.exact("/p1"), .exact("/p2")], clients: ["d"], unlistedClientsPolicy: .log),
            .init(paths: [.regex("/y.*")], clients: []),
        ])
        #expect(incoming.callers("readers") == ["a", "b"])
        #expect(incoming.callers("c:vpn") == ["c"], "a selector needs source-IP or JWT authentication; by name it is the service")
    }

    @Test("no endpoints key, or incoming permissions off on the server: no rules at all (envoy-control)")
    func noRulesWithoutEndpoints() throws {
        let withoutEndpoints = try Fixtures.profile(#"{"service_name": "s", "proxy_settings": {"incoming": {"roles": []}}}"#)
        #expect(withoutEndpoints.incoming.permissions == nil)
        let endpoints = #"{"service_name": "s", "proxy_settings": {"incoming": {"endpoints": [{"path": "/a", "clients": ["b"]}]}}}"#
        #expect(try Fixtures.profile(endpoints).incoming.permissions != nil)
        #expect(try Fixtures.profile(endpoints, properties: SnapshotProperties()).incoming.permissions == nil)
        let empty = #"{"service_name": "s", "proxy_settings": {"incoming": {"endpoints": []}}}"#
        #expect(try Fixtures.profile(empty).incoming.permissions == IncomingPermissions(), "an empty list denies every endpoint")
    }

    @Test("access log filter: every clause kind, > and < become >= and <=")
    func accessLogFilter() throws {
        let spec = try AccessLogFilterSpec.parse("status_code:>499; duration:<100;header:X-Debug:on;response_flags:UF,NR;not_health_check")
        #expect(spec.clauses == [
            .statusCode(.atLeast(500)), .duration(.atMost(99)), .header(name: "x-debug", value: "on"),
            .responseFlags(["UF", "NR"]), .notHealthCheck,
        ])
    }

    @Test(
        "invalid access log filter names the clause",
        arguments: [
            ("status_code:>=700", "status_code:>=700"), ("duration:abc", "duration:abc"), ("header:x", "header:x"),
            ("response_flags:", "response_flags:"), ("status_code:>=500;colour:red", "colour:red"), ("not_health_check:1", "not_health_check:1"),
            ("duration:>9223372036854775807", "duration:>9223372036854775807"), ("duration:>=4294967296", "duration:>=4294967296"),
            ("duration:<-5", "duration:<-5"), ("status_code:>-9223372036854775808", "status_code:>-9223372036854775808"),
        ])
    func invalidAccessLogFilter(text: String, clause: String) throws {
        let error = #expect(throws: NodeMetadataError.self) { try AccessLogFilterSpec.parse(text) }
        #expect(error?.field == "metadata.access_log_filter")
        #expect(error?.description.contains("'\(clause)'") == true)
    }

    @Test("domains: https defaults to 443 with TLS, http to 80, explicit ports kept, cluster names as envoy-control's")
    func domains() throws {
        func parse(_ text: String) throws -> DomainDependency { try DomainDependency.parse(text, field: "d", settings: .init()) }
        #expect(try parse("https://Api.Example.com") == .init(host: "api.example.com", port: 443, tls: true, explicitPort: false, settings: .init()))
        #expect(try parse("http://example.com:8080") == .init(host: "example.com", port: 8080, tls: false, explicitPort: true, settings: .init()))
        #expect(try parse("http://example.com:8080").clusterName == "example_com_8080")
        #expect(throws: NodeMetadataError.self) { try parse("ftp://example.com") }
        #expect(throws: NodeMetadataError.self) { try parse("https://example.com/path") }
        // Found by the fuzzer: URL accepts any number as a port, which trapped when generating the cluster.
        #expect(throws: NodeMetadataError.self) { try parse("http://example.com:42949672968080") }
        #expect(throws: NodeMetadataError.self) { try parse("http://example.com:0") }
    }

    @Test(
        "malformed incoming permissions name the field",
        arguments: [
            (#"{"endpoints": [{"clients": ["a"]}]}"#, "metadata.proxy_settings.incoming.endpoints[0]"),
            (#"{"endpoints": [{"path": "/a", "pathPrefix": "/b", "clients": ["a"]}]}"#, "metadata.proxy_settings.incoming.endpoints[0]"),
            (#"{"endpoints": [{"path": "/a", "methods": ["get"], "clients": ["a"]}]}"#, "metadata.proxy_settings.incoming.endpoints[0]"),
            (#"{"endpoints": [{"path": "/a", "clients": ["*", "a"]}]}"#, "metadata.proxy_settings.incoming.endpoints[0]"),
            (#"{"endpoints": [{"path": "/a", "clients": ["*"]}]}"#, "metadata.proxy_settings.incoming.endpoints[0]"),
            (#"{"endpoints": [{"paths": ["/a"], "path": "/b", "clients": ["a"]}]}"#, "metadata.proxy_settings.incoming.endpoints[0]"),
            (#"{"endpoints": [{"path": "/a", "unlistedClientsPolicy": "x"}]}"#, "metadata.proxy_settings.incoming.endpoints[0].unlistedClientsPolicy"),
            (#"{"rateLimitEndpoints": [{"path": "/a", "rateLimit": "10/day"}]}"#, "metadata.proxy_settings.incoming.rateLimitEndpoints[0].rateLimit"),
            (#"{"healthCheck": {"path": 5}}"#, "metadata.proxy_settings.incoming.healthCheck.path"),
            (#"{"timeoutPolicy": {"responseTimeout": 5}}"#, "metadata.proxy_settings.incoming.timeoutPolicy.responseTimeout"),
            (#"{"unlistedEndpointsPolicy": "allow"}"#, "metadata.proxy_settings.incoming.unlistedEndpointsPolicy"),
            (#"{"roles": [{"clients": ["a"]}]}"#, "metadata.proxy_settings.incoming.roles[0]"),
        ])
    func invalidIncoming(incoming: String, field: String) throws {
        let error = #expect(throws: NodeMetadataError.self) {
            try Fixtures.profile(#"{"service_name": "s", "proxy_settings": {"incoming": \#(incoming)}}"#)
        }
        #expect(error?.field == field)
    }
}
