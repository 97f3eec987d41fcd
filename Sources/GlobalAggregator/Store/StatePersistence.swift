import Foundation
import Logging
import Metrics
import Shared

/// Writes the DC states in use and the push generation to the store, after the merge that uses them was published.
/// Only what changed since the last good write is written; what a failing disk refused stays pending and is written
/// by the next call, so the aggregator keeps serving from memory meanwhile.
actor StatePersistence {
    private let store: StateStore
    private var saved: [String: DatacenterSnapshot] = [:]
    private var savedGeneration: UInt64 = 0
    /// DCs whose state in use is not on disk yet (as of the last call).
    private var unsaved: [String] = []
    private var failing = false
    private let logger = Logger(label: "aggregator.store")
    private let writes = Metrics.Timer(label: AggregatorMetricNames.storeWriteSeconds)
    private let errors = Counter(label: AggregatorMetricNames.storeErrors)
    private let healthy = Gauge(label: AggregatorMetricNames.storeHealthy)

    init(store: StateStore) {
        self.store = store
    }

    func save(_ current: [String: DatacenterSnapshot], generation: UInt64) async {
        if await store.takeFreshStart() {  // a new file: everything again
            saved = [:]
            savedGeneration = 0
        }
        let pending = current.filter { saved[$0.key] != $0.value }
        unsaved = pending.keys.sorted()
        guard !pending.isEmpty || generation > savedGeneration else { return }
        // A confirmed state (only its time moved) is not encoded and written again: megabytes per DC per poll wait.
        let confirmed = pending.filter { saved[$0.key]?.state == $0.value.state }
        let changed = pending.filter { confirmed[$0.key] == nil }
        let started = ContinuousClock.now
        do {
            try await store.save(Array(changed.values), confirmed: confirmed.mapValues(\.receivedAt), generation: generation)
            writes.record(duration: ContinuousClock.now - started)
            saved.merge(pending) { _, new in new }
            savedGeneration = max(savedGeneration, generation)
            unsaved = []
            healthy.record(1)
            if failing { logger.notice("DC states stored again") }
            failing = false
        } catch {
            errors.increment()
            healthy.record(0)
            if !failing {
                logger.error("cannot store DC states; serving them from memory and retrying", metadata: ["error": "\(error)"])
            }
            failing = true
        }
    }

    /// Why the states are not safely on disk, or nil.
    var problem: String? {
        get async {
            guard let problem = await store.problem else { return nil }
            return unsaved.isEmpty ? problem : "\(problem); states of \(unsaved.joined(separator: ", ")) only in memory"
        }
    }
}
