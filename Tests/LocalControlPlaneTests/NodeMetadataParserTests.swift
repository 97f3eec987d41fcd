import EnvoyAPI
import Testing

@testable import LocalControlPlane

@Suite("Node metadata parsing (envoy-control's keys and shapes)")
struct NodeMetadataParserTests {
    @Test("envoy-control's metadata becomes a profile with the server's defaults applied")
    func parsesFullMetadata() throws {
        let profile = try Fixtures.profile("""
            {"service_name": "echo", "ads": true, "ingress_host": "0.0.0.0", "ingress_port": 5001,
             "egress_host": "0.0.0.0", "egress_port": "5000", "use_remote_address": true, "resources_dir": "/etc/envoy/extra",
             "proxy_settings": {"outgoing": {"dependencies": [
                {"service": "backend", "timeoutPolicy": {"requestTimeout": "2s", "idleTimeout": "60s"}},
                {"service": "echo", "handleInternalRedirect": true},
                {"domain": "https://example.com"}, {"domain": "http://myhttp.example.com:5678"}]}}}
            """)
        #expect(profile.serviceName == "echo")
        #expect(profile.communicationMode == .ads)
        #expect(profile.listeners?.egress == .init(host: "0.0.0.0", port: 5000))
        #expect(profile.listeners?.ingress == .init(host: "0.0.0.0", port: 5001))
        #expect(profile.listeners?.useRemoteAddress == true)
        let backend = try #require(profile.outgoing.services.first { $0.service == "backend" })
        #expect(backend.settings.timeoutPolicy == .init(requestTimeout: .seconds(2), idleTimeout: .seconds(60), connectionIdleTimeout: .seconds(120)))
        #expect(profile.outgoing.services.first { $0.service == "echo" }?.settings.handleInternalRedirect == true)
        #expect(profile.outgoing.domains.map(\.clusterName) == ["example_com_443", "myhttp_example_com_5678"])
        #expect(profile.outgoing.allServices == nil)
    }

    @Test("server defaults: outgoing permissions off means every service; without ads the Envoy uses separate xDS streams")
    func serverDefaults() throws {
        let profile = try Fixtures.profile(#"{"service_name": "a", "proxy_settings": {"outgoing": {"dependencies": [{"service": "b"}]}}}"#,
                                           properties: SnapshotProperties())
        #expect(profile.communicationMode == .xds)
        #expect(profile.outgoing.allServices != nil)
        #expect(profile.outgoing.resolve(among: ["b", "c"]).map(\.service) == ["b", "c"])
        #expect(profile.outgoing.allServices?.timeoutPolicy.requestTimeout == .seconds(120))
    }

