import Foundation
import Testing

@testable import GlobalAggregator
import Shared

@Suite("global-aggregator configuration")
struct AggregatorConfigTests {
    @Test("every flag is a config key of the same name; repeated --datacenter flags replace the file's list")
    func flagsAreConfigKeys() throws {
        let flags = ConfigLayers.flagKeys(try AggregatorOptions.parse([]))
        let keys = AggregatorConfig.keys
        #expect(flags == keys, "flags without a key: \(flags.subtracting(keys).sorted()); keys without a flag: \(keys.subtracting(flags).sorted())")

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("aggregator-\(UUID().uuidString).yaml")
        try "region: eu\ndatacenters: [dc1=http://a:1]\npollWait: 5s\n".write(to: file, atomically: true, encoding: .utf8)
        let fromFile = try AggregatorOptions.parse(["--config", file.path]).configuration()
        #expect(fromFile.datacenters == ["dc1=http://a:1"] && fromFile.pollWait == "5s")
        let overridden = try AggregatorOptions.parse(["--config", file.path, "--datacenter", "dc2=http://b:1", "--datacenter", "dc3=http://c:1"])
            .configuration()
        #expect(overridden.datacenters == ["dc2=http://b:1", "dc3=http://c:1"] && overridden.region == "eu")
    }

    @Test("with mTLS, every control-plane URL must be https, and all three TLS files must be readable")
    func tlsNeedsHTTPS() {
        var config = AggregatorConfig()
        config.region = "eu"
        config.datacenters = ["dc1=http://10.0.0.1:18080,https://10.0.0.2:18080", "dc2=https://10.1.0.1:18080"]
        config.pushTokenFile = "/nonexistent/token"
        (config.tlsCert, config.tlsKey, config.tlsCa) = ("/nonexistent/a.pem", "/nonexistent/a.key", "/nonexistent/ca.pem")
        let problems = (#expect(throws: ConfigError.self) { try config.validated() })?.problems ?? []
        #expect(problems.contains("datacenter dc1: 'http://10.0.0.1:18080' must be https:// when tlsCert is set"), "\(problems)")
        #expect(!problems.contains { $0.contains("10.0.0.2") || $0.contains("dc2") })
        #expect(problems.filter { $0.hasPrefix("tls") }.count == 3, "one problem per unreadable TLS file")
    }
}

extension AggregatorConfigTests {
    @Test("check-config names every problem: unknown keys, bad DCs and durations, a policy naming an unknown DC")
    func checkConfigFailures() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("agg-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let policy = directory.appendingPathComponent("policy.yaml")
        try "defaults: { failover: [dc2, dc7] }\n".write(to: policy, atomically: true, encoding: .utf8)
        let result = AggregatorConfig.check(yaml: """
            region: eu
            datacenters: [dc1=http://10.0.0.1:18080, "bad name=http://x", dc2=ftp://10.0.0.2]
            pollWait: soon
            initialSyncGrace: later
            policy: \(policy.path)
            colour: blue
            """)
        let problems = result.problems.joined(separator: "\n")
        for expected in ["colour", "'bad name=http://x' is not NAME=URL", "'ftp://10.0.0.2' is not an http(s) URL",
                         "pollWait: 'soon'", "initialSyncGrace: 'later'", "defaults.failover: 'dc7' is not a configured datacenter"] {
            #expect(problems.contains(expected), "\(expected) in:\n\(problems)")
        }
        #expect(!problems.contains("'dc2'"), "dc2 is configured")
    }
}
