import Foundation
import Testing

@testable import GlobalAggregator
import Shared

@Suite("global-aggregator configuration")
struct AggregatorConfigTests {
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
