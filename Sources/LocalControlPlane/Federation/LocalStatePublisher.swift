import Foundation
import Shared

/// This DC's state as `GET /v1/state` serves it: the local catalog with an index that grows with every catalog
/// change, the boot id, and the remote version applied. Long-pollers wait here until the index moves past theirs.
/// A poller that holds a state of this boot gets only what changed since (`DatacenterStateDelta`).
public actor LocalStatePublisher {
    /// What a long-poll answers.
    public enum Answer: Sendable {
        case whole(DatacenterState)
        case delta(DatacenterStateDelta)

        public var bootId: String {
            switch self {
            case .whole(let state): state.bootId
            case .delta(let delta): delta.bootId
            }
        }

        public var index: UInt64 {
            switch self {
            case .whole(let state): state.index
            case .delta(let delta): delta.index
            }
        }

        public var appliedRemoteVersion: String? {
            switch self {
            case .whole(let state): state.appliedRemoteVersion
            case .delta(let delta): delta.appliedRemoteVersion
            }
        }
    }

    public let datacenter: String
    public let bootId = UUID().uuidString.lowercased()
    private var index: UInt64 = 0
    private var catalog = ServiceCatalog.empty
    /// Set by the first catalog from the registry source: until then the (empty) catalog says nothing about the DC.
    private var synced = false
    private var sourceIndex: UInt64 = 0
    private var appliedRemoteVersion: String?
    /// The index at which each service last changed, and at which each removed service went away.
    private var changedAt: [String: UInt64] = [:]
    private var removedAt: [String: UInt64] = [:]
    /// Deltas are served from this index on: removals before it are forgotten.
    private var deltaFloor: UInt64 = 0
    /// Removals remembered for deltas; a poller further behind gets the whole state.
    private let keptRemovals: Int
    /// Wakes the long-polls waiting for the index to move.
    private let changes = ChangeSignal()
    /// Set at shutdown: long-polls answer at once, so the HTTP server's drain does not wait for their `wait`.
    private var closed = false

    public init(datacenter: String, keptRemovals: Int = 4096) {
        self.datacenter = datacenter
        self.keptRemovals = keptRemovals
    }

    public var current: DatacenterState {
        DatacenterState(
            datacenter: datacenter, index: index, bootId: bootId, catalog: catalog, appliedRemoteVersion: appliedRemoteVersion,
            synced: synced, sourceIndex: sourceIndex)
    }

    /// A complete catalog from the registry source (the first one marks the state synced).
    public func publish(_ newCatalog: ServiceCatalog, sourceIndex newSourceIndex: UInt64) {
        sourceIndex = newSourceIndex
        guard newCatalog != catalog || !synced else { return }
        let changed = catalog.changedServices(in: newCatalog)
        catalog = newCatalog
        synced = true
        advance()
        for name in changed {
            if newCatalog[name] == nil {
                changedAt[name] = nil
                removedAt[name] = index
            } else {
                changedAt[name] = index
                removedAt[name] = nil
            }
        }
        forgetOldRemovals()
    }

    /// Recorded without moving the index: an applied push must not make every aggregator read this DC's whole state
    /// again (`GET /v1/state` carries the current value in a header).
    public func remoteApplied(version: String) {
        appliedRemoteVersion = version
    }

    /// Returns at once when `index` is not the current one (newer state, or a restart reset the index),
    /// otherwise when the state changes or `timeout` passes — Consul's blocking-query contract. The whole state, or,
    /// for a poller holding a state of boot `heldBootId` at `index`, only what changed since, when this publisher
    /// still remembers it.
    public func answer(after index: UInt64?, heldBootId: String?, timeout: Duration) async -> Answer {
        await waitForChange(after: index, timeout: timeout)
        guard let index, heldBootId == bootId, index >= deltaFloor, index <= self.index else { return .whole(current) }
        return .delta(delta(since: index))
    }

    /// What changed after `base`, computed in the same actor turn as the index it reports.
    private func delta(since base: UInt64) -> DatacenterStateDelta {
        let changed = changedAt.filter { $0.value > base }.keys.sorted().compactMap { catalog[$0].map(WireService.init) }
        let removed = removedAt.filter { $0.value > base }.keys.sorted()
        return DatacenterStateDelta(
            datacenter: datacenter, bootId: bootId, baseIndex: base, index: index, changed: changed, removed: removed,
            appliedRemoteVersion: appliedRemoteVersion, synced: synced, sourceIndex: sourceIndex)
    }

    private func waitForChange(after index: UInt64?, timeout: Duration) async {
        guard let index, index == self.index, !closed else { return }
        let changed = changes.changes()  // subscribed inside the actor: no change can slip in before the wait
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await _ in changed { return } }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Keeps the newest half when the removals outgrow `keptRemovals`; deltas from before them are no longer served.
    private func forgetOldRemovals() {
        guard removedAt.count > keptRemovals else { return }
        let forgotten = removedAt.sorted { $0.value < $1.value }.prefix(removedAt.count - keptRemovals / 2)
        for (name, _) in forgotten { removedAt[name] = nil }
        deltaFloor = forgotten.last.map(\.value) ?? deltaFloor
    }

    /// Ends every long-poll now and any later one at once (graceful shutdown).
    public func close() {
        closed = true
        changes.notify()
    }

    private func advance() {
        index += 1
        changes.notify()
    }
}
