import Foundation
import Testing

@testable import LocalControlPlane
import Shared

@Suite("local-control-plane configuration")
struct LocalControlPlaneConfigTests {
    @Test("every problem is reported at once")
    func allProblems() {
        var config = LocalControlPlaneConfig()
        config.datacenter = "bad dc"
        config.xdsPort = 70000
        config.routableTags = "blue("
        config.logLevel = "loud"
        let error = #expect(throws: ConfigError.self) { try config.validated() }
        let problems = error?.problems ?? []
        #expect(problems.count == 4, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("routableTags: 'blue(' is not a valid regular expression") })
    }

    @Test("flags win over the config file, unset flags keep its values; the tag filter comes from routableTags")
    func flagsWin() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("local-\(UUID().uuidString).yaml")
        try """
            datacenter: dc1
            routableTags: a
            xdsPort: 1000
            includeWarning: true
            consulUrl: http://127.0.0.1:8500
            snapshot: { egress: { clusterNotFoundStatusCode: 404 } }
            """.write(to: file, atomically: true, encoding: .utf8)
        let options = try LocalControlPlaneOptions.parse([
            "--config", file.path, "--routable-tags", "blue|green", "--http-port", "9000", "--log-format", "json",
        ])
        let valid = try options.configuration().validated()
        #expect(valid.datacenter == "dc1" && valid.xdsPort == 1000 && valid.httpPort == 9000 && valid.logFormat == .json)
        #expect(valid.tagFilter == (try TagFilter(pattern: "blue|green")))
        #expect(valid.consul?.settings.includeWarning == true, "a flag left off does not undo the file's true")
        #expect(valid.snapshot.egress.clusterNotFoundStatusCode == 404)
        let flagsOnly = try LocalControlPlaneOptions.parse(["--datacenter", "dc2", "--consul-url", "http://c:8500", "--include-warning"])
        #expect(try flagsOnly.configuration().validated().consul?.settings.includeWarning == true)
    }

    @Test("snapshot: envoy-control's properties in camelCase; unset keep envoy-control's defaults; bad or unknown keys named by path")
    func snapshotProperties() throws {
        let check = LocalControlPlaneConfig.check(yaml: """
            datacenter: dc1
            snapshot:
              incomingPermissions: { enabled: true, tlsAuthentication: { servicesAllowedToUseWildcard: [a] } }
              egress: { clusterNotFoundStatusCode: 404, commonHttp: { requestTimeout: 5s } }
              loadBalancing: { policy: round_robin, canary: { enabled: true, headerValue: "yes" } }
              routes: { status: { enabled: true, endpoints: [{ path: /ping, matchingType: PATH }] } }
              retryPolicy: { retryOn: [reset], retryBackOff: { baseInterval: 50ms } }
            """)
        #expect(check.problems.isEmpty, "\(check.problems)")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("snapshot-\(UUID().uuidString).yaml")
        try "datacenter: dc1\nsnapshot: { loadBalancing: { policy: round_robin }, egress: { commonHttp: { requestTimeout: 5s } } }\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let properties = try LocalControlPlaneOptions.parse(["--config", file.path]).configuration().validated().snapshot
        var expected = SnapshotProperties()
        expected.loadBalancing.policy = .roundRobin
        expected.egress.commonHttp.requestTimeout = .seconds(5)
        #expect(properties == expected)
        #expect(SnapshotProperties().egress.commonHttp.idleTimeout == .seconds(120) && SnapshotProperties().loadBalancing.policy == .leastRequest)

        for (yaml, expectedProblem) in [
            ("loadBalancing: { policy: FASTEST }", "snapshot.loadBalancing.policy: 'FASTEST' is not one of"),
            ("egress: { clusterNotFoundStatusCode: 99 }", "snapshot.egress.clusterNotFoundStatusCode: 99 is not an HTTP status"),
            ("localService: { responseTimeout: soon }", "snapshot.localService.responseTimeout: 'soon' is not a duration"),
            ("egres: {}", "snapshot.egres: unknown setting"),
            ("routes: { status: { endpoints: [{ path: /x, matchingType: GLOB }] } }", "matchingType: 'GLOB' is not PATH"),
        ] {
            let problems = LocalControlPlaneConfig.check(yaml: "datacenter: dc1\nsnapshot:\n  \(yaml)\n").problems
            #expect(problems.contains { $0.contains(expectedProblem) }, "\(yaml): \(problems)")
        }
    }

    @Test("every flag is a config key of the same name, so the file can set everything the command line can")
    func flagsAreConfigKeys() throws {
        let flags = ConfigLayers.flagKeys(try LocalControlPlaneOptions.parse([]))
        let keys = LocalControlPlaneConfig.keys
        #expect(flags.count >= 20)
        #expect(flags.subtracting(keys).isEmpty, "flags with no config key: \(flags.subtracting(keys).sorted())")
        #expect(keys.subtracting(flags) == ["snapshot", "sidecarCertificates"], "config keys with no flag: \(keys.subtracting(flags).sorted())")
    }

    @Test("mTLS needs all three files, and each must be a readable PEM file")
    func tlsFiles() throws {
        var partial = LocalControlPlaneConfig()
        partial.datacenter = "dc1"
        partial.tlsCert = "/etc/cp.pem"
        let partialError = #expect(throws: ConfigError.self) { try partial.validated() }
        #expect(partialError?.problems == ["tls: tlsCert, tlsKey and tlsCa go together (mTLS needs all three)"])

        let garbage = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-pem-\(UUID().uuidString)")
        try "hello".write(to: garbage, atomically: true, encoding: .utf8)
        var unreadable = partial
        (unreadable.tlsCert, unreadable.tlsKey, unreadable.tlsCa) = (garbage.path, garbage.path, "/nonexistent/ca.pem")
        let problems = (#expect(throws: ConfigError.self) { try unreadable.validated() })?.problems ?? []
        #expect(problems.count == 3, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("tlsCert: \(garbage.path)") })
        #expect(problems.contains { $0.hasPrefix("tlsKey: \(garbage.path) is not a readable PEM private key") })
        #expect(problems.contains { $0.hasPrefix("tlsCa: /nonexistent/ca.pem is not a readable PEM certificate file") })
    }
}
