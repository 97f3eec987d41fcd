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
            """).catalog
        #expect(catalog.serviceNames == ["backend", "empty"])
        let backend = try #require(catalog["backend"])
        #expect(backend.instances.map(\.id) == ["127.0.0.1:8081", "b2"])
        #expect(backend.instances[1].tags == ["canary"])
        #expect(backend.instances[1].weight == 3)
        #expect(backend.instances[0].weight == 1)
        #expect(catalog["empty"]?.instances.isEmpty == true)
    }

    @Test("a bad service refuses the file, naming its place")
    func reportsProblems() {
        #expect {
            try RegistryFile.parse("""
                services:
                  - name: "bad name!"
                  - name: backend
                  - name: backend
                """)
        } throws: { error in
            let text = "\(error)"
            return text.contains("services[0].name") && text.contains("services[2].name: service 'backend' is listed twice")
        }
    }

    @Test("a bad instance is left out on its own with its reason; the rest of the file is served")
    func dropsBadInstances() throws {
        let parsed = try RegistryFile.parse("""
            services:
              - name: backend
                instances:
                  - { id: empty, address: "", port: 80 }
                  - { id: far, address: 10.0.0.1, port: 70000 }
                  - { id: heavy, address: 10.0.0.2, port: 80, weight: 2000000 }
                  - { id: tagged, address: 10.0.0.3, port: 80, tags: ["weight:2000000"] }
                  - { id: good, address: 10.0.0.4, port: 80, weight: 1000000 }
                  - { id: good, address: 10.0.0.5, port: 80 }
            """)
        #expect(parsed.catalog["backend"]?.instances.map(\.address) == ["10.0.0.4"])
        #expect(parsed.dropped.map(\.instanceID) == ["empty", "far", "heavy", "tagged", "good"])
        #expect(parsed.dropped.map(\.reason) == [.address, .port, .weight, .weight, .duplicateID])
        #expect(parsed.dropped[2].description == "backend/heavy: weight 2000000 is not in 1-1000000")
    }

    @Test("broken YAML names the field")
    func brokenYAML() {
        #expect {
            try RegistryFile.parse("services:\n  - name: backend\n    instances:\n      - { address: 127.0.0.1, port: eighty }\n")
        } throws: { error in
            "\(error)".contains("services[0].instances[0].port")
        }
    }

    @Test("a JSON file (YAML's subset, decoded on a faster path) reads as the same YAML does; its errors name the field")
    func jsonFile() throws {
        let yaml = try RegistryFile.parse("""
            services:
              - name: backend
                tags: [web]
                instances:
                  - { id: b1, address: 127.0.0.1, port: 8081, tags: [canary], weight: 3, meta: { v: "2" } }
                  - { id: b2, address: 127.0.0.1, port: 8082, healthy: false }
            """).catalog
        let json = try RegistryFile.parse("""
            {"services": [{"name": "backend", "tags": ["web"], "instances": [
              {"id": "b1", "address": "127.0.0.1", "port": 8081, "tags": ["canary"], "weight": 3, "meta": {"v": "2"}},
              {"id": "b2", "address": "127.0.0.1", "port": 8082, "healthy": false}]}]}
            """).catalog
        #expect(json == yaml && json["backend"]?.instances.map(\.id) == ["b1"])
        #expect {
            try RegistryFile.parse(#"{"services": [{"name": "backend", "instances": [{"address": "127.0.0.1", "port": "eighty"}]}]}"#)
        } throws: { error in
            "\(error)".contains("services[0].instances[0].port")
        }
        #expect {
            try RegistryFile.parse(#"{"services": [], "services": []}"#)
        } throws: { error in
            "\(error)".contains("duplicate key")
        }
    }

    @Test("catalog diff names added, removed and changed services")
    func catalogDiff() {
        let old = Fixtures.catalog(["a": [Fixtures.instance("10.0.0.1", 80)], "b": [], "c": []])
        let new = Fixtures.catalog(["a": [Fixtures.instance("10.0.0.2", 80)], "b": [], "d": []])
        #expect(old.changedServices(in: new) == ["a", "c", "d"])
    }
}
