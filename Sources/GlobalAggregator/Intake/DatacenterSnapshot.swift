import Foundation
import Shared

/// The last good state of one DC and when it was received.
///
/// Every service's instances are kept sorted by id, and digested, once when the state arrives, not on every merge
/// (a merge from nothing would otherwise hash every instance of every DC: 800,000 at 20 DCs × 2,000 services × 20
/// instances, a third of its time); an unchanged service keeps the very same array between merges (the merge
/// recognises it at once).
public struct DatacenterSnapshot: Sendable, Equatable {
    public private(set) var state: DatacenterState
    /// Each service's `RemoteStateVersion.digest(of:)` of its instances, by the service's index in `state.services`.
    public let instanceDigests: [UInt64]
    public var receivedAt: Date

    public init(state: DatacenterState, receivedAt: Date) {
        var state = state
        for index in state.services.indices where !state.services[index].instances.isSortedByID {
            state.services[index].instances.sort { $0.id < $1.id }
        }
        self.state = state
        self.instanceDigests = state.services.map { RemoteStateVersion.digest(of: $0.instances) }
        self.receivedAt = receivedAt
    }
}

extension DatacenterSnapshot {
    public var instanceCount: Int { state.services.reduce(0) { $0 + $1.instances.count } }

    /// Takes `earlier`'s instance arrays for the services whose instances did not change: a new answer of a DC
    /// decodes every array anew, and the merge, the store and the next comparison then tell an unchanged service by
    /// one pointer comparison instead of comparing its instances again.
    mutating func share(unchangedServicesOf earlier: DatacenterSnapshot) {
        let previous = Dictionary(earlier.state.services.map { ($0.name, $0.instances) }, uniquingKeysWith: { first, _ in first })
        for index in state.services.indices {
            if let instances = previous[state.services[index].name], instances == state.services[index].instances {
                state.services[index].instances = instances
            }
        }
    }
}

extension [WireInstance] {
    fileprivate var isSortedByID: Bool {
        indices.dropFirst().allSatisfy { self[$0 - 1].id <= self[$0].id }
    }
}
