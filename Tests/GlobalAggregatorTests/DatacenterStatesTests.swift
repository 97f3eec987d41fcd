import Foundation
import Testing

@testable import GlobalAggregator
@testable import Shared

/// Which answer of which replica becomes a DC's state in use.
@Suite("Datacenter states: readiness, replicas, shrink guard")
struct DatacenterStatesTests {
    static let start = Date(timeIntervalSince1970: 2_000_000)
    static let shrinkGuard = FederationPolicy.ShrinkGuard(maxLossPercent: 50, minInstances: 10, confirmAfter: .seconds(60))

    static func state(instances: Int, sourceIndex: UInt64, synced: Bool = true, failing: Double = 0, boot: String = "b") -> DatacenterState {
        let wire = (0..<instances).map { WireInstance(ServiceInstance(id: "i\($0)", address: "10.0.0.\($0 % 250 + 1)", port: 8000 + $0)) }
        return DatacenterState(
            datacenter: "dc2", index: 1, bootId: boot, services: [WireService(name: "backend", instances: wire)], appliedRemoteVersion: nil,
            synced: synced, sourceIndex: sourceIndex, sourceFailingSeconds: failing)
    }

    @Test("an unsynced answer (a restart with a slow Consul) never replaces the known state")
    func unsyncedIgnored() {
        var states = DatacenterStates()
        #expect(states.offer(Self.state(instances: 3, sourceIndex: 5), from: "a", at: Self.start, shrinkGuard: Self.shrinkGuard) == .changed)
        let restarted = Self.state(instances: 0, sourceIndex: 0, synced: false, boot: "b2")
        #expect(states.offer(restarted, from: "a", at: Self.start, shrinkGuard: Self.shrinkGuard) == .unsynced)
        #expect(states.current["dc2"]?.instanceCount == 3)
    }

    @Test("of two replicas the fresher source index wins, whichever answered last; a tie keeps the state in use")
    func freshestReplica() {
        var states = DatacenterStates()
        let fresh = Self.state(instances: 4, sourceIndex: 20)
        let lagging = Self.state(instances: 3, sourceIndex: 10)
        #expect(states.offer(fresh, from: "a", at: Self.start, shrinkGuard: Self.shrinkGuard) == .changed)
        #expect(states.offer(lagging, from: "b", at: Self.start.addingTimeInterval(1), shrinkGuard: Self.shrinkGuard) == .notFreshest)
        #expect(states.current["dc2"]?.instanceCount == 4)
        let tie = Self.state(instances: 5, sourceIndex: 20)
        #expect(states.offer(tie, from: "b", at: Self.start.addingTimeInterval(2), shrinkGuard: Self.shrinkGuard) == .notFreshest)
        #expect(states.offer(fresh, from: "a", at: Self.start.addingTimeInterval(3), shrinkGuard: Self.shrinkGuard) == .confirmed)
        #expect(states.current["dc2"]?.receivedAt == Self.start.addingTimeInterval(3), "a confirmation refreshes the age")
        let newer = Self.state(instances: 6, sourceIndex: 21)
        #expect(states.offer(newer, from: "b", at: Self.start.addingTimeInterval(4), shrinkGuard: Self.shrinkGuard) == .changed)
        #expect(states.current["dc2"]?.instanceCount == 6)
    }

