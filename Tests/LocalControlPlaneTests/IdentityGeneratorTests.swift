import EnvoyAPI
import Foundation
import SwiftProtobuf
import Testing

@testable import LocalControlPlane
@testable import Shared

@Suite("Identity generators: sidecar mTLS, caller principals, source-IP authentication, rate limits (golden JSON in Golden/)")
struct IdentityGeneratorTests {
    static let server = """
        {"service_name": "server", "ads": true, "ingress_host": "127.0.0.1", "ingress_port": 5001, "egress_host": "127.0.0.1",
         "egress_port": 5000, "has_static_secrets_defined": %@,
         "proxy_settings": {"incoming": {"endpoints": [
            {"path": "/a", "clients": ["client"]}, {"path": "/batch", "clients": ["batch"]}, {"path": "/office", "clients": ["office"]},
            {"path": "/any", "clients": ["*"]}]}}}
        """

    static let properties: SnapshotProperties = {
        var properties = Fixtures.strict
        properties.incomingPermissions.tlsAuthentication.servicesAllowedToUseWildcard = ["server"]
        properties.incomingPermissions.sourceIpAuthentication.enabledForIncomingServices = ["batch"]
        properties.incomingPermissions.sourceIpAuthentication.ipFromRange = ["office": [CIDRRange("10.8.0.0/16")!]]
        return properties
    }()

    static func profile(staticSecrets: Bool, properties: SnapshotProperties = properties) throws -> ProxyProfile {
        try Fixtures.profile(server.replacingOccurrences(of: "%@", with: "\(staticSecrets)"), properties: properties)
    }

    @Test("with static secrets: a TLS chain (inspector, server_cert, validation_context) beside the plaintext one; RBAC by SAN, source IP, ranges")
    func listeners() throws {
        let profile = try Self.profile(staticSecrets: true)
        #expect(profile.mutualTLS)
        try Golden.check(
            ListenerGenerator.listeners(for: profile, properties: Self.properties, sourceAddresses: ["batch": ["10.0.0.7", "10.0.0.8"]]),
            named: "listeners-mtls")
        let plain = ListenerGenerator.listeners(for: try Self.profile(staticSecrets: false), properties: Self.properties)
        #expect(plain.first?.filterChains.count == 1 && plain.first?.listenerFilters.isEmpty == true, "no certificate, no TLS chain")
    }

    @Test("clusters with a certificate: TLS to instances tagged mtls:enabled, checking spiffe://<service>; plaintext to the rest")
    func clustersAndEndpoints() throws {
        let tls = Self.properties.incomingPermissions.tlsAuthentication
        let instances = [Fixtures.instance("10.0.0.1", 80, tags: ["mtls:enabled"]), Fixtures.instance("10.0.0.2", 80)]
        let assignment = EndpointGenerator.loadAssignment(name: "backend", local: instances, remote: nil, datacenter: "dc1", tls: tls)
        #expect(assignment.endpoints[0].lbEndpoints.map { $0.metadata.filterMetadata["envoy.transport_socket_match"] != nil } == [true, false])
        try Golden.check(
            [ClusterGenerator.serviceCluster("backend", certificate: .bootstrap, properties: Self.properties), assignment], named: "clusters-mtls")
        var everyone = tls
        everyone.mtlsEnabledForAllServices = true
        let all = EndpointGenerator.loadAssignment(name: "backend", local: instances, remote: nil, datacenter: "dc1", tls: everyone)
        #expect(all.endpoints[0].lbEndpoints.allSatisfy { $0.metadata.filterMetadata["envoy.transport_socket_match"] != nil })
    }

