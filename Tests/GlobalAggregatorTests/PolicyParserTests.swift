import Testing

@testable import GlobalAggregator

@Suite("Policy file")
struct PolicyParserTests {
    @Test("the documented example parses")
    func example() throws {
        let policy = try PolicyParser.parse("""
            staleAfter: 60s
            dropAfter: null
            defaults: { failover: [dc2, dc3] }
            services:
              payments: { split: { dc1: 90, dc2: 10 } }
              search:   { failover: { dc1: [dc3, dc2] }, crossDc: true }
              local-only-svc: { crossDc: false }
            """)
        #expect(policy.staleAfter == .seconds(60))
        #expect(policy.dropAfter == nil)
        #expect(policy.defaultFailover.order(for: "dc9") == ["dc2", "dc3"])
        #expect(policy.services["payments"]?.split == ["dc1": 90, "dc2": 10])
        #expect(policy.services["search"]?.failover?.order(for: "dc1") == ["dc3", "dc2"])
        #expect(policy.services["local-only-svc"]?.crossDc == false)
    }

    @Test("every problem is reported with its line")
    func problemsWithLines() {
        #expect {
            try PolicyParser.parse("""
                staleAfter: soon
                services:
                  payments: { split: { dc1: zero } }
                  search: { crossDc: maybe, colour: blue }
                """)
        } throws: { error in
            let text = "\(error)"
            return text.contains("line 1: staleAfter") && text.contains("line 3: services.payments.split.dc1")
                && text.contains("line 4: services.search.crossDc") && text.contains("line 4: services.search.colour")
        }
    }

    @Test("broken YAML is refused")
    func brokenYAML() {
        #expect(throws: (any Error).self) { try PolicyParser.parse("services: { a: [ }\n") }
    }
}
