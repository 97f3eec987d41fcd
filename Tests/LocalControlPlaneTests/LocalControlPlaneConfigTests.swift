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

    @Test("flags win over the config file; the tag filter comes from routableTags")
    func flagsWin() throws {
        var file = LocalControlPlaneConfig()
        file.datacenter = "dc1"
        file.routableTags = "a"
        file.xdsPort = 1000
        var flags = LocalControlPlaneConfig()
        flags.routableTags = "blue|green"
        let valid = try flags.overriding(file).validated()
        #expect(valid.datacenter == "dc1" && valid.xdsPort == 1000)
        #expect(valid.tagFilter == (try TagFilter(pattern: "blue|green")))
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