    @Test("a caller's principals follow trustServiceNameHeader: envoy-control's original-destination rule, always, never")
    func headerTrust() throws {
        var properties = SnapshotProperties.IncomingPermissionsProperties()
        let certificate = "spiffe://client"
        func described(_ trust: SnapshotProperties.ServiceNameHeaderTrust) -> [String] {
            properties.trustServiceNameHeader = trust
            return CallerIdentity(properties).principals("client").map { principal in
                switch principal.identifier {
                case .authenticated(let authenticated): "san=\(authenticated.principalName.exact)"
                case .header(let header): "\(header.name)=\(header.stringMatch.exact)"
                case .andIds(let set): set.ids.map { "\($0.header.name)=\($0.header.stringMatch.exact)" }.joined(separator: "&")
                default: "other"
                }
            }
        }
        #expect(described(.originalDestination) == ["san=\(certificate)", ":authority=envoy-original-destination&x-service-name=client"])
        #expect(described(.always) == ["san=\(certificate)", "x-service-name=client"])
        #expect(described(.never) == ["san=\(certificate)"])
        properties.tlsAuthentication.sanUriFormat = "spiffe://mesh.example/ns/default/sa/{service-name}"
        #expect(properties.tlsAuthentication.sanURI(of: "client") == "spiffe://mesh.example/ns/default/sa/client")
        #expect(properties.tlsAuthentication.anyServiceSanPattern == #"spiffe://mesh\.example/ns/default/sa/.+"#)
    }

    @Test("client lists: a custom list stands for its clients, the default list joins endpoints naming none, full-access clients join all")
    func clientLists() {
        var properties = SnapshotProperties.IncomingPermissionsProperties()
        properties.clientsLists.defaultClientsList = ["auditor"]
        properties.clientsLists.customClientsLists = ["team-payments": ["billing", "checkout"]]
        properties.clientsAllowedToAllEndpoints = ["monitoring"]
        let identity = CallerIdentity(properties)
        #expect(identity.admitted(["client"]) == ["auditor", "client", "monitoring"])
        #expect(identity.admitted(["team-payments", "client"]) == ["billing", "checkout", "client", "monitoring"])
        #expect(CallerIdentity(.init()).admitted(["b", "a", "b"]) == ["a", "b"])
    }

    @Test("source IP: a service's instances' IP addresses only (host names skipped); no instance means nobody")
    func sourceAddresses() throws {
        let generator = SnapshotGenerator(datacenter: "dc1", properties: Self.properties)
        let batch = CatalogService(name: "batch", instances: [
            Fixtures.instance("10.0.0.8", 80), Fixtures.instance("10.0.0.7", 81), Fixtures.instance("10.0.0.7", 82),
            Fixtures.instance("batch.internal", 80), Fixtures.instance("fd00::7", 80),
        ])
        let resources = try #require(generator.serviceResources("batch", local: batch, remote: nil, variants: []))
        #expect(resources.sourceAddresses == ["10.0.0.7", "10.0.0.8", "fd00::7"])
        let other = try #require(generator.serviceResources("client", local: batch, remote: nil, variants: []))
        #expect(other.sourceAddresses.isEmpty, "only services authenticated by source IP keep their addresses")
        let identity = CallerIdentity(Self.properties.incomingPermissions, sourceAddresses: ["batch": ["fd00::7"]])
        #expect(identity.principals("batch").map(\.directRemoteIp.prefixLen.value) == [128])
        #expect(CallerIdentity(Self.properties.incomingPermissions).principals("batch").isEmpty)
    }

    @Test("the cache rebuilds a group whose RBAC names a source-IP service when that service's instances change, and only then")
    func cacheFollowsSourceAddresses() async throws {
        let cache = SnapshotCache(datacenter: "dc1", properties: Self.properties)
        let profile = try Self.profile(staticSecrets: false)
        let mailbox = SnapshotMailbox(wake: {})
        _ = await cache.watch(profile, into: mailbox)
        await cache.apply(Fixtures.catalog(["batch": [Fixtures.instance("10.0.0.5", 80)], "unrelated": [Fixtures.instance("10.0.0.9", 80)]]))
        let first = try #require(await cache.snapshot(for: profile))
        await cache.apply(Fixtures.catalog(["batch": [Fixtures.instance("10.0.0.5", 80)], "unrelated": [Fixtures.instance("10.0.0.10", 80)]]))
        #expect(await cache.snapshot(for: profile)?.version(.listener) == first.version(.listener), "unrelated change")
        await cache.apply(Fixtures.catalog(["batch": [Fixtures.instance("10.0.0.6", 80)], "unrelated": [Fixtures.instance("10.0.0.10", 80)]]))
        let moved = try #require(await cache.snapshot(for: profile))
        #expect(moved.version(.listener) != first.version(.listener), "batch moved: the RBAC changed")
        #expect(SnapshotJSON.render(moved, group: profile.groupId).contains("10.0.0.6"))
    }

