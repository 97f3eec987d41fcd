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

extension PolicyParserTests {
    @Test("shrinkGuard parses, with its defaults; bad values are named")
    func shrinkGuard() throws {
        #expect(try PolicyParser.parse("staleAfter: 60s\n").shrinkGuard == .init(maxLossPercent: 50, minInstances: 10, confirmAfter: .seconds(60)))
        let policy = try PolicyParser.parse("shrinkGuard: { maxLossPercent: 30, minInstances: 4, confirmAfter: 2m }\n")
        #expect(policy.shrinkGuard == .init(maxLossPercent: 30, minInstances: 4, confirmAfter: .seconds(120)))
        #expect(policy.shrinkGuard.holds(from: 10, to: 6) && !policy.shrinkGuard.holds(from: 10, to: 7) && !policy.shrinkGuard.holds(from: 3, to: 0))
        #expect {
            try PolicyParser.parse("shrinkGuard: { maxLossPercent: 150, confirmAfter: later, size: 3 }\n")
        } throws: { error in
            let text = "\(error)"
            return text.contains("shrinkGuard.maxLossPercent") && text.contains("shrinkGuard.confirmAfter") && text.contains("shrinkGuard.size")
        }
    }

    @Test("DC names in the policy must be configured datacenters")
    func unknownDatacenters() throws {
        let policy = try PolicyParser.parse("""
            defaults: { failover: { dc1: [dc2, dc9] } }
            services:
              payments: { split: { dc1: 90, dc-two: 10 } }
            """)
        let problems = policy.unknownDatacenterProblems(configured: ["dc1", "dc2"])
        #expect(problems.count == 2)
        #expect(problems.contains { $0.hasPrefix("defaults.failover: 'dc9'") })
        #expect(problems.contains { $0.hasPrefix("services.payments.split: 'dc-two'") })
    }
}
