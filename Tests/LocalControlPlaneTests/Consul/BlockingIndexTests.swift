import Foundation
import Testing

@testable import LocalControlPlane

@Suite("Consul blocking-query rules and response parsing")
struct BlockingIndexTests {
    @Test("index rules: unchanged, changed, backwards → 0, zero → 1")
    func rules() {
        var index = BlockingIndex()
        #expect(index.accept(5) == .changed && index.value == 5)
        #expect(index.accept(5) == .unchanged)
        #expect(index.accept(9) == .changed && index.value == 9)
        #expect(index.accept(3) == .reset && index.value == 0)
        #expect(index.accept(3) == .changed && index.value == 3)
        #expect(index.accept(0) == .reset && index.value == 1)
    }

    @Test("a health entry as Consul sends it becomes an instance; failing or unusable ones are dropped")
    func healthEntry() throws {
        let json = """
            [{"Node": {"Node": "n1", "Address": "10.1.0.1"},
              "Service": {"ID": "web-1", "Service": "web", "Tags": ["blue", "weight:7"], "Address": "", "Port": 8080,
                          "Meta": {"version": "2"}, "Weights": {"Passing": 3, "Warning": 1}},
              "Checks": [{"Status": "passing"}, {"Status": "passing"}]},
             {"Node": {"Node": "n2", "Address": "10.1.0.2"},
              "Service": {"ID": "web-2", "Service": "web", "Address": "10.9.9.9", "Port": 8080, "Weights": {"Passing": 3}},
              "Checks": [{"Status": "passing"}, {"Status": "critical"}]},
             {"Node": {"Node": "n3", "Address": "10.1.0.3"},
              "Service": {"ID": "web-3", "Service": "web", "Address": "10.1.0.3", "Port": 0}, "Checks": []},
             {"Node": {"Node": "n4", "Address": "10.1.0.4"},
              "Service": {"ID": "web-4", "Service": "web", "Address": "10.1.0.4", "Port": 81, "Weights": {"Passing": 4, "Warning": 2}},
              "Checks": [{"Status": "warning"}]}]
            """
        let entries = try JSONDecoder().decode([ConsulHealthEntry].self, from: Data(json.utf8))
        let passing = ConsulHealthAnswer.usable(entries, service: "web", includeWarning: false).kept
        #expect(passing.count == 1)
        #expect(passing.first?.address == "10.1.0.1", "empty Service.Address falls back to Node.Address")
        #expect(passing.first?.weight == 7, "a weight:N tag wins over Weights.Passing")
        #expect(passing.first?.meta == ["version": "2"] && passing.first?.id == "n1/web-1")
        let withWarning = ConsulHealthAnswer.usable(entries, service: "web", includeWarning: true)
        #expect(withWarning.kept.map(\.address) == ["10.1.0.1", "10.1.0.4"])
        #expect(withWarning.dropped.map(\.instanceID) == ["n3/web-3"], "port 0 is left out by InstanceRules")
        #expect(withWarning.kept.last?.weight == 2, "an instance in warning weighs Weights.Warning")
    }
}