    @Test("cluster forms are built only for the kinds of Envoy connected: no mTLS or separate-xDS cluster until one needs it")
    func clusterVariants() async throws {
        let cache = SnapshotCache(datacenter: "dc1", properties: Self.properties)
        await cache.apply(Fixtures.catalog(["backend": [Fixtures.instance("10.0.0.1", 80)]]))
        let plain = try Fixtures.profile(Fixtures.clientMetadata, properties: Self.properties)
        let plainCluster = try #require(await cache.snapshot(for: plain)?.resources(.cluster).first)
        let secured = try Fixtures.profile(
            Fixtures.clientMetadata.replacingOccurrences(of: "\"ads\": true", with: "\"ads\": true, \"has_static_secrets_defined\": true"),
            properties: Self.properties)
        let securedCluster = try #require(await cache.snapshot(for: secured)?.resources(.cluster).first)
        #expect(plainCluster.name == "backend" && securedCluster.name == "backend")
        let decoded = try Envoy_Config_Cluster_V3_Cluster(serializedBytes: securedCluster.any.value)
        #expect(decoded.transportSocketMatches.map(\.name) == ["mtls_match", "plaintext_match"])
        #expect(try Envoy_Config_Cluster_V3_Cluster(serializedBytes: plainCluster.any.value).transportSocketMatches.isEmpty)
    }

