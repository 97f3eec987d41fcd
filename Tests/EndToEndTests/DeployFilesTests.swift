import Foundation
import GlobalAggregator
import LocalControlPlane
import Shared
import Testing
import Yams

/// The files in deploy/ are what operators copy: every YAML and JSON file parses, and the example
/// configuration, policy and registry files are accepted by the same code the executables use.
@Suite("deploy/ files")
struct DeployFilesTests {
    static let deploy = TestEnvironment.packageRoot.appendingPathComponent("deploy")

    static func files(_ suffix: String) throws -> [URL] {
        let enumerator = try #require(FileManager.default.enumerator(at: deploy, includingPropertiesForKeys: nil))
        return enumerator.compactMap { $0 as? URL }.filter { $0.pathExtension == suffix }.sorted { $0.path < $1.path }
    }

    @Test("every YAML document and every JSON file parses")
    func parse() throws {
        // Helm templates are Go templates, rendered and parsed in `helmChart`.
        let yamlFiles = try Self.files("yaml").filter { !$0.path.contains("/templates/") }
        #expect(yamlFiles.count >= 7)
        for file in yamlFiles {
            let documents = Array(try Yams.load_all(yaml: String(contentsOf: file, encoding: .utf8)))
            #expect(!documents.isEmpty, "\(file.lastPathComponent) has documents")
            for document in documents where file.path.contains("/kubernetes/") {
                let object = try #require(document as? [String: Any], "\(file.lastPathComponent): a mapping")
                #expect(object["apiVersion"] is String && object["kind"] is String, "\(file.lastPathComponent): a Kubernetes object")
            }
        }
        for file in try Self.files("json") {
            #expect(throws: Never.self) { try JSONSerialization.jsonObject(with: Data(contentsOf: file)) }
        }
        for file in try Self.files("service") {
            let unit = try String(contentsOf: file, encoding: .utf8)
            #expect(unit.contains("[Service]") && unit.contains("ExecStart=/usr/local/bin/"), "\(file.lastPathComponent)")
        }
    }

    @Test("the Helm chart renders with its default values and with the aggregator, TLS and an existing Secret; configs inside are accepted")
    func helmChart() throws {
        let chart = Self.deploy.appendingPathComponent("helm/federated-control-plane")
        let defaults = try #require(try Yams.load(yaml: String(contentsOf: chart.appendingPathComponent("values.yaml"), encoding: .utf8)) as? [String: Any])
        func render(_ values: [String: Any]) throws -> [[String: Any]] {
            let templates = try FileManager.default.contentsOfDirectory(at: chart.appendingPathComponent("templates"), includingPropertiesForKeys: nil)
            return try templates.sorted { $0.path < $1.path }.flatMap { file in
                let text = try ChartTemplate(values: values, releaseName: "dc1").render(String(contentsOf: file, encoding: .utf8))
                return try Yams.load_all(yaml: text).compactMap { $0 as? [String: Any] }
            }
        }
        let plain = try render(defaults)
        #expect(plain.map { $0["kind"] as? String } == ["ConfigMap", "StatefulSet", "Service", "Service", "Secret"])
        var overridden = defaults
        overridden["aggregator"] = (defaults["aggregator"] as? [String: Any] ?? [:]).merging(["enabled": true]) { $1 }
        overridden["tokens"] = ["existingSecret": "fcp-tokens"]
        overridden["tls"] = ["existingSecret": "fcp-tls"]
        let full = try render(overridden)
        #expect(full.map { $0["kind"] as? String } == ["ConfigMap", "StatefulSet", "Service", "ConfigMap", "StatefulSet", "Service", "Service"])
        for object in full {
            #expect(object["apiVersion"] is String && (object["metadata"] as? [String: Any])?["name"] is String)
        }
        let statefulSets = full.filter { $0["kind"] as? String == "StatefulSet" }
        for set in statefulSets {
            let spec = try #require((((set["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any]))
            let container = try #require((spec["containers"] as? [[String: Any]])?.first)
            #expect(container["image"] as? String == "registry.example.com/federated-control-plane:0.1.0")
            let volumes = try #require(spec["volumes"] as? [[String: Any]])
            #expect(volumes.contains { ($0["secret"] as? [String: Any])?["secretName"] as? String == "fcp-tls" })
            #expect(volumes.contains { ($0["secret"] as? [String: Any])?["secretName"] as? String == "fcp-tokens" })
        }
        // The config files the chart writes are accepted by the executables' own loaders.
        let configs = full.filter { $0["kind"] as? String == "ConfigMap" }.compactMap { $0["data"] as? [String: String] }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chart-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, text) in configs.flatMap({ $0 }) { try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        var local = try ConfigFile.load(LocalControlPlaneConfig.self, from: directory.appendingPathComponent("local-control-plane.yaml").path)
        local.pushTokenFile = nil
        #expect(throws: Never.self) { try local.validated() }
        let token = directory.appendingPathComponent("push-token")
        try "token\n".write(to: token, atomically: true, encoding: .utf8)
        var aggregator = try ConfigFile.load(AggregatorConfig.self, from: directory.appendingPathComponent("global-aggregator.yaml").path)
        aggregator.pushTokenFile = token.path
        aggregator.policy = directory.appendingPathComponent("policy.yaml").path
        #expect(throws: Never.self) { try aggregator.validated() }
        #expect(throws: ChartTemplate.Unsupported.self) { try ChartTemplate(values: [:], releaseName: "x").render("{{ range .Values.x }}") }
    }

