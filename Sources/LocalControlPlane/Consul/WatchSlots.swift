/// Bounds how many blocking queries run at once (each holds an HTTP/1.1 connection to Consul for up to `wait`).
/// A watch cancelled while it waits for a slot leaves the queue at once (its service left the catalog, or the
/// control plane is stopping) instead of holding its place until a slot frees.
actor WatchSlots {
    private var free: Int
    private var waiting: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextID: UInt64 = 0

    init(_ count: Int) {
        free = count
    }

    /// Takes a slot; throws `CancellationError` (holding none) when the task is cancelled first.
    func acquire() async throws {
        try Task.checkCancellation()
        if free > 0 {
            free -= 1
            return
        }
        nextID += 1
        let id = nextID
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled {  // cancelled before it was queued: `cancel` will find nothing to remove
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiting.append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancel(id) }
        }
    }

    func release() {
        if waiting.isEmpty {
            free += 1
        } else {
            waiting.removeFirst().continuation.resume()
        }
    }

    var queued: Int { waiting.count }

    private func cancel(_ id: UInt64) {
        // Not found: it already has its slot, or was never queued.
        if let position = waiting.firstIndex(where: { $0.id == id }) {
            waiting.remove(at: position).continuation.resume(throwing: CancellationError())
        }
    }
}
