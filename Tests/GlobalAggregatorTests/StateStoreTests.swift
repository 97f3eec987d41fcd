import Foundation
import Testing

@testable import GlobalAggregator
@testable import Shared

@Suite("SQLite state store (real file)")
struct StateStoreTests {
    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString).sqlite").path
    }

    @Test("states and the generation survive a reopen")
    func roundTrip() async throws {
        let path = Self.temporaryPath()
        let state = DatacenterState(
            datacenter: "dc2", index: 7, bootId: "b",
            services: [WireService(name: "backend", instances: [WireInstance(ServiceInstance(address: "10.0.0.1", port: 80, weight: 3))])],
            appliedRemoteVersion: "v1")
        let receivedAt = Date(timeIntervalSince1970: 1_700_000_000)
        do {
            let store = StateStore(path: path)
            #expect(store.degradedReason == nil)
            try await store.save(DatacenterSnapshot(state: state, receivedAt: receivedAt))
            #expect(try await store.nextGeneration() == 1)
            #expect(try await store.nextGeneration() == 2)
        }
        let reopened = StateStore(path: path)
        let (loaded, problems) = try await reopened.loadAll()
        #expect(problems.isEmpty)
        #expect(loaded["dc2"]?.state == state)
        #expect(loaded["dc2"]?.receivedAt == receivedAt)
        #expect(try await reopened.nextGeneration() == 3)
        try await reopened.raiseGeneration(to: 100)
        #expect(try await reopened.nextGeneration() == 101)
    }

    @Test("a corrupt file is reported and the store keeps working in memory")
    func corruptFile() async throws {
        let path = Self.temporaryPath()
        try Data(repeating: 0x42, count: 4096).write(to: URL(fileURLWithPath: path))
        let store = StateStore(path: path)
        #expect(store.degradedReason?.contains(path) == true)
        let state = DatacenterState(datacenter: "dc1", index: 1, bootId: "b", services: [], appliedRemoteVersion: nil)
        try await store.save(DatacenterSnapshot(state: state, receivedAt: Date()))
        #expect(try await store.loadAll().snapshots["dc1"] != nil)
    }
}
