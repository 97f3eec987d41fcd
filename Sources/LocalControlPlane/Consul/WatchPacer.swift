import Shared

/// Keeps one watch from hammering Consul: requests at least `minimumInterval` apart, jittered exponential
/// backoff after errors, and the same backoff when Consul answers "no change" long before `wait` ended or keeps
/// resetting its index (a misbehaving server or proxy that returns at once would otherwise make the watch spin).
struct WatchPacer: Sendable {
    let minimumInterval: Duration
    let wait: Duration
    private var backoff: Backoff
    private var lastStart: ContinuousClock.Instant?
    private var pause: Duration = .zero

    init(_ settings: ConsulWatchSettings) {
        minimumInterval = settings.minRequestInterval
        wait = settings.wait
        backoff = Backoff(base: .milliseconds(100), max: settings.maxRetryInterval)
    }

    /// Sleeps until the next request may start, and notes its start.
    mutating func awaitTurn() async throws {
        let now = ContinuousClock.now
        let earliest = max(lastStart.map { $0 + minimumInterval } ?? now, now + pause)
        if earliest > now { try await Task.sleep(until: earliest) }
        lastStart = .now
        pause = .zero
    }

    mutating func succeeded(_ outcome: BlockingIndex.Outcome) {
        let returnedEarly = lastStart.map { ContinuousClock.now - $0 < wait / 2 } ?? false
        switch outcome {
        case .changed: backoff.reset()
        case .unchanged where !returnedEarly: backoff.reset()
        case .unchanged, .reset: pause = backoff.next()
        }
    }

    mutating func failed() {
        pause = backoff.next()
    }
}
