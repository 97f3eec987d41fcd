import Foundation
import Synchronization

/// Shared by every simulated Envoy: when each stream got its full config, which change markers each stream
/// has seen, and the bytes received. A change is done when every stream subscribed to its service has it.
final class LoadRecorder: Sendable {
    struct Change: Sendable {
        let service: String
        let startedAt: ContinuousClock.Instant
        let expected: Int
        var received = 0
        var lastArrival: ContinuousClock.Instant?
    }

    private struct State {
        var configuredAt: [ContinuousClock.Instant?]
        var configuredCount = 0
        var changes: [Int: Change] = [:]
        /// Per service, the pending change sequence numbers in order.
        var pendingByService: [String: [Int]] = [:]
        var completed: [Duration] = []
        var arrivals: [Duration] = []
        var sends: [Duration] = []
        var backlog: [Int] = []
        var reconnects = 0
    }

    private let state: Mutex<State>
    private let bytes = Atomic<Int>(0)

    init(streams: Int) {
        state = Mutex(State(configuredAt: Array(repeating: nil, count: streams)))
    }

    func received(bytes count: Int) { bytes.add(count, ordering: .relaxed) }

    var bytesReceived: Int { bytes.load(ordering: .relaxed) }

    func configured(_ stream: Int) {
        state.withLock { state in
            guard state.configuredAt[stream] == nil else { return }
            state.configuredAt[stream] = .now
            state.configuredCount += 1
        }
    }

    /// A stream lost its connection: it counts as unconfigured until it has its config again.
    func disconnected(_ stream: Int) {
        state.withLock { state in
            guard state.configuredAt[stream] != nil else { return }
            state.configuredAt[stream] = nil
            state.configuredCount -= 1
            state.reconnects += 1
        }
    }

    var configuredCount: Int { state.withLock { $0.configuredCount } }

    var reconnects: Int { state.withLock { $0.reconnects } }

    func begin(change sequence: Int, service: String, expected: Int) {
        state.withLock { state in
            state.changes[sequence] = Change(service: service, startedAt: .now, expected: expected)
            state.pendingByService[service, default: []].append(sequence)
        }
    }

    /// `stream` now has `service` at change `sequence` (having had `previous`): every pending change of the service
    /// in between reached it, since a newer endpoint set carries the older changes too.
    func observe(stream: Int, service: String, previous: Int, sequence: Int) {
        let now = ContinuousClock.now
        state.withLock { state in
            guard let pending = state.pendingByService[service] else { return }
            var done: [Int] = []
            for number in pending where number > previous && number <= sequence {
                guard var change = state.changes[number] else { continue }
                change.received += 1
                change.lastArrival = now
                state.arrivals.append(now - change.startedAt)
                if change.received >= change.expected {
                    state.completed.append(now - change.startedAt)
                    state.changes[number] = nil
                    done.append(number)
                } else {
                    state.changes[number] = change
                }
            }
            if !done.isEmpty {
                state.pendingByService[service] = pending.filter { !done.contains($0) }
            }
        }
    }

    /// The change source (the Consul double's move request) took `delay` to accept a change.
    func sent(after delay: Duration) {
        state.withLock { $0.sends.append(delay) }
    }

    var pendingChanges: Int { state.withLock { $0.changes.count } }

    /// Notes how many changes are pending now (the sustained phase's backlog, once a second).
    func sampleBacklog() {
        state.withLock { $0.backlog.append($0.changes.count) }
    }

    /// The backlog samples since the last call.
    func takeBacklog() -> [Int] {
        state.withLock { state in
            defer { state.backlog = [] }
            return state.backlog
        }
    }

    func isDone(_ sequence: Int) -> Bool { state.withLock { $0.changes[sequence] == nil } }

    /// Since the last call: completion times of the changes finished, every per-stream arrival time, and how long
    /// the source took to accept each change.
    func takeLatencies() -> (changes: [Duration], arrivals: [Duration], sends: [Duration]) {
        state.withLock { state in
            defer { (state.completed, state.arrivals, state.sends) = ([], [], []) }
            return (state.completed, state.arrivals, state.sends)
        }
    }
}
