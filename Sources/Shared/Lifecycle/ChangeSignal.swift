import Synchronization

/// "Something changed": any number of watchers, each woken once per burst of changes (a level, never a queue), so a
/// slow watcher reads the newest state instead of working through stale ones.
public final class ChangeSignal: Sendable {
    private struct Watchers {
        var next = 0
        var continuations: [Int: AsyncStream<Void>.Continuation] = [:]
    }

    private let watchers = Mutex(Watchers())

    public init() {}

    /// A stream that yields after every `notify` (bursts coalesced) until the watcher stops iterating it.
    public func changes() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = watchers.withLock { watchers in
            watchers.next += 1
            watchers.continuations[watchers.next] = continuation
            return watchers.next
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.watchers.withLock { $0.continuations.removeValue(forKey: id) }
        }
        return stream
    }

    public func notify() {
        for continuation in watchers.withLock({ Array($0.continuations.values) }) { continuation.yield() }
    }
}