    @Test("the '*' dependency's settings are every other service's defaults; '*' needs the server's permission")
    func allServices() throws {
        var properties = Fixtures.strict
        properties.outgoingPermissions.servicesAllowedToUseWildcard = ["a"]
        let profile = try Fixtures.profile(#"""
            {"service_name": "a", "proxy_settings": {"outgoing": {"dependencies": [
              {"service": "*", "timeoutPolicy": {"requestTimeout": "7s"}}, {"service": "b", "timeoutPolicy": {"idleTimeout": "9s"}}]}}}
            """#, properties: properties)
        let resolved = profile.outgoing.resolve(among: ["b", "c"])
        #expect(resolved.map(\.settings.timeoutPolicy.requestTimeout) == [.seconds(7), .seconds(7)])
        #expect(resolved.map(\.settings.timeoutPolicy.idleTimeout) == [.seconds(9), .seconds(120)])
        #expect(throws: NodeMetadataError.self) {
            try Fixtures.profile(#"{"service_name": "z", "proxy_settings": {"outgoing": {"dependencies": [{"service": "*"}]}}}"#)
        }
    }

    @Test("path normalization: envoy-control's defaults, then path_normalization, then the incoming policy; bad actions refused")
    func pathNormalization() throws {
        #expect(try Fixtures.profile(#"{"service_name": "a"}"#).pathNormalization == PathNormalization())
        let node = try Fixtures.profile(#"""
            {"service_name": "a", "path_normalization": {"enabled": false, "merge_slashes": false, "path_with_escaped_slashes_action": "reject_request"},
             "proxy_settings": {"incoming": {"pathNormalizationPolicy": {"mergeSlashes": true}}}}
            """#)
        #expect(!node.pathNormalization.enabled && node.pathNormalization.mergeSlashes)
        #expect(node.pathNormalization.pathWithEscapedSlashesAction == .rejectRequest)
        let error = #expect(throws: NodeMetadataError.self) {
            try Fixtures.profile(#"{"service_name": "a", "path_normalization": {"path_with_escaped_slashes_action": "SOMETIMES"}}"#)
        }
        #expect(error?.field == "metadata.path_normalization.path_with_escaped_slashes_action")
    }

    @Test("defaultDependencies: every Envoy also gets them; its own declaration of the same name wins")
    func defaultDependencies() throws {
        var properties = Fixtures.strict
        properties.defaultDependencies = .init(services: ["logging", "backend"], domains: ["https://metrics.example.com"])
        let profile = try Fixtures.profile(#"""
            {"service_name": "a", "proxy_settings": {"outgoing": {"dependencies": [{"service": "backend", "timeoutPolicy": {"requestTimeout": "1s"}}]}}}
            """#, properties: properties)
        #expect(profile.outgoing.services.map(\.service) == ["backend", "logging"])
        #expect(profile.outgoing.services.first?.settings.timeoutPolicy.requestTimeout == .seconds(1))
        #expect(profile.outgoing.domains.map(\.clusterName) == ["metrics_example_com_443"])
    }

    @Test("keys accepted but not acted on are reported, not refused")
    func unsupportedKeys() throws {
        let parsed = try NodeMetadataParser.read(metadata: Fixtures.metadata(#"""
            {"service_name": "a", "compression": {"gzip": {"enabled": true}}, "has_static_secrets_defined": true,
             "proxy_settings": {"incoming": {"endpoints": [{"path": "/x", "clients": ["b"]}],
                                             "rateLimitEndpoints": [{"path": "/y", "rateLimit": "10/s"}]},
               "outgoing": {"dependencies": [{"domainPattern": "*.example.com"},
                 {"service": "b", "retryPolicy": {"retryHostPredicate": [{"name": "OMIT_CANARY_HOST"}, {"name": "x"}]}}]},
               "customData": {"team": "x"}}, "use_transparent_proxy": true}
            """#), properties: Fixtures.strict)
        #expect(parsed.unsupported == ["use_transparent_proxy", "proxy_settings.outgoing.dependencies[].retryPolicy.retryHostPredicate: x"])
        #expect(parsed.profile.outgoing.services.first?.settings.retryPolicy?.retryHostPredicates == [RetryHostPredicateName.omitCanaryHosts])
        #expect(parsed.profile.outgoing.domainPatterns == ["*.example.com"])
    }

    @Test("server switches: a communication mode turned off is refused; the all-services identifier and the prefixes it leaves out")
    func serverSwitches() throws {
        var properties = Fixtures.strict
        properties.enabledCommunicationModes.ads = false
        #expect(throws: NodeMetadataError.self) { try Fixtures.profile(#"{"service_name": "a", "ads": true}"#, properties: properties) }
        #expect(try Fixtures.profile(#"{"service_name": "a"}"#, properties: properties).communicationMode == .xds)

        var all = Fixtures.strict
        all.outgoingPermissions.servicesAllowedToUseWildcard = ["a"]
        all.outgoingPermissions.allServicesDependencies = .init(identifier: "all", notIncludedByPrefix: ["internal-"])
        let profile = try Fixtures.profile(#"""
            {"service_name": "a", "proxy_settings": {"outgoing": {"dependencies": [{"service": "all"}, {"service": "internal-named"}]}}}
            """#, properties: all)
        #expect(profile.outgoing.resolve(among: ["b", "internal-hidden", "internal-named"]).map(\.service) == ["b", "internal-named"],
                "every service but the excluded prefixes; a named dependency still counts")
        #expect(throws: NodeMetadataError.self, "'*' is no longer the identifier: it is not a service name") {
            try Fixtures.profile(#"{"service_name": "a", "proxy_settings": {"outgoing": {"dependencies": [{"service": "*"}]}}}"#, properties: all)
        }

        var strict = Fixtures.strict
        strict.requireServiceName = true
        #expect(throws: NodeMetadataError.self) { try NodeMetadataParser.parse(metadata: Fixtures.metadata("{}"), properties: strict) }
        #expect(try NodeMetadataParser.parse(metadata: Fixtures.metadata("{}"), nodeCluster: "echo", properties: strict).serviceName == "echo")
        var noListeners = Fixtures.strict
        noListeners.dynamicListeners.enabled = false
        let listenerKeys = #"{"service_name": "a", "ingress_host": "0.0.0.0", "ingress_port": 5001, "egress_host": "0.0.0.0", "egress_port": 5000}"#
        #expect(try Fixtures.profile(listenerKeys, properties: noListeners).listeners == nil)
        #expect(try Fixtures.profile(listenerKeys).listeners != nil)
    }

    @Test("the node's Envoy release decides the features older Envoys would refuse: ignore_http_11_upgrade (1.34), JWT failure status (1.26)")
    func envoyVersionFeatures() throws {
        let metadata = try Fixtures.metadata(#"{"service_name": "a", "ingress_host": "0.0.0.0", "ingress_port": 5001, "egress_host": "0.0.0.0", "egress_port": 5000}"#)
        func listeners(_ version: EnvoyVersion?) throws -> ListenersConfig? {
            try NodeMetadataParser.parse(metadata: metadata, envoyVersion: version, properties: Fixtures.strict).listeners
        }
        #expect(try listeners(.init(major: 1, minor: 34)).map { ($0.ignoreHttp11Upgrades, $0.jwtFailureStatus) } ?? (false, false) == (true, true))
        #expect(try listeners(.init(major: 1, minor: 26)).map { ($0.ignoreHttp11Upgrades, $0.jwtFailureStatus) } ?? (true, false) == (false, true))
        #expect(try listeners(nil).map { ($0.ignoreHttp11Upgrades, $0.jwtFailureStatus) } ?? (true, true) == (false, false))
        var node = Envoy_Config_Core_V3_Node()
        node.userAgentBuildVersion.version.majorNumber = 1
        node.userAgentBuildVersion.version.minorNumber = 35
        #expect(EnvoyVersion(node) == .init(major: 1, minor: 35))
        #expect(EnvoyVersion(Envoy_Config_Core_V3_Node()) == nil)
    }

    @Test("egress.handleInternalRedirect is the default of dependencies that do not set handleInternalRedirect")
    func internalRedirectDefault() throws {
        var properties = Fixtures.strict
        properties.egress.handleInternalRedirect = true
        let profile = try Fixtures.profile(#"""
            {"service_name": "a", "proxy_settings": {"outgoing": {"dependencies": [
              {"service": "b"}, {"service": "c", "handleInternalRedirect": false}, {"domain": "https://example.com"}]}}}
            """#, properties: properties)
        #expect(profile.outgoing.services.map(\.settings.handleInternalRedirect) == [true, false])
        #expect(profile.outgoing.domains.map(\.settings.handleInternalRedirect) == [true])
        #expect(try Fixtures.profile(#"{"service_name": "a", "proxy_settings": {"outgoing": {"dependencies": [{"service": "b"}]}}}"#)
            .outgoing.services.first?.settings.handleInternalRedirect == false, "envoy-control's default: off")
    }

    @Test("compression: gzip and brotli from metadata over the server's defaults; qualities out of range refused")
    func compression() throws {
        var properties = Fixtures.strict
        properties.compression.brotli = .init(enabled: true, quality: 5, chooseFirst: true)
        let profile = try Fixtures.profile(#"{"service_name": "a", "compression": {"gzip": {"enabled": true, "quality": 9}}}"#, properties: properties)
        #expect(profile.compression.gzip == .init(enabled: true, quality: 9))
        #expect(profile.compression.brotli == .init(enabled: true, quality: 5), "the server's default where metadata says nothing")
        #expect(try Fixtures.profile(#"{"service_name": "a"}"#).compression == CompressionSettings(), "envoy-control's defaults: off")
        #expect(throws: NodeMetadataError.self) {
            try Fixtures.profile(#"{"service_name": "a", "compression": {"brotli": {"quality": 12}}}"#)
        }
    }

    @Test("node.cluster is the service name when metadata has none; static-listener bootstraps get no listeners")
    func clusterFallback() throws {
        let profile = try NodeMetadataParser.parse(metadata: Fixtures.metadata("{}"), nodeCluster: "echo")
        #expect(profile.serviceName == "echo")
        #expect(profile.listeners == nil)
    }

    @Test(
        "malformed metadata names the field",
        arguments: [
            (#"{"service_name": 5}"#, "metadata.service_name"),
            (#"{"service_name": "a b"}"#, "metadata.service_name"),
            (#"{"service_name": "a", "egress_port": 70000}"#, "metadata.egress_port"),
            (#"{"service_name": "a", "egress_port": "x"}"#, "metadata.egress_port"),
            (#"{"service_name": "a", "ads": "maybe"}"#, "metadata.ads"),
            (#"{"service_name": "a", "access_log_filter": {"status_code_filter": "GT:500"}}"#, "metadata.access_log_filter.status_code_filter"),
            (#"{"service_name": "a", "proxy_settings": {"outgoing": {"dependencies": {"service": "b"}}}}"#,
             "metadata.proxy_settings.outgoing.dependencies"),
            (#"{"service_name": "a", "proxy_settings": {"outgoing": {"dependencies": [{"service": "b c"}]}}}"#,
             "metadata.proxy_settings.outgoing.dependencies[0].service"),
            (#"{"service_name": "a", "proxy_settings": {"outgoing": {"dependencies": [{"timeoutPolicy": {}}]}}}"#,
             "metadata.proxy_settings.outgoing.dependencies[0]"),
            (#"{"service_name": "a", "proxy_settings": {"outgoing": {"dependencies": [{"service": "b", "domain": "http://c"}]}}}"#,
             "metadata.proxy_settings.outgoing.dependencies[0]"),
            (#"{"service_name": "a", "proxy_settings": {"outgoing": {"dependencies": [{"domainPattern": "https://x.com"}]}}}"#,
             "metadata.proxy_settings.outgoing.dependencies[0].domainPattern"),
            (#"{"service_name": "a", "proxy_settings": {"outgoing": {"dependencies": [{"service": "b", "timeoutPolicy": {"requestTimeout": "soon"}}]}}}"#,
             "metadata.proxy_settings.outgoing.dependencies[0].timeoutPolicy.requestTimeout"),
            (#"{"service_name": "a", "proxy_settings": {"outgoing": {"dependencies": [{"service": "b", "retryPolicy": {"numberRetries": "two"}}]}}}"#,
             "metadata.proxy_settings.outgoing.dependencies[0].retryPolicy.numberRetries"),
            (#"{"service_name": "a", "proxy_settings": {"outgoing": {"dependencies": [{"service": "b", "retryPolicy": {"retryHostPredicate": [{"name": 3}]}}]}}}"#,
             "metadata.proxy_settings.outgoing.dependencies[0].retryPolicy.retryHostPredicate[0].name"),
        ])
    func namesTheField(json: String, field: String) throws {
        let error = #expect(throws: NodeMetadataError.self) { try Fixtures.profile(json) }
        #expect(error?.field == field)
    }

    @Test("Envoys whose metadata means the same share a group, whatever their node and key order; any difference splits")
    func groupIdentity() throws {
        let first = try NodeMetadataParser.parse(metadata: Fixtures.metadata("""
            {"service_name": "client", "ads": true, "proxy_settings": {"outgoing": {"dependencies": [{"service": "backend"}, {"service": "other"}]}}}
            """), nodeCluster: "client-a", properties: Fixtures.strict)
        let second = try NodeMetadataParser.parse(metadata: Fixtures.metadata("""
            {"proxy_settings": {"outgoing": {"dependencies": [{"service": "other"}, {"service": "backend"}]}}, "ads": true, "service_name": "client"}
            """), nodeCluster: "client-b", properties: Fixtures.strict)
        #expect(first == second && first.groupId == second.groupId)
        for different in [
            #"{"service_name": "client", "proxy_settings": {"outgoing": {"dependencies": [{"service": "backend"}, {"service": "other"}]}}}"#,
            #"{"service_name": "client2", "ads": true, "proxy_settings": {"outgoing": {"dependencies": [{"service": "backend"}, {"service": "other"}]}}}"#,
            #"{"service_name": "client", "ads": true, "proxy_settings": {"outgoing": {"dependencies": [{"service": "backend"}]}}}"#,
            #"{"service_name": "client", "ads": true, "proxy_settings": {"outgoing": {"dependencies": [{"service": "backend", "timeoutPolicy": {"requestTimeout": "1s"}}, {"service": "other"}]}}}"#,
        ] {
            let profile = try NodeMetadataParser.parse(metadata: Fixtures.metadata(different), properties: Fixtures.strict)
            #expect(profile.groupId != first.groupId, "\(different)")
        }
    }
}
