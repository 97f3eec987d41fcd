import Testing

@testable import Shared

@Suite("Remote state version")
struct RemoteStateVersionTests {
    static let instance = WireInstance(ServiceInstance(id: "i1", address: "10.0.0.1", port: 8080, tags: ["a"], weight: 1, meta: ["k": "v"]))

    static func state(_ instance: WireInstance = instance, priority: Int = 1, weight: Int? = nil, localWeight: Int? = nil) -> [String: RemoteService] {
        ["backend": RemoteService(
            localities: [RemoteLocality(datacenter: "dc2", priority: priority, weight: weight, instances: [instance])], localWeight: localWeight)]
    }

    @Test("the same content gives the same version, whatever order the services are in")
    func stable() {
        let other = RemoteService(localities: [RemoteLocality(datacenter: "dc3", priority: 1, instances: [Self.instance])])
        var first = Self.state()
        first["other"] = other
        var second: [String: RemoteService] = ["other": other]
        second["backend"] = Self.state()["backend"]
        #expect(RemoteStateVersion.version(of: first) == RemoteStateVersion.version(of: second))
        #expect(RemoteStateVersion.version(of: first).count == 16)
    }

    @Test("every field of the content is in the version")
    func everyField() {
        func changed(_ change: (inout WireInstance) -> Void) -> [String: RemoteService] {
            var instance = Self.instance
            change(&instance)
            return Self.state(instance)
        }
        let variants: [[String: RemoteService]] = [
            Self.state(), [:], ["frontend": Self.state()["backend"]!],
            changed { $0.id = "i2" }, changed { $0.address = "10.0.0.2" }, changed { $0.port = 8081 }, changed { $0.weight = 2 },
            changed { $0.tags = ["b"] }, changed { $0.tags = [] }, changed { $0.meta = ["k": "w"] }, changed { $0.meta = ["kv": ""] },
            Self.state(priority: 2), Self.state(weight: 3), Self.state(localWeight: 3),
        ]
        let versions = variants.map { RemoteStateVersion.version(of: $0) }
        #expect(Set(versions).count == variants.count, "\(versions)")
    }
}