    @Test("rate limits: a route per endpoint and client with its token bucket before the catch-all, the filter after RBAC; 0 answers 429")
    func rateLimits() throws {
        let profile = try Fixtures.profile("""
            {"service_name": "server", "ingress_host": "127.0.0.1", "ingress_port": 5001, "egress_host": "127.0.0.1", "egress_port": 5000,
             "proxy_settings": {"incoming": {"endpoints": [{"pathPrefix": "/", "clients": ["client"]}], "rateLimitEndpoints": [
                {"path": "/a", "methods": ["GET", "POST"], "rateLimit": "10/s"},
                {"pathPrefix": "/b/", "clients": ["client", "batch"], "rateLimit": "100/m"},
                {"pathRegex": "/c/[0-9]+", "clients": ["*"], "rateLimit": "0/h"}]}}}
            """, properties: Self.properties)
        #expect(profile.incoming.rateLimits.map(\.limit) == [
            RateLimit(requests: 10, interval: .seconds(1)), RateLimit(requests: 100, interval: .seconds(60)), RateLimit(requests: 0, interval: .seconds(3600)),
        ])
        #expect(profile.incoming.rateLimits[2].clients.isEmpty, "'*' is everyone together")
        let routes = IngressRoutes.configuration(profile, Self.properties)
        #expect(routes.virtualHosts[0].routes.count == 5, "a, b for client, b for batch, c, catch-all")
        try Golden.check([routes], named: "routes-rate-limit")
        let listener = try #require(ListenerGenerator.listeners(for: profile, properties: Self.properties).first)
        let manager = try Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager(
            unpackingAny: listener.filterChains[0].filters[0].typedConfig)
        #expect(manager.httpFilters.map(\.name) == ["envoy.filters.http.rbac", "envoy.filters.http.local_ratelimit", "envoy.filters.http.router"])
        #expect(RateLimit("10/d") == nil && RateLimit("01/s") == nil && RateLimit("5/m") == RateLimit(requests: 5, interval: .seconds(60)))
    }

    @Test("oauth: the JWT filter before RBAC with the providers named, a rule per path and methods by policy, the JWKS cluster; unknown providers refused")
    func oauth() throws {
        var properties = Self.properties
        var provider = SnapshotProperties.OAuthProvider()
        provider.jwksUri = "https://auth.example.com/.well-known/jwks.json"
        provider.createCluster = true
        provider.clusterName = "auth-jwks"
        provider.issuer = "https://auth.example.com"
        properties.jwt.providers = ["auth": provider, "unused": provider]
        let metadata = """
            {"service_name": "server", "ingress_host": "127.0.0.1", "ingress_port": 5001, "egress_host": "127.0.0.1", "egress_port": 5000,
             "proxy_settings": {"incoming": {"endpoints": [
                {"paths": ["/a", "/b"], "methods": ["GET"], "clients": ["client"], "oauth": {"provider": "%@"}},
                {"pathPrefix": "/optional/", "clients": ["client"], "oauth": {"provider": "auth", "policy": "allowMissing"}},
                {"path": "/open", "clients": ["client"]}]}}}
            """
        let profile = try Fixtures.profile(metadata.replacingOccurrences(of: "%@", with: "auth"), properties: properties)
        #expect(profile.incoming.oauthEndpoints.map(\.oauth?.policy) == [.strict, .allowMissing])
        let listener = try #require(ListenerGenerator.listeners(for: profile, properties: properties).first)
        let manager = try Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager(
            unpackingAny: listener.filterChains[0].filters[0].typedConfig)
        #expect(manager.httpFilters.map(\.name) == ["envoy.filters.http.jwt_authn", "envoy.filters.http.rbac", "envoy.filters.http.router"])
        let clusters = JwtGenerator.clusters(profile.incoming.oauthEndpoints, properties)
        try Golden.check(
            ListenerGenerator.listeners(for: profile, properties: properties).map { $0 as any SwiftProtobuf.Message } + clusters, named: "listeners-jwt")
        #expect(clusters.map(\.name) == ["auth-jwks"], "only the providers this Envoy's endpoints name")

        var off = properties
        off.incomingPermissions.enabled = false
        let unenforced = try Fixtures.profile(metadata.replacingOccurrences(of: "%@", with: "auth"), properties: off)
        #expect(unenforced.incoming.permissions == nil && unenforced.incoming.oauthEndpoints.count == 2,
                "permissions off: no RBAC, but an endpoint with oauth still requires its token")
        #expect(throws: NodeMetadataError.self, "a provider the server does not know would leave the endpoint open") {
            try Fixtures.profile(metadata.replacingOccurrences(of: "%@", with: "nobody"), properties: properties)
        }
    }

    @Test("client selectors: a token field for matchings clients (JWT filter verifies, RBAC matches), a header for source-IP clients; ! negates")
    func selectors() throws {
        var properties = Self.properties
        var provider = SnapshotProperties.OAuthProvider()
        provider.jwksUri = "https://auth.example.com/jwks.json"
        provider.clusterName = "auth-jwks"
        provider.matchings = ["oauth-prefix": "authorities"]
        properties.jwt.providers = ["auth": provider]
        properties.incomingPermissions.selectorMatching = ["office": .init(header: "x-team")]
        let metadata = """
            {"service_name": "server", "ingress_host": "127.0.0.1", "ingress_port": 5001, "egress_host": "127.0.0.1", "egress_port": 5000,
             "proxy_settings": {"incoming": {"roles": [{"name": "teams", "clients": ["oauth-prefix:team1"]}], "endpoints": [
                {"path": "/team", "clients": ["teams"]},
                {"path": "/office", "clients": ["office:blue", "client:ignored"]},
                {"path": "/not", "clients": ["client", "oauth-prefix:!team2", "office:!red"]}]}}}
            """
        let profile = try Fixtures.profile(metadata, properties: properties)
        #expect(profile.incoming.oauthEndpoints.map(\.selectorProviders) == [["auth"], ["auth"]], "/team (by role) and /not")
        #expect(profile.incoming.oauthEndpoints.allSatisfy { $0.oauth == nil })
        let identity = CallerIdentity(properties.incomingPermissions, jwt: properties.jwt)
        let permissions = try #require(profile.incoming.permissions)

        let team = identity.principal(of: permissions.entries("teams"))
        #expect(team.orIds.ids.count == 1)
        let token = team.orIds.ids[0].metadata
        #expect(token.filter == "envoy.filters.http.jwt_authn" && token.path.map(\.key) == ["jwt", "authorities"])
        #expect(token.value.listMatch.oneOf.stringMatch.exact == "team1" && !token.invert)

        let office = identity.principal(of: ["office:blue", "client:ignored"])
        let range = office.orIds.ids[0].andIds.ids
        #expect(range.count == 2 && range[0].orIds.ids.first?.directRemoteIp.addressPrefix == "10.8.0.0")
        #expect(range[1].header.name == "x-team" && range[1].header.stringMatch.exact == "blue" && !range[1].header.invertMatch)
        #expect(Array(office.orIds.ids.dropFirst()) == identity.principals("client"),
                "a selector on a plain client means nothing: it is matched by name")

        let negated = identity.principal(of: ["client", "oauth-prefix:!team2", "office:!red"])
        #expect(negated.orIds.ids.count == 2, "client's two alternatives (certificate, header)")
        for alternative in negated.orIds.ids {
            let excluded = alternative.andIds.ids[1].andIds.ids
            #expect(excluded.count == 2 && excluded[0].metadata.invert && excluded[1].andIds.ids[1].header.invertMatch,
                    "every alternative also needs: token without team2, x-team not red")
        }
        let alone = identity.principal(of: ["oauth-prefix:!team2", "oauth-prefix:!team3"])
        #expect(alone.orIds.ids.count == 2 && alone.orIds.ids.allSatisfy { $0.metadata.invert }, "negations alone: any of them admits")

        let listener = try #require(ListenerGenerator.listeners(for: profile, properties: properties).first)
        try Golden.check([listener], named: "listeners-selectors")
    }

    @Test("settings: envoy-control's keys and defaults; a SAN format without {service-name}, a bad range or trust value is refused")
    func settings() throws {
        let defaults = SnapshotProperties.TlsAuthenticationProperties()
        #expect(defaults.sanUriFormat == "spiffe://{service-name}" && defaults.mtlsEnabledTag == "mtls:enabled")
        #expect(defaults.tlsCertificateSecretName == "server_cert" && defaults.validationContextSecretName == "validation_context")
        #expect(SnapshotProperties.IncomingPermissionsProperties().trustServiceNameHeader == .originalDestination)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("identity-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        try """
            datacenter: dc1
            snapshot:
              incomingPermissions:
                trustServiceNameHeader: NEVER
                tlsAuthentication: { requireClientCertificate: true, protocol: { minimumVersion: TLSv1_3, maximumVersion: tlsv1_3 } }
                sourceIpAuthentication: { ipFromServiceDiscovery: { enabledForIncomingServices: [batch] }, ipFromRange: { office: [10.0.0.0/8] } }
            """.write(to: file, atomically: true, encoding: .utf8)
        let incoming = try LocalControlPlaneOptions.parse(["--config", file.path]).configuration().validated().snapshot.incomingPermissions
        #expect(incoming.trustServiceNameHeader == .never && incoming.tlsAuthentication.requireClientCertificate)
        #expect(incoming.tlsAuthentication.tlsProtocol.maximumVersion == .tls13)
        #expect(incoming.sourceIpAuthentication.enabledForIncomingServices == ["batch"])
        #expect(incoming.sourceIpAuthentication.ipFromRange["office"] == [CIDRRange("10.0.0.0/8")!])
        for (yaml, message) in [
            ("tlsAuthentication: { sanUriFormat: spiffe://fixed }", "must contain {service-name} exactly once"),
            ("sourceIpAuthentication: { ipFromRange: { office: [10.0.0.0/33] } }", "'10.0.0.0/33' is not an address range"),
            ("trustServiceNameHeader: sometimes", "'sometimes' is not one of originalDestination, always, never"),
        ] {
            let problems = LocalControlPlaneConfig.check(yaml: "datacenter: dc1\nsnapshot:\n  incomingPermissions:\n    \(yaml)\n").problems
            #expect(problems.contains { $0.contains(message) }, "\(yaml): \(problems)")
        }
    }
}
