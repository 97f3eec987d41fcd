import ArgumentParser
import Foundation
import Testing
import Yams

@testable import LocalControlPlane

@Suite("Sidecar bootstrap (the one template)")
struct SidecarBootstrapTests {
    static let configMap = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("deploy/kubernetes/envoy-sidecar-bootstrap.yaml")

    @Test("the Kubernetes ConfigMap holds the template's bootstrap, its example metadata aside")
    func kubernetesConfigMap() throws {
        let manifest = try #require(try Yams.load(yaml: String(contentsOf: Self.configMap, encoding: .utf8)) as? [String: Any])
        let shipped = try #require((manifest["data"] as? [String: Any])?["envoy.yaml"] as? String)
        let metadata = try #require(shipped.components(separatedBy: "  metadata:\n").dropFirst().first?.components(separatedBy: "dynamic_resources:").first)
        var expected = SidecarBootstrap(
            nodeId: "SERVICE_NAME", cluster: "SERVICE_NAME", zone: "dc1", metadata: metadata,
            controlPlaneHost: "local-control-plane.fcp.svc", controlPlanePort: 18000, adminPort: 9901)
        expected.apiType = "DELTA_GRPC"
        expected.localServicePort = 8080
        #expect(shipped == expected.yaml, "regenerate it with `local-control-plane bootstrap` (see the file's header)")
    }

    @Test("flags give envoy-control's listener keys, a metadata file adds the rest, the control plane is reached by name or IP")
    func fromFlags() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("metadata-\(UUID().uuidString).yaml")
        try "proxy_settings:\n  outgoing:\n    dependencies:\n      - service: backend\n".write(to: file, atomically: true, encoding: .utf8)
        let options = try SidecarBootstrapOptions.parse([
            "--service-name", "orders", "--datacenter", "dc2", "--control-plane", "cp.dc2.internal:18000",
            "--metadata-file", file.path, "--delta", "--xds-ca", "/etc/ca.pem",
        ])
        let bootstrap = try #require(try Yams.load(yaml: options.bootstrap().yaml) as? [String: Any])
        let node = try #require(bootstrap["node"] as? [String: Any])
        #expect(node["id"] as? String == "orders" && node["cluster"] as? String == "orders")
        let metadata = try #require(node["metadata"] as? [String: Any])
        #expect(metadata["service_name"] as? String == "orders" && metadata["ads"] as? Bool == true)
        #expect(metadata["ingress_port"] as? Int == 5001 && metadata["egress_port"] as? Int == 5000)
        let dependencies = ((metadata["proxy_settings"] as? [String: Any])?["outgoing"] as? [String: Any])?["dependencies"] as? [[String: Any]]
        #expect(dependencies?.first?["service"] as? String == "backend")
        let ads = ((bootstrap["dynamic_resources"] as? [String: Any])?["ads_config"] as? [String: Any])
        #expect(ads?["api_type"] as? String == "DELTA_GRPC")
        let clusters = try #require((bootstrap["static_resources"] as? [String: Any])?["clusters"] as? [[String: Any]])
        let xds = try #require(clusters.first { $0["name"] as? String == "envoy-control-xds" })
        #expect(xds["type"] as? String == "STRICT_DNS")
        let tls = (xds["transport_socket"] as? [String: Any])?["typed_config"] as? [String: Any]
        #expect(tls?["sni"] as? String == "cp.dc2.internal")
        #expect(!clusters.contains { $0["name"] as? String == "local_service" }, "no local service port given")

        let byIP = try SidecarBootstrapOptions.parse(["--service-name", "a", "--datacenter", "dc1", "--local-service-port", "8080"]).bootstrap()
        #expect(byIP.yaml.contains("type: STATIC") && byIP.yaml.contains("name: local_service"))
    }

    @Test("bad flags and a metadata file that repeats a flag's key are refused with the reason")
    func refused() throws {
        #expect(throws: (any Error).self) { try SidecarBootstrapOptions.parse(["--service-name", "a", "--datacenter", "dc1", "--control-plane", "cp"]) }
        #expect(throws: (any Error).self) {
            try SidecarBootstrapOptions.parse(["--service-name", "a", "--datacenter", "dc1", "--xds-cert", "c.pem", "--xds-key", "k.pem"])
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("metadata-\(UUID().uuidString).yaml")
        try "service_name: other\n".write(to: file, atomically: true, encoding: .utf8)
        let options = try SidecarBootstrapOptions.parse(["--service-name", "a", "--datacenter", "dc1", "--metadata-file", file.path])
        #expect { try options.bootstrap() } throws: { "\($0)".contains("service_name are set by flags") }
    }
}
