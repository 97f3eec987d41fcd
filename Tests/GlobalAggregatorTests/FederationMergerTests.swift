import Foundation
import PropertyBased
import Testing

@testable import GlobalAggregator
@testable import Shared

@Suite("Federation merger")
struct FederationMergerTests {
    static let now = Date(timeIntervalSince1970: 1_000_000)

    static func snapshot(_ datacenter: String, _ services: [String: Int], age: TimeInterval = 0) -> DatacenterSnapshot {
        let wire = services.map { name, count in
            WireService(name: name, instances: (0..<count).map { index in
                WireInstance(ServiceInstance(id: "\(datacenter)-\(name)-\(index)", address: "10.\(index).0.1", port: 8000 + index, weight: index + 1))
            })
        }
        let state = DatacenterState(datacenter: datacenter, index: 1, bootId: "boot", services: wire, appliedRemoteVersion: nil)
        return DatacenterSnapshot(state: state, receivedAt: now.addingTimeInterval(-age))
    }

    static func merge(_ snapshots: [DatacenterSnapshot], policy: FederationPolicy = FederationPolicy()) -> MergeResult {
        FederationMerger.merge(
            Dictionary(uniqueKeysWithValues: snapshots.map { ($0.state.datacenter, $0) }),
            datacenters: snapshots.map(\.state.datacenter), policy: policy, now: now)
    }

    @Test("by default every other DC with the service is a failover at priority 1")
    func defaultFailover() {
        let result = Self.merge([Self.snapshot("dc1", ["backend": 1]), Self.snapshot("dc2", ["backend": 2]), Self.snapshot("dc3", ["backend": 1, "other": 1])])
        let backend = result.remote["dc1"]?["backend"]
        #expect(backend?.localities.map(\.datacenter) == ["dc2", "dc3"])
        #expect(backend?.localities.map(\.priority) == [1, 1])
        #expect(backend?.localWeight == nil)
        #expect(result.remote["dc1"]?["other"]?.localities.map(\.datacenter) == ["dc3"])
        #expect(result.remote["dc3"]?["other"] == nil, "a DC never gets its own instances as remote")
    }

    @Test("a failover order gives one priority per listed DC, unlisted ones after")
    func failoverOrder() throws {
        let policy = try PolicyParser.parse("defaults: { failover: { dc1: [dc3, dc2] } }\n")
        let result = Self.merge(
            [Self.snapshot("dc1", ["b": 1]), Self.snapshot("dc2", ["b": 1]), Self.snapshot("dc3", ["b": 1]), Self.snapshot("dc4", ["b": 1])],
            policy: policy)
        let localities = result.remote["dc1"]?["b"]?.localities ?? []
        #expect(localities.map(\.datacenter) == ["dc3", "dc2", "dc4"])
        #expect(localities.map(\.priority) == [1, 2, 3])
        #expect(result.remote["dc2"]?["b"]?.localities.map(\.priority) == [1, 1, 1], "no order for dc2: all together")
    }

    @Test("a split shares priority 0 with locality weights; DCs outside the split take it at priority 1")
    func split() throws {
        let policy = try PolicyParser.parse("services:\n  payments: { split: { dc1: 80, dc2: 20 } }\n")
        let result = Self.merge(
            [Self.snapshot("dc1", ["payments": 1]), Self.snapshot("dc2", ["payments": 1]), Self.snapshot("dc3", ["payments": 1])],
            policy: policy)
        let inDC1 = try #require(result.remote["dc1"]?["payments"])
        #expect(inDC1.localWeight == 80)
        #expect(inDC1.localities.map { "\($0.datacenter):\($0.priority):\($0.weight ?? 0)" } == ["dc2:0:20", "dc3:1:0"])
        let inDC3 = try #require(result.remote["dc3"]?["payments"])
        #expect(inDC3.localWeight == nil)
        #expect(inDC3.localities.map { "\($0.datacenter):\($0.priority):\($0.weight ?? 0)" } == ["dc1:1:80", "dc2:1:20"])
    }

