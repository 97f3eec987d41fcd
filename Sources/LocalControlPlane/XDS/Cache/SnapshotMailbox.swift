import Synchronization

/// Hands the newest snapshot from the cache to one stream. A slow stream skips intermediate snapshots
/// instead of queueing them, so its memory stays bounded whatever the change rate. The cache's `put` wakes the
/// stream directly: no task per stream sits between the cache and the stream (10,000 fewer tasks and one task
/// switch less per stream and change).
public final class SnapshotMailbox: Sendable {
    private let state = Mutex<(snapshot: Snapshot?, signalled: Bool)>((nil, false))
    private let wake: @Sendable () -> Void

    /// `wake` is called when a snapshot arrives and no earlier wake-up is pending (the stream has taken everything).
    public init(wake: @escaping @Sendable () -> Void) {
        self.wake = wake
    }

    public func put(_ snapshot: Snapshot) {
        let mustWake = state.withLock { state in
            state.snapshot = snapshot
            defer { state.signalled = true }
            return !state.signalled
        }
        if mustWake { wake() }
    }

    public func take() -> Snapshot? {
        state.withLock { state in
            state.signalled = false
            defer { state.snapshot = nil }
            return state.snapshot
        }
    }
}
