import Foundation
import Testing

@testable import GlobalAggregator
@testable import Shared

@Suite("SQLite state store (real file)")
struct StateStoreTests {
    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString).sqlite").path
    }

    @Test("states, the generation and the aggregator's id survive a reopen")
    func roundTrip() async throws {
        let path = Self.temporaryPath()
        let state = DatacenterState(
            datacenter: "dc2", index: 7, bootId: "b",
            services: [WireService(name: "backend", instances: [WireInstance(ServiceInstance(address: "10.0.0.1", port: 80, weight: 3))])],
            appliedRemoteVersion: "v1")
        let receivedAt = Date(timeIntervalSince1970: 1_700_000_000)
        var id: UInt64 = 0
        do {
            let store = StateStore(path: path)
            #expect(await store.problem == nil)
            #expect(try await store.storedGeneration() == 0)
            try await store.save([DatacenterSnapshot(state: state, receivedAt: receivedAt)], generation: 2)
            #expect(try await store.storedGeneration() == 2)
            id = try await store.aggregatorID()
            #expect(try await store.aggregatorID() == id)
        }
        let reopened = StateStore(path: path)
        let (loaded, problems) = try await reopened.loadAll()
        #expect(problems.isEmpty)
        #expect(loaded["dc2"]?.state == state)
        #expect(loaded["dc2"]?.receivedAt == receivedAt)
        #expect(try await reopened.storedGeneration() == 2)
        try await reopened.raiseGeneration(to: 100)
        try await reopened.save([], generation: 50)
        #expect(try await reopened.storedGeneration() == 100, "the generation never goes down")
        #expect(try await reopened.aggregatorID() == id && id != 0)
        #expect(try await StateStore(path: Self.temporaryPath()).aggregatorID() != id, "another aggregator, another id")
    }

    private static let state = DatacenterState(datacenter: "dc1", index: 1, bootId: "b", services: [], appliedRemoteVersion: nil)

    @Test("a corrupt file is moved aside and a new one started; the caller is told to write everything again")
    func corruptFile() async throws {
        let path = Self.temporaryPath()
        try Data(repeating: 0x42, count: 4096).write(to: URL(fileURLWithPath: path))
        let store = StateStore(path: path)
        #expect(await store.problem == nil)
        #expect(await store.takeFreshStart())
        #expect(await !store.takeFreshStart(), "reported once")
        let aside = try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent)
            .filter { $0.hasPrefix((path as NSString).lastPathComponent + ".corrupt-") }
        #expect(aside.count == 1, "the damaged file is kept for inspection")
        try await store.save([DatacenterSnapshot(state: Self.state, receivedAt: Date())])
        #expect(try await StateStore(path: path).loadAll().snapshots["dc1"] != nil)
    }

    @Test("a file deleted while in use is started again at the next write")
    func deletedFile() async throws {
        let path = Self.temporaryPath()
        let store = StateStore(path: path)
        try await store.save([DatacenterSnapshot(state: Self.state, receivedAt: Date())])
        try FileManager.default.removeItem(atPath: path)
        try await store.save([DatacenterSnapshot(state: Self.state, receivedAt: Date())])
        #expect(await store.takeFreshStart(), "everything must be written again")
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(try await StateStore(path: path).loadAll().snapshots["dc1"] != nil)
    }

    @Test("an unusable path runs in memory with the reason, and the store takes the file once it can")
    func unusablePathRecovers() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("missing-\(UUID().uuidString)")
        let path = directory.appendingPathComponent("state.sqlite").path
        let store = StateStore(path: path)
        #expect(await store.problem?.contains(path) == true)
        try await store.save([DatacenterSnapshot(state: Self.state, receivedAt: Date())])
        #expect(try await store.loadAll().snapshots["dc1"] != nil, "served from memory")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try await store.save([DatacenterSnapshot(state: Self.state, receivedAt: Date())])
        #expect(await store.problem == nil)
        #expect(await store.takeFreshStart())
        #expect(FileManager.default.fileExists(atPath: path))
    }
}
