import Testing

@testable import LocalControlPlane
@testable import Shared

@Suite("Registry file parsing")
struct RegistryFileTests {
    @Test("instances get default ids and weights; unhealthy ones are left out")
    func parsesServices() throws {
        let catalog = try RegistryFile.parse("""
            services:
              - name: backend
                instances:
                  - { address: 127.0.0.1, port: 8081 }
                  - { id: b2, address: 127.0.0.1, port: 8082, tags: [canary], weight: 3, healthy: true }
                  - { id: b3, address: 127.0.0.1, port: 8083, healthy: false }
              - name: empty
            """)
        #expect(catalog.serviceNames == ["backend", "empty"])
        let backend = try #require(catalog["backend"])
        #expect(backend.instances.map(\.id) == ["127.0.0.1:8081", "b2"])
        #expect(backend.instances[1].tags == ["canary"])
        #expect(backend.instances[1].weight == 3)
        #expect(backend.instances[0].weight == 1)
        #expect(catalog["empty"]?.instances.isEmpty == true)
    }

    @Test("every problem of a bad file is reported with its place")
    func reportsProblems() {
        #expect {
            try RegistryFile.parse("""
                services:
                  - name: "bad name!"
                  - name: backend
                    instances:
                      - { address: "", port: 70000, weight: 0 }
                """)
        } throws: { error in
            let text = "\(error)"
            return text.contains("services[0].name") && text.contains("services[1].instances[0].address")
                && text.contains("services[1].instances[0].port: 70000") && text.contains("weight: 0")
        }
    }

    @Test("broken YAML names the field")
    func brokenYAML() {
        #expect {
            try RegistryFile.parse("services:\n  - name: backend\n    instances:\n      - { address: 127.0.0.1, port: eighty }\n")
        } throws: { error in
            "\(error)".contains("services[0].instances[0].port")
        }
    }

    @Test("catalog diff names added, removed and changed services")
    func catalogDiff() {
        let old = Fixtures.catalog(["a": [Fixtures.instance("10.0.0.1", 80)], "b": [], "c": []])
        let new = Fixtures.catalog(["a": [Fixtures.instance("10.0.0.2", 80)], "b": [], "d": []])
        #expect(old.changedServices(in: new) == ["a", "c", "d"])
    }
}
