import Synchronization

/// Hands the newest snapshot from the cache to one stream. A slow stream skips intermediate snapshots
/// instead of queueing them, so its memory stays bounded whatever the change rate.
final class SnapshotMailbox: Sendable {
    private let state = Mutex<(snapshot: Snapshot?, signalled: Bool)>((nil, false))

    /// Stores the snapshot; true when the stream must be woken (no wake-up is pending yet).
    func put(_ snapshot: Snapshot) -> Bool {
        state.withLock { state in
            state.snapshot = snapshot
            defer { state.signalled = true }
            return !state.signalled
        }
    }

    func take() -> Snapshot? {
        state.withLock { state in
            state.signalled = false
            defer { state.snapshot = nil }
            return state.snapshot
        }
    }
}
