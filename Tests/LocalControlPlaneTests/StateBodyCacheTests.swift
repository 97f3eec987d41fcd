import Foundation
import NIOCore
import Testing

@testable import LocalControlPlane
@testable import Shared

@Suite("State body cache")
struct StateBodyCacheTests {
    static func state(index: UInt64, backendPort: Int) -> DatacenterState {
        func service(_ name: String, _ port: Int) -> WireService {
            WireService(name: name, tags: ["t\"1"], instances: [WireInstance(ServiceInstance(address: "10.0.0.1", port: port, meta: ["k": "v"]))])
        }
        return DatacenterState(
            datacenter: "dc1", index: index, bootId: "boot", services: [service("backend", backendPort), service("payments", 9000)],
            appliedRemoteVersion: index > 1 ? "v\(index)" : nil, sourceIndex: index * 10)
    }

    @Test("each index's body is the bytes JSONEncoder writes, though unchanged services are reused from the last one")
    func bodiesAreExact() throws {
        let cache = StateBodyCache()
        for (index, port) in [(UInt64(1), 8080), (2, 8081), (3, 8081)] {
            let state = Self.state(index: index, backendPort: port)
            let body = try cache.body(of: state, gzip: false)
            #expect(Data(buffer: body) == (try JSONBody.encode(state)), "\(String(buffer: body))")
        }
    }
}
