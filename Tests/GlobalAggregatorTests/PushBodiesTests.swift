import CompressNIO
import Foundation
import NIOCore
import Testing

@testable import GlobalAggregator
@testable import Shared

@Suite("Push bodies")
struct PushBodiesTests {
    static func state(ports: [Int], priority: Int, generation: UInt64) -> RemoteState {
        let instances = ports.map { WireInstance(ServiceInstance(id: "i\($0)", address: "10.0.0.1", port: $0, tags: ["t"])) }
        return RemoteState(
            generatedBy: "agg/test", generation: generation,
            services: ["backend": RemoteService(localities: [RemoteLocality(datacenter: "dc2", priority: priority, instances: instances)])])
    }

    static func decoded(_ body: ByteBuffer) throws -> RemoteState {
        var body = body
        return try JSONDecoder().decode(RemoteState.self, from: Data(buffer: try body.decompress(with: .gzip)))
    }

    @Test("each destination's body decodes to its state; a source's changed instances are encoded again, not reused")
    func bodiesFollowTheirStates() async throws {
        let bodies = PushBodies()
        let first = Self.state(ports: [1, 2], priority: 1, generation: 1)
        #expect(try Self.decoded(await bodies.body(of: first, to: "dc1")) == first)
        // The same instance list at another priority for another destination: the list's JSON is shared.
        let other = Self.state(ports: [1, 2], priority: 0, generation: 1)
        #expect(try Self.decoded(await bodies.body(of: other, to: "dc3")) == other)
        // dc2's instances changed: the body carries the new ones.
        let changed = Self.state(ports: [1, 3], priority: 1, generation: 2)
        #expect(try Self.decoded(await bodies.body(of: changed, to: "dc1")) == changed)
        // A delta has its base and removals.
        var delta = changed.delta(from: [:], baseVersion: first.version)
        delta.removed = ["gone"]
        #expect(try Self.decoded(await bodies.body(of: delta, to: "dc3")) == delta)
    }
}
