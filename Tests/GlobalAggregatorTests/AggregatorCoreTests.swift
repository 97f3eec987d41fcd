import Foundation
import Testing

@testable import GlobalAggregator
@testable import Shared

/// The aggregator's pipeline as a whole, without sockets: answers in, push plans out.
@Suite("Aggregator core")
struct AggregatorCoreTests {
    static func core(_ datacenters: [String: [String]] = ["dc1": ["http://a1"], "dc2": ["http://b1", "http://b2"]]) async -> AggregatorCore {
        let core = AggregatorCore(
            generatedBy: "agg/test", datacenters: datacenters, policy: FederationPolicy(), store: StateStore(path: nil),
            initialSyncGrace: .zero)
        await core.restore()
        return core
    }

    static func state(_ datacenter: String, ports: [Int], sourceIndex: UInt64, synced: Bool = true) -> DatacenterState {
        DatacenterState(
            datacenter: datacenter, index: sourceIndex, bootId: "boot-\(datacenter)",
            services: [WireService(name: "backend", instances: ports.map { WireInstance(ServiceInstance(address: "10.0.0.1", port: $0)) })],
            appliedRemoteVersion: nil, synced: synced, sourceIndex: sourceIndex)
    }

    @Test("40 replicas answering at once, in any order: the freshest state wins, no generation carries two versions")
    func interleavedAccepts() async {
        let replicas = (1...40).map { "http://b\($0)" }
        let core = await Self.core(["dc1": ["http://a1"], "dc2": replicas])
        await core.accept(Self.state("dc1", ports: [1], sourceIndex: 1), from: "http://a1")
        let observed = ObservedPlans()
        await withTaskGroup(of: Void.self) { group in
            for round in (1...40).shuffled() {
                group.addTask {
                    await core.accept(Self.state("dc2", ports: [9000 + round], sourceIndex: UInt64(round)), from: replicas[round - 1])
                    if let desired = await core.desired(for: "dc1") { await observed.record(desired) }
                }
            }
        }
        let final = await core.desired(for: "dc1")
        #expect(final?.services["backend"]?.localities.first?.instances.map(\.port) == [9040], "the freshest of 40 answers")
        #expect(final?.sources == ["dc2": 40])
        let conflicts = await observed.conflicts
        #expect(conflicts.isEmpty, "one version per generation: \(conflicts)")
    }

    @Test("an unsynced replica never withdraws a DC; the plan stamps sources and lists the region")
    func unsyncedNeverWithdraws() async throws {
        let core = await Self.core()
        await core.accept(Self.state("dc1", ports: [], sourceIndex: 1), from: "http://a1")
        await core.accept(Self.state("dc2", ports: [8080], sourceIndex: 3), from: "http://b1")
        let before = try #require(await core.desired(for: "dc1"))
        await core.accept(Self.state("dc2", ports: [], sourceIndex: 0, synced: false), from: "http://b1")
        await core.accept(Self.state("dc2", ports: [], sourceIndex: 0, synced: false), from: "http://b2")
        #expect(await core.desired(for: "dc1") == before)
        #expect(before.datacenters == ["dc2"] && before.sources == ["dc2": 3])
        let replicas = await core.datacenterViews().first { $0.datacenter == "dc2" }?.replicas
        #expect(replicas?.map(\.synced) == [false, false], "the board still learns of the new boots")
    }
}

/// Every published (generation, version) pair seen, and any generation seen with two versions.
actor ObservedPlans {
    private var versions: [UInt64: String] = [:]
    private(set) var conflicts: [String] = []

    func record(_ state: RemoteState) {
        if let seen = versions[state.generation], seen != state.version {
            conflicts.append("generation \(state.generation): \(seen) and \(state.version)")
        }
        versions[state.generation] = state.version
    }
}

@Suite("Replica board")
struct ReplicaBoardTests {
    @Test("a version acknowledged by a boot is not pushed again; a new boot or a new version is")
    func needsPush() {
        var board = ReplicaBoard(datacenters: ["dc1": ["u"]])
        #expect(ReplicaBoard.needsPush(desired: "v1", status: board["dc1", "u"]), "never polled")
        board.polled("dc1", "u", bootId: "b1", synced: true, appliedRemoteVersion: "v0", at: Date())
        #expect(ReplicaBoard.needsPush(desired: "v1", status: board["dc1", "u"]))
        board.pushed("v1", to: "dc1", "u", bootId: "b1", at: Date())
        #expect(!ReplicaBoard.needsPush(desired: "v1", status: board["dc1", "u"]),
                "acknowledged, even though the control plane kept another aggregator's fresher slices (applied v0)")
        #expect(ReplicaBoard.needsPush(desired: "v2", status: board["dc1", "u"]))
        board.polled("dc1", "u", bootId: "b2", synced: false, appliedRemoteVersion: "v1", at: Date())
        #expect(ReplicaBoard.needsPush(desired: "v1", status: board["dc1", "u"]), "a new boot gets one push")
        board.pushFailed(to: "dc1", "u", error: "HTTP 500", at: Date())
        board.pushed("v1", to: "dc1", "u", bootId: "b2", at: Date())
        #expect(!ReplicaBoard.needsPush(desired: "v1", status: board["dc1", "u"]))
    }
}

extension AggregatorCoreTests {
    @Test("ticks that change nothing publish no plan; a DC turning stale does, once")
    func quietTicks() async throws {
        let core = AggregatorCore(
            generatedBy: "agg/test", datacenters: ["dc1": ["http://a1"], "dc2": ["http://b1"]],
            policy: try PolicyParser.parse("staleAfter: 60s\n"), store: StateStore(path: nil), initialSyncGrace: .zero)
        await core.restore()
        let start = Date()
        await core.accept(Self.state("dc1", ports: [1], sourceIndex: 1), from: "http://a1", receivedAt: start)
        await core.accept(Self.state("dc2", ports: [2], sourceIndex: 1), from: "http://b1", receivedAt: start)
        let published = await core.plansPublished
        let generation = try #require(await core.desired(for: "dc1")).generation
        for second in 1...10 { await core.tick(now: start.addingTimeInterval(Double(second))) }
        #expect(await core.plansPublished == published, "nothing changed in ten ticks")
        await core.tick(now: start.addingTimeInterval(120))
        #expect(await core.plansPublished == published + 1, "both DCs turned stale")
        await core.tick(now: start.addingTimeInterval(122))
        #expect(await core.plansPublished == published + 1)
        #expect(try #require(await core.desired(for: "dc1")).generation == generation, "staleness alone leaves the content as it was")
    }
}
