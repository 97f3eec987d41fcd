import Foundation
import Shared

/// This DC's state as `GET /v1/state` serves it: the local catalog with an index that grows with every catalog
/// change, the boot id, and the remote version applied. Long-pollers wait here until the index moves past theirs.
public actor LocalStatePublisher {
    public let datacenter: String
    public let bootId = UUID().uuidString.lowercased()
    private var index: UInt64 = 0
    private var catalog = ServiceCatalog.empty
    /// Set by the first catalog from the registry source: until then the (empty) catalog says nothing about the DC.
    private var synced = false
    private var sourceIndex: UInt64 = 0
    private var appliedRemoteVersion: String?
    /// Wakes the long-polls waiting for the index to move.
    private let changes = ChangeSignal()
    /// Set at shutdown: long-polls answer at once, so the HTTP server's drain does not wait for their `wait`.
    private var closed = false

    public init(datacenter: String) {
        self.datacenter = datacenter
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
        catalog = newCatalog
        synced = true
        advance()
    }

    /// Recorded without moving the index: an applied push must not make every aggregator read this DC's whole state
    /// again (`GET /v1/state` carries the current value in a header).
    public func remoteApplied(version: String) {
        appliedRemoteVersion = version
    }

    /// Returns at once when `index` is not the current one (newer state, or a restart reset the index),
    /// otherwise when the state changes or `timeout` passes — Consul's blocking-query contract.
    public func state(after index: UInt64?, timeout: Duration) async -> DatacenterState {
        guard let index, index == self.index, !closed else { return current }
        let changed = changes.changes()  // subscribed inside the actor: no change can slip in before the wait
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await _ in changed { return } }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
        return current
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