    @Test("crossDc: false keeps a service local; stale DCs are kept and flagged; dropped ones removed")
    func crossDcAndStaleness() throws {
        var policy = try PolicyParser.parse("staleAfter: 60s\ndropAfter: 10m\nservices:\n  local-only: { crossDc: false }\n")
        let result = Self.merge(
            [Self.snapshot("dc1", ["local-only": 1, "b": 1]), Self.snapshot("dc2", ["local-only": 1, "b": 1], age: 120),
             Self.snapshot("dc3", ["b": 1], age: 3600)],
            policy: policy)
        #expect(result.remote["dc1"]?["local-only"] == nil)
        #expect(result.remote["dc1"]?["b"]?.localities.map(\.datacenter) == ["dc2"])
        #expect(result.stale == ["dc2"])
        #expect(result.dropped == ["dc3"])
        policy.dropAfter = nil
        #expect(Self.merge([Self.snapshot("dc1", ["b": 1]), Self.snapshot("dc3", ["b": 1], age: 3600)], policy: policy).remote["dc1"]?["b"] != nil,
                "without dropAfter an old DC is never removed")
    }

    // MARK: - properties

    static let datacenterNames = ["dc1", "dc2", "dc3", "dc4", "dc5"]
    static let serviceNames = ["a", "b", "c", "d"]

    /// A random world: each DC has a random subset of services with 0-3 instances each.
    static let worlds = Gen.int(in: 0...3).array(of: datacenterNames.count * serviceNames.count)
    static let policies = Gen.int(in: 0...3)

    static func world(_ counts: [Int]) -> [DatacenterSnapshot] {
        datacenterNames.enumerated().map { dcIndex, datacenter in
            var services: [String: Int] = [:]
            for (serviceIndex, service) in serviceNames.enumerated() {
                let count = counts[dcIndex * serviceNames.count + serviceIndex]
                if count > 0 { services[service] = count }
            }
            return snapshot(datacenter, services)
        }
    }

    static func policy(_ variant: Int) -> FederationPolicy {
        var policy = FederationPolicy()
        if variant & 1 == 1 { policy.defaultFailover = .init(everywhere: ["dc3", "dc1"]) }
        if variant & 2 == 2 { policy.services["a"] = .init(split: ["dc1": 70, "dc2": 20, "dc4": 10]) }
        return policy
    }

    @Test("properties: no self-remote, contiguous priorities, weights preserved, order-independent, deterministic")
    func properties() async {
        await propertyCheck(count: 300, input: Self.worlds, Self.policies) { counts, variant in
            let snapshots = Self.world(counts)
            let policy = Self.policy(variant)
            let result = Self.merge(snapshots, policy: policy)
            let shuffled = FederationMerger.merge(
                Dictionary(uniqueKeysWithValues: snapshots.shuffled().map { snapshot in
                    var reordered = snapshot.state
                    reordered.services.reverse()
                    for index in reordered.services.indices { reordered.services[index].instances.shuffle() }
                    return (snapshot.state.datacenter, DatacenterSnapshot(state: reordered, receivedAt: snapshot.receivedAt))
                }),
                datacenters: Self.datacenterNames.shuffled(), policy: policy, now: Self.now)
            #expect(result == shuffled, "the merge does not depend on the order DCs or instances arrive in")
            for destination in Self.datacenterNames {
                #expect(result.version(for: destination) == shuffled.version(for: destination))
                for (service, remote) in result.remote[destination] ?? [:] {
                    #expect(!remote.localities.contains { $0.datacenter == destination }, "\(destination) got itself for \(service)")
                    let priorities = Set(remote.localities.map(\.priority)).sorted()
                    let start = priorities.first ?? 1
                    #expect(priorities == Array(start..<(start + priorities.count)), "contiguous priorities for \(service) in \(destination)")
                    #expect(start == (remote.localWeight == nil ? 1 : 0), "priority 0 only when sharing traffic with the local DC")
                    for locality in remote.localities {
                        let source = snapshots.first { $0.state.datacenter == locality.datacenter }
                        let original = source?.state.services.first { $0.name == service }?.instances ?? []
                        #expect(Set(locality.instances) == Set(original), "instances and weights preserved")
                    }
                }
            }
        }
    }

    @Test("properties: merging step by step, reusing what did not change, equals merging from nothing, as DCs turn stale and are dropped")
    func incrementalEqualsFromNothing() async {
        await propertyCheck(count: 100, input: Self.worlds.array(of: 4), Self.policies.array(of: 4)) { worlds, variants in
            var merger = FederationMerger()
            var snapshots: [String: DatacenterSnapshot] = [:]
            for (counts, variant) in zip(worlds, variants) {
                // Each step replaces some DCs' states; the others hand over the same arrays again.
                for snapshot in Self.world(counts) where counts[Self.serviceNames.count * (Int(snapshot.state.datacenter.dropFirst(2))! - 1)] != 2 {
                    snapshots[snapshot.state.datacenter] = snapshot
                }
                var policy = Self.policy(variant & 1)
                policy.staleAfter = .seconds(150)
                policy.dropAfter = .seconds(500)
                // Time moves between steps, so DCs turn stale, dropped, and fresh again (a replaced state is new).
                let now = Self.now.addingTimeInterval(Double(variant) * 200)
                let stepwise = merger.merge(snapshots, datacenters: Self.datacenterNames, policy: policy, now: now)
                let fromNothing = FederationMerger.merge(snapshots, datacenters: Self.datacenterNames, policy: policy, now: now)
                #expect(stepwise == fromNothing)
                for destination in Self.datacenterNames {
                    #expect(stepwise.version(for: destination) == RemoteStateVersion.version(of: stepwise.remote[destination] ?? [:]))
                }
            }
        }
    }

    @Test("a change to one DC's service changes that service, and the version, only where it is remote")
    func incrementalChange() {
        var merger = FederationMerger()
        let datacenters = ["dc1", "dc2", "dc3"]
        var snapshots = Dictionary(uniqueKeysWithValues: datacenters.map { ($0, Self.snapshot($0, ["a": 2, "b": 1])) })
        snapshots["dc3"] = Self.snapshot("dc3", ["b": 1])
        let before = merger.merge(snapshots, datacenters: datacenters, policy: FederationPolicy(), now: Self.now)
        #expect(merger.merge(snapshots, datacenters: datacenters, policy: FederationPolicy(), now: Self.now) == before)
        snapshots["dc2"] = Self.snapshot("dc2", ["a": 3, "b": 1])
        let after = merger.merge(snapshots, datacenters: datacenters, policy: FederationPolicy(), now: Self.now)
        #expect(after.remote["dc1"]?["a"]?.localities.first?.instances.count == 3)
        #expect(after.version(for: "dc1") != before.version(for: "dc1"))
        #expect(after.version(for: "dc3") != before.version(for: "dc3"))
        #expect(after.version(for: "dc2") == before.version(for: "dc2"), "dc2's own change is not remote to it")
        #expect(after.remote["dc1"]?["b"] == before.remote["dc1"]?["b"])
        snapshots["dc1"] = nil
        snapshots["dc2"] = Self.snapshot("dc2", ["b": 1])
        let gone = merger.merge(snapshots, datacenters: datacenters, policy: FederationPolicy(), now: Self.now)
        #expect(gone.remote["dc3"]?["a"] == nil, "a service no DC offers any more leaves every destination")
        #expect(gone == FederationMerger.merge(snapshots, datacenters: datacenters, policy: FederationPolicy(), now: Self.now))
    }
}

