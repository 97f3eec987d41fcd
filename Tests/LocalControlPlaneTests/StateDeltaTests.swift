import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import LocalControlPlane
@testable import Shared

/// `GET /v1/state` for a poller that holds a state of this boot: only what changed since, which, applied to the held
/// state, is the whole state.
@Suite("State deltas of GET /v1/state")
struct StateDeltaTests {
    static func catalog(_ services: [String: [String]]) -> ServiceCatalog {
        Fixtures.catalog(services.mapValues { $0.map { Fixtures.instance($0, 80) } })
    }

    @Test("a poller holding this boot's state gets the changed and removed services only; applied, it is the whole state")
    func deltaAppliesToWhole() async throws {
        let plane = await FederationAPITests.Plane(token: "secret")
        let sink = CatalogSink(cache: plane.cache, state: plane.publisher)
        await sink.apply(Self.catalog(["backend": ["10.0.0.1"], "stays": ["10.0.0.9"], "gone": ["10.0.0.3"]]), sourceIndex: 1)
        let app = Application(router: plane.router)
        try await app.test(.router) { client in
            let first = try await client.execute(uri: "/v1/state", method: .get)
            let held = try JSONDecoder().decode(DatacenterState.self, from: Data(buffer: first.body))
            await sink.apply(Self.catalog(["backend": ["10.0.0.2"], "stays": ["10.0.0.9"], "gone": ["10.0.0.3"]]), sourceIndex: 2)
            await sink.apply(Self.catalog(["backend": ["10.0.0.2"], "stays": ["10.0.0.9"], "added": ["10.0.0.4"]]), sourceIndex: 3)
            #expect(held.services.map(\.name) == ["backend", "gone", "stays"])

            let answer = try await client.execute(uri: "/v1/state?index=\(held.index)&delta=\(held.bootId)", method: .get)
            #expect(answer.headers[.init("X-State-Delta-Base")!] == String(held.index))
            let delta = try JSONDecoder().decode(DatacenterStateDelta.self, from: Data(buffer: answer.body))
            #expect(delta.changed.map(\.name) == ["added", "backend"])
            #expect(delta.removed == ["gone"])

            let whole = try await client.execute(uri: "/v1/state", method: .get)
            #expect(whole.headers[.init("X-State-Delta-Base")!] == nil)
            let expected = try JSONDecoder().decode(DatacenterState.self, from: Data(buffer: whole.body))
            #expect(try held.applying(delta) == expected)

            let otherBoot = try await client.execute(uri: "/v1/state?index=\(held.index)&delta=another-boot", method: .get)
            #expect(otherBoot.headers[.init("X-State-Delta-Base")!] == nil, "a state of another boot gets the whole state")
            #expect(try JSONDecoder().decode(DatacenterState.self, from: Data(buffer: otherBoot.body)) == expected)
        }
    }

    @Test("a delta on another base than the held state is refused, so the poller asks for the whole state")
    func baseMismatch() throws {
        let held = DatacenterState(datacenter: "dc2", index: 4, bootId: "b", services: [], appliedRemoteVersion: nil)
        let delta = DatacenterStateDelta(
            datacenter: "dc2", bootId: "b", baseIndex: 3, index: 5, changed: [], removed: [], appliedRemoteVersion: nil, synced: true,
            sourceIndex: 1)
        #expect(throws: DatacenterStateDelta.BaseMismatch.self) { try held.applying(delta) }
        var otherBoot = delta
        otherBoot.baseIndex = 4
        otherBoot.bootId = "c"
        #expect(throws: DatacenterStateDelta.BaseMismatch.self) { try held.applying(otherBoot) }
    }

    @Test("a poller behind the removals the publisher still remembers gets the whole state")
    func forgottenRemovals() async {
        let publisher = LocalStatePublisher(datacenter: "dc1", keptRemovals: 4)
        let names = (0..<8).map { "s\($0)" }
        await publisher.publish(Self.catalog(Dictionary(uniqueKeysWithValues: names.map { ($0, ["10.0.0.1"]) })), sourceIndex: 1)
        let early = await publisher.current.index
        for count in (0..<8).reversed() {
            await publisher.publish(
                Self.catalog(Dictionary(uniqueKeysWithValues: names.prefix(count).map { ($0, ["10.0.0.1"]) })), sourceIndex: 2)
        }
        let bootId = await publisher.bootId
        guard case .whole = await publisher.answer(after: early, heldBootId: bootId, timeout: .zero) else {
            Issue.record("removals before the kept ones are forgotten: a delta from there would miss them")
            return
        }
        let recent = await publisher.current.index - 1
        guard case .delta(let delta) = await publisher.answer(after: recent, heldBootId: bootId, timeout: .zero) else {
            Issue.record("a recent base still gets a delta")
            return
        }
        #expect(delta.removed == ["s0"] && delta.changed.isEmpty)
    }
}