    @Test("example configs, policy and registry are accepted (token files aside)")
    func examples() throws {
        let config = Self.deploy.appendingPathComponent("config")
        var local = try ConfigFile.load(LocalControlPlaneConfig.self, from: config.appendingPathComponent("local-control-plane.yaml").path)
        local.consulTokenFile = nil
        local.pushTokenFile = nil
        #expect(throws: Never.self) { try local.validated() }

        let token = FileManager.default.temporaryDirectory.appendingPathComponent("deploy-test-token-\(UUID().uuidString)")
        try "example-token\n".write(to: token, atomically: true, encoding: .utf8)
        var aggregator = try ConfigFile.load(AggregatorConfig.self, from: config.appendingPathComponent("global-aggregator.yaml").path)
        aggregator.pushTokenFile = token.path
        aggregator.policy = config.appendingPathComponent("policy.yaml").path
        #expect(throws: Never.self) { try aggregator.validated() }

        #expect(throws: Never.self) { try PolicyParser.parse(String(contentsOf: config.appendingPathComponent("policy.yaml"), encoding: .utf8)) }
        let services = try RegistryFile.parse(String(contentsOf: config.appendingPathComponent("services.yaml"), encoding: .utf8)).catalog
        #expect(services["backend"]?.instances.count == 3)
    }

    @Test("check-config accepts the example configs and names every problem of a broken one with its line")
    func checkConfig() throws {
        let config = Self.deploy.appendingPathComponent("config")
        let local = try Self.run("local-control-plane", ["check-config", config.appendingPathComponent("local-control-plane.yaml").path])
        #expect(local.status == 0 && local.output.contains(": ok"), "\(local.output)")
        let aggregator = try Self.run("global-aggregator", ["check-config", config.appendingPathComponent("global-aggregator.yaml").path])
        #expect(aggregator.status == 0 && aggregator.output.contains(": ok"), "\(aggregator.output)")

        let broken = FileManager.default.temporaryDirectory.appendingPathComponent("broken-\(UUID().uuidString).yaml")
        try "datacenter: dc1\nconsulUrl: http://127.0.0.1:8500\nxdsPort: 99999\nconsulWiat: 5s\nroutableTags: \"(\"\n"
            .write(to: broken, atomically: true, encoding: .utf8)
        let result = try Self.run("local-control-plane", ["check-config", broken.path])
        #expect(result.status == 1)
        for expected in ["line 3: xdsPort", "line 4: consulWiat: unknown setting", "line 5: routableTags"] {
            #expect(result.output.contains(expected), "\(expected) in:\n\(result.output)")
        }
    }

    @Test("the sidecar bootstrap (envoy-control's form) passes Envoy's own validation; a snapshot typo is named with its path")
    func sidecarBootstrap() throws {
        let file = Self.deploy.appendingPathComponent("kubernetes/envoy-sidecar-bootstrap.yaml")
        let configMap = try #require(try Yams.load(yaml: String(contentsOf: file, encoding: .utf8)) as? [String: Any])
        let bootstrap = try #require((configMap["data"] as? [String: Any])?["envoy.yaml"] as? String)
        let extracted = FileManager.default.temporaryDirectory.appendingPathComponent("sidecar-\(UUID().uuidString).yaml")
        try bootstrap.write(to: extracted, atomically: true, encoding: .utf8)
        let validated = try Self.run(TestEnvironment.envoy, ["--mode", "validate", "-c", extracted.path], absolute: true)
        #expect(validated.status == 0 && validated.output.contains("OK"), "\(validated.output.suffix(1500))")
        #expect(bootstrap.contains("name: local_service") && bootstrap.contains("name: envoy-control-xds"))

        let typo = FileManager.default.temporaryDirectory.appendingPathComponent("typo-\(UUID().uuidString).yaml")
        try "datacenter: dc1\nsnapshot:\n  egress:\n    commonHttp: { requestTimout: 5s }\n".write(to: typo, atomically: true, encoding: .utf8)
        let result = try Self.run("local-control-plane", ["check-config", typo.path])
        #expect(result.status == 1 && result.output.contains("snapshot.egress.commonHttp.requestTimout: unknown setting"), "\(result.output)")
    }

    static func run(_ executable: String, _ arguments: [String], absolute: Bool = false) throws -> (status: Int32, output: String) {
        try TestEnvironment.capture(absolute ? executable : TestEnvironment.executable(executable), arguments)
    }
}
