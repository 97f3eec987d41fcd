import Crypto
import EnvoyAPI
import Foundation
import SwiftProtobuf
import Testing
import X509

@testable import LocalControlPlane
@testable import Shared

@Suite("Sidecar certificates: the control plane's CA, SDS secrets, renewal, who may receive a key")
struct SidecarCertificateTests {
    /// A self-signed P-256 CA made in memory, as an operator's `caCert`/`caKey` files would hold it.
    static func makeCA(name: String = "mesh CA", isAuthority: Bool = true) throws -> (certificate: String, key: String) {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName(name) }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: Date().addingTimeInterval(-60), notValidAfter: Date().addingTimeInterval(86_400),
            issuer: subject, subject: subject,
            extensions: try Certificate.Extensions {
                Critical(isAuthority ? BasicConstraints.isCertificateAuthority(maxPathLength: nil) : .notCertificateAuthority)
            },
            issuerPrivateKey: .init(key))
        return (try certificate.serializeAsPEM().pemString, key.pemRepresentation)
    }

    static func issuer(validity: Duration = .seconds(100)) throws -> SidecarCertificateIssuer {
        let ca = try makeCA()
        var settings = SidecarCertificateSettings()
        settings.validity = validity
        return SidecarCertificateIssuer(
            settings: settings, authority: try SidecarCertificateAuthority(certificatePEM: ca.certificate, privateKeyPEM: ca.key))
    }

    static let metadata = """
        {"service_name": "%@", "ads": true, "ingress_host": "127.0.0.1", "ingress_port": 5001, "egress_host": "127.0.0.1",
         "egress_port": 5000, "proxy_settings": {"outgoing": {"dependencies": [{"service": "backend"}]}}}
        """

    static func profile(_ service: String, issued: Bool = true) throws -> ProxyProfile {
        var profile = try Fixtures.profile(metadata.replacingOccurrences(of: "%@", with: service))
        profile.issuedCertificate = issued
        return profile
    }

    static func secret(_ snapshot: Snapshot, _ name: String) throws -> Envoy_Extensions_TransportSockets_Tls_V3_Secret {
        try Envoy_Extensions_TransportSockets_Tls_V3_Secret(serializedBytes: try #require(snapshot.resources[.secret]?[name]).any.value)
    }

    @Test("an issued certificate names the service by URI SAN, is signed by the CA, holds for the validity, and goes with its key")
    func issue() throws {
        let ca = try Self.makeCA()
        let authority = try SidecarCertificateAuthority(certificatePEM: ca.certificate, privateKeyPEM: ca.key)
        let now = Date()
        let issued = try authority.issue(commonName: "backend", uri: "spiffe://backend", validity: .seconds(3600), now: now)
        let leaf = try Certificate(pemEncoded: issued.certificatePEM)
        let caCertificate = try Certificate(pemEncoded: ca.certificate)
        #expect(try leaf.extensions.subjectAlternativeNames == SubjectAlternativeNames([.uniformResourceIdentifier("spiffe://backend")]))
        #expect(leaf.issuer == caCertificate.subject)
        #expect(caCertificate.publicKey.isValidSignature(leaf.signature, for: leaf), "signed by the CA's key")
        #expect(abs(leaf.notValidAfter.timeIntervalSince(now) - 3600) < 2)
        #expect(try leaf.extensions.basicConstraints == .notCertificateAuthority)
        #expect(try Certificate.PrivateKey(pemEncoded: issued.privateKeyPEM).publicKey == leaf.publicKey)
        let again = try authority.issue(commonName: "backend", uri: "spiffe://backend", validity: .seconds(3600), now: now)
        #expect(again.serialNumber != issued.serialNumber && again.privateKeyPEM != issued.privateKeyPEM, "a fresh key every time")
    }

    @Test("a CA that is not one, or a key of another certificate, is refused with the key's name")
    func badAuthority() throws {
        let ca = try Self.makeCA()
        let other = try Self.makeCA(name: "other")
        let leafOnly = try Self.makeCA(name: "leaf", isAuthority: false)
        for (certificate, key, problem) in [
            (ca.certificate, other.key, "caKey: is not the key"), (leafOnly.certificate, leafOnly.key, "is not a CA"),
            ("garbage", ca.key, "caCert: holds no certificate"), (ca.certificate, "garbage", "caKey: not a PEM private key"),
        ] {
            #expect(throws: ConfigError.self) { try SidecarCertificateAuthority(certificatePEM: certificate, privateKeyPEM: key) }
            do {
                _ = try SidecarCertificateAuthority(certificatePEM: certificate, privateKeyPEM: key)
            } catch {
                #expect(error.problems.joined().contains(problem), "\(error.problems)")
            }
        }
    }

    /// The TLS socket inside envoy-control's tap wrapper (`tcpDumpsEnabled`, on by default).
    static func untapped(_ socket: Envoy_Config_Core_V3_TransportSocket) throws -> Google_Protobuf_Any {
        #expect(socket.name == "envoy.transport_sockets.tap")
        return try Envoy_Extensions_TransportSockets_Tap_V3_Tap(unpackingAny: socket.typedConfig).transportSocket.typedConfig
    }

    @Test("an Envoy with an issued certificate gets server_cert and validation_context over SDS; its TLS contexts point at ADS")
    func secretsInSnapshot() async throws {
        let issuer = try Self.issuer()
        let cache = SnapshotCache(datacenter: "dc1", properties: Fixtures.strict, sidecarCertificates: issuer)
        await cache.apply(Fixtures.catalog(["backend": [Fixtures.instance("10.0.0.1", 80, tags: ["mtls:enabled"])]]))
        let snapshot = try #require(await cache.snapshot(for: try Self.profile("client")))
        #expect(Set(snapshot.resources[.secret]?.keys ?? [:].keys) == ["server_cert", "validation_context"])
        let certificate = try Self.secret(snapshot, "server_cert")
        let leaf = try Certificate(pemEncoded: certificate.tlsCertificate.certificateChain.inlineString)
        #expect(try leaf.extensions.subjectAlternativeNames == SubjectAlternativeNames([.uniformResourceIdentifier("spiffe://client")]))
        #expect(try Self.secret(snapshot, "validation_context").validationContext.trustedCa.inlineString == issuer.authority.trustBundlePEM)

        let cluster = try Envoy_Config_Cluster_V3_Cluster(serializedBytes: try #require(snapshot.resources[.cluster]?["backend"]).any.value)
        let upstream = try Envoy_Extensions_TransportSockets_Tls_V3_UpstreamTlsContext(unpackingAny: try Self.untapped(cluster.transportSocketMatches[0].transportSocket))
        #expect(upstream.commonTlsContext.tlsCertificateSdsSecretConfigs.map(\.name) == ["server_cert"])
        #expect(upstream.commonTlsContext.tlsCertificateSdsSecretConfigs.allSatisfy { $0.sdsConfig.ads == .init() && $0.hasSdsConfig })
        let ingress = try Envoy_Config_Listener_V3_Listener(serializedBytes: try #require(snapshot.resources[.listener]?["ingress_listener"]).any.value)
        let downstream = try Envoy_Extensions_TransportSockets_Tls_V3_DownstreamTlsContext(unpackingAny: try Self.untapped(ingress.filterChains[0].transportSocket))
        #expect(downstream.commonTlsContext.validationContextSdsSecretConfig.hasSdsConfig)

        let unproven = try #require(await cache.snapshot(for: try Self.profile("client", issued: false)))
        #expect(unproven.resources[.secret]?.isEmpty == true, "no proof, no key")
        let xds = try #require(await cache.snapshot(for: {
            var profile = try Self.profile("client")
            profile.communicationMode = .xds
            return profile
        }()))
        let xdsCluster = try Envoy_Config_Cluster_V3_Cluster(serializedBytes: try #require(xds.resources[.cluster]?["backend"]).any.value)
        let xdsContext = try Envoy_Extensions_TransportSockets_Tls_V3_UpstreamTlsContext(unpackingAny: try Self.untapped(xdsCluster.transportSocketMatches[0].transportSocket))
        #expect(xdsContext.commonTlsContext.tlsCertificateSdsSecretConfigs.first?.sdsConfig.apiConfigSource.grpcServices.first?.envoyGrpc.clusterName
            == "envoy-control-xds", "xds-mode Envoys fetch secrets from the SDS service")
    }

    @Test("renewal after half the validity: the groups with issued certificates get new secrets, one per service; earlier, nothing")
    func renewal() async throws {
        let cache = SnapshotCache(datacenter: "dc1", properties: Fixtures.strict, sidecarCertificates: try Self.issuer(validity: .seconds(100)))
        await cache.apply(Fixtures.catalog(["backend": [Fixtures.instance("10.0.0.1", 80)]]))
        let (client, clientAgain, plain) = (SnapshotMailbox {}, SnapshotMailbox {}, SnapshotMailbox {})
        var clientVariant = try Self.profile("client")
        clientVariant.pathNormalization.mergeSlashes.toggle()  // a second group of the same service
        let start = Date()
        _ = await cache.watch(try Self.profile("client"), into: client)
        _ = await cache.watch(clientVariant, into: clientAgain)
        _ = await cache.watch(try Self.profile("client", issued: false), into: plain)
        let first = try #require(client.take())
        #expect(try #require(clientAgain.take()).version(.secret) == first.version(.secret), "one certificate per service")
        #expect(try #require(plain.take()).resources[.secret]?.isEmpty == true)

        await cache.renewSidecarCertificates(now: start.addingTimeInterval(40))
        #expect(client.take() == nil, "not yet half its validity")

        await cache.renewSidecarCertificates(now: start.addingTimeInterval(55))
        let renewed = try #require(client.take())
        #expect(renewed.version(.secret) != first.version(.secret))
        #expect(renewed.version(.cluster) == first.version(.cluster), "only the secrets changed")
        #expect(try #require(clientAgain.take()).version(.secret) == renewed.version(.secret))
        #expect(plain.take() == nil, "a group without an issued certificate is not rebuilt")
        await cache.renewSidecarCertificates(now: start.addingTimeInterval(80))
        #expect(client.take() == nil, "the renewed certificate is young again")
    }

    @Test("a key goes only to the Envoy whose xDS client certificate names its service, unless node metadata is trusted")
    func nodeAuthentication() {
        let tls = SnapshotProperties.TlsAuthenticationProperties()
        let client = PeerIdentity(uris: ["spiffe://client"])
        #expect(client.mayReceiveCertificate(of: "client", .xdsClientCertificate, tls))
        #expect(!client.mayReceiveCertificate(of: "backend", .xdsClientCertificate, tls))
        #expect(!PeerIdentity.anonymous.mayReceiveCertificate(of: "client", .xdsClientCertificate, tls))
        #expect(PeerIdentity.anonymous.mayReceiveCertificate(of: "client", .nodeMetadata, tls))
    }

    @Test("/debug/snapshot never shows a private key")
    func redaction() async throws {
        let cache = SnapshotCache(datacenter: "dc1", properties: Fixtures.strict, sidecarCertificates: try Self.issuer())
        await cache.apply(Fixtures.catalog(["backend": [Fixtures.instance("10.0.0.1", 80)]]))
        let snapshot = try #require(await cache.snapshot(for: try Self.profile("client")))
        let json = SnapshotJSON.render(snapshot, group: "g")
        #expect(json.contains("[redacted]") && json.contains("BEGIN CERTIFICATE"))
        #expect(!json.contains("PRIVATE KEY"))
    }

    @Test("config: the CA files are loaded and checked; xdsClientCertificate needs mTLS on the xDS port; bad values named")
    func configuration() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sidecar-ca-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let ca = try Self.makeCA()
        try ca.certificate.write(to: directory.appendingPathComponent("ca.pem"), atomically: true, encoding: .utf8)
        try ca.key.write(to: directory.appendingPathComponent("ca.key"), atomically: true, encoding: .utf8)
        let section = "sidecarCertificates: { caCert: \(directory.path)/ca.pem, caKey: \(directory.path)/ca.key"
        #expect(LocalControlPlaneConfig.check(yaml: "datacenter: dc1\n\(section), nodeAuthentication: nodeMetadata }\n").problems == [])
        for (yaml, problem) in [
            ("\(section) }", "xdsClientCertificate needs mTLS"),
            ("\(section), validity: 5s, nodeAuthentication: nodeMetadata }", "at least 10s"),
            ("\(section), nodeAuthentication: header }", "'header' is not one of"),
            ("\(section), caKeys: x }", "unknown setting"),
            ("sidecarCertificates: { caCert: /nonexistent/ca.pem, caKey: /nonexistent/ca.key, nodeAuthentication: nodeMetadata }", "cannot be read"),
        ] {
            let problems = LocalControlPlaneConfig.check(yaml: "datacenter: dc1\n\(yaml)\n").problems
            #expect(problems.contains { $0.contains(problem) }, "\(yaml): \(problems)")
        }
    }
}