extension FederationMergerTests {
    @Test("a stale DC is demoted below every fresh one and leaves its split; back to fresh, back in place")
    func staleDemotion() throws {
        let policy = try PolicyParser.parse(
            "staleAfter: 60s\ndefaults: { failover: [dc2, dc3] }\nservices:\n  payments: { split: { dc1: 50, dc2: 50 } }\n")
        let snapshots = [
            Self.snapshot("dc1", ["b": 1, "payments": 1]), Self.snapshot("dc2", ["b": 1, "payments": 1], age: 120),
            Self.snapshot("dc3", ["b": 1, "payments": 1]),
        ]
        let stale = Self.merge(snapshots, policy: policy)
        #expect(stale.remote["dc1"]?["b"]?.localities.map { "\($0.datacenter):\($0.priority)" } == ["dc3:1", "dc2:2"])
        let payments = try #require(stale.remote["dc1"]?["payments"])
        #expect(payments.localities.map { "\($0.datacenter):\($0.priority)" } == ["dc3:1", "dc2:2"])
        #expect(payments.localWeight == nil, "no split partner left")
        let fresh = Self.merge([snapshots[0], Self.snapshot("dc2", ["b": 1, "payments": 1]), snapshots[2]], policy: policy)
        #expect(fresh.remote["dc1"]?["b"]?.localities.map { "\($0.datacenter):\($0.priority)" } == ["dc2:1", "dc3:2"])
        #expect(fresh.remote["dc1"]?["payments"]?.localWeight == 50)
    }
}
