import Testing

@testable import LocalControlPlane

@Suite("Traffic policy metadata parsing")
struct TrafficPolicyParserTests {
    @Test("incoming permissions: paths, methods upper-cased, roles, unlisted policy")
    func incoming() throws {
        let profile = try Fixtures.profile("""
            {"service_name": "server", "proxy_settings": {"incoming": {
                "unlistedEndpointsPolicy": "log",
                "roles": [{"name": "readers", "clients": ["a", "b"]}],
                "endpoints": [{"path": "/x", "methods": ["get"], "clients": ["readers", "c"]}, {"pathRegex": "/y.*", "clients": ["*"]}]}}}
            """)
        let incoming = try #require(profile.incoming)
        #expect(incoming.unlistedEndpointsPolicy == .log)
        #expect(incoming.endpoints == [
            .init(path: .exact("/x"), methods: ["GET"], clients: ["readers", "c"]), .init(path: .regex("/y.*"), clients: ["*"]),
        ])
        #expect(incoming.callers("readers") == ["a", "b"])
        #expect(incoming.callers("c") == ["c"])
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

    @Test("domains: https defaults to 443 with TLS, http to 80, explicit ports kept")
    func domains() throws {
        #expect(try DomainDependency.parse("https://Api.Example.com", field: "d") == .init(host: "api.example.com", port: 443, tls: true))
        #expect(try DomainDependency.parse("http://example.com:8080", field: "d") == .init(host: "example.com", port: 8080, tls: false))
        #expect(try DomainDependency.parse("http://example.com:8080", field: "d").clusterName == "example_com_8080")
        #expect(throws: NodeMetadataError.self) { try DomainDependency.parse("ftp://example.com", field: "d") }
        #expect(throws: NodeMetadataError.self) { try DomainDependency.parse("https://example.com/path", field: "d") }
        // Found by the fuzzer: URL accepts any number as a port, which trapped when generating the cluster.
        #expect(throws: NodeMetadataError.self) { try DomainDependency.parse("http://example.com:42949672968080", field: "d") }
        #expect(throws: NodeMetadataError.self) { try DomainDependency.parse("http://example.com:0", field: "d") }
    }

    @Test(
        "malformed incoming permissions name the field",
        arguments: [
            (#"{"endpoints": [{"clients": ["a"]}]}"#, "metadata.proxy_settings.incoming.endpoints[0]"),
            (#"{"endpoints": [{"path": "/a", "pathPrefix": "/b", "clients": ["a"]}]}"#, "metadata.proxy_settings.incoming.endpoints[0]"),
            (#"{"endpoints": [{"path": "/a", "clients": ["not a name"]}]}"#, "metadata.proxy_settings.incoming.endpoints[0]"),
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