    @Test("a sharp shrink is held and flagged, applied only once it stood for confirmAfter; a recovery clears it")
    func shrinkGuard() {
        var states = DatacenterStates()
        _ = states.offer(Self.state(instances: 20, sourceIndex: 1), from: "a", at: Self.start, shrinkGuard: Self.shrinkGuard)
        #expect(states.offer(Self.state(instances: 12, sourceIndex: 2), from: "a", at: Self.start, shrinkGuard: Self.shrinkGuard) == .changed,
                "losing 40 % is an ordinary change")
        guard case .held(let hold) = states.offer(Self.state(instances: 2, sourceIndex: 3), from: "a", at: Self.start, shrinkGuard: Self.shrinkGuard)
        else {
            Issue.record("losing 10 of 12 must be held")
            return
        }
        #expect(hold.instancesBefore == 12 && hold.instancesAfter == 2)
        #expect(states.current["dc2"]?.instanceCount == 12)
        #expect(states.confirmHolds(at: Self.start.addingTimeInterval(59), shrinkGuard: Self.shrinkGuard).isEmpty)
        #expect(states.offer(Self.state(instances: 1, sourceIndex: 4), from: "a", at: Self.start.addingTimeInterval(30), shrinkGuard: Self.shrinkGuard)
                != .changed, "a further shrink keeps the hold's start")
        #expect(states.confirmHolds(at: Self.start.addingTimeInterval(60), shrinkGuard: Self.shrinkGuard) == ["dc2"])
        #expect(states.current["dc2"]?.instanceCount == 1 && states.holds.isEmpty)

        _ = states.offer(Self.state(instances: 20, sourceIndex: 5), from: "a", at: Self.start, shrinkGuard: Self.shrinkGuard)
        #expect(states.offer(Self.state(instances: 0, sourceIndex: 6), from: "a", at: Self.start, shrinkGuard: Self.shrinkGuard) != .changed)
        #expect(states.offer(Self.state(instances: 20, sourceIndex: 7), from: "a", at: Self.start, shrinkGuard: Self.shrinkGuard) == .confirmed)
        #expect(states.holds.isEmpty, "the DC came back: nothing to confirm")
    }

    @Test("a state whose source has been failing counts as that much older")
    func failingSourceAges() {
        var states = DatacenterStates()
        _ = states.offer(Self.state(instances: 1, sourceIndex: 1, failing: 90), from: "a", at: Self.start, shrinkGuard: Self.shrinkGuard)
        #expect(states.current["dc2"]?.receivedAt == Self.start.addingTimeInterval(-90))
    }
}

extension DatacenterStatesTests {
    static func storage(_ instances: [WireInstance]) -> UnsafePointer<WireInstance>? {
        instances.withUnsafeBufferPointer { $0.baseAddress }
    }

    @Test("'unchanged' confirms only the state the replica last sent; an answer shares the arrays of unchanged services")
    func confirmationAndSharing() {
        var states = DatacenterStates()
        let first = Self.state(instances: 3, sourceIndex: 5)
        _ = states.offer(first, from: "a", at: Self.start, shrinkGuard: Self.shrinkGuard)
        let later = Self.start.addingTimeInterval(30)
        let otherIndex = states.confirm("dc2", replica: "a", bootId: "b", index: 99, at: later, sourceFailingSeconds: 0)
        #expect(!otherIndex, "another index")
        #expect(states.current["dc2"]?.receivedAt == Self.start)
        let sameIndex = states.confirm("dc2", replica: "a", bootId: "b", index: first.index, at: later, sourceFailingSeconds: 10)
        #expect(sameIndex)
        #expect(states.current["dc2"]?.receivedAt == later.addingTimeInterval(-10))

        var again = Self.state(instances: 3, sourceIndex: 6)
        again.services.append(WireService(name: "new", instances: []))
        _ = states.offer(again, from: "a", at: later, shrinkGuard: Self.shrinkGuard)
        let shared = states.current["dc2"]!.state.services[0].instances
        let before = DatacenterStatesTests.state(instances: 3, sourceIndex: 5).services[0].instances
        #expect(shared == before)
        let held = first.services[0].instances
        let offered = again.services[0].instances
        let (sharedAt, offeredAt, heldAt) = (Self.storage(shared), Self.storage(offered), Self.storage(held))
        #expect(sharedAt != offeredAt, "the new answer's own array was replaced by the one already held")
        #expect(sharedAt == heldAt, "it is the array of the earlier answer")
    }
}
