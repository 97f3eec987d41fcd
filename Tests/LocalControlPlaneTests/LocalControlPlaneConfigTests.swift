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
}
