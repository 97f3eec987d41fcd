import Foundation
import Metrics
import NIOCore
import Shared

/// Pushes whose bodies are byte for byte the same are decoded and applied once. At 20 DCs × 2,000 services a whole
/// state takes a busy control plane longer than the aggregator's request deadline; the aggregator then sends the
/// same body again, and decoding every retry (while the first is still being applied) kept the control planes of a
/// loaded machine from ever finishing. A retry now joins the push in flight, or gets the answer of the last one.
actor PushDeduplication {
    /// What a push was answered: an HTTP status and a JSON body; `repeated`, the body for the same push sent again
    /// once it succeeded (nothing more was applied), when it differs.
    struct Answer: Sendable {
        var status: Int
        var body: Data
        var repeated: Data? = nil
        var succeeded: Bool { (200..<300).contains(status) }
    }

    private var inFlight: [UInt64: Task<Answer, Never>] = [:]
    /// The last push that succeeded; a replay of it (the aggregator's retry after a timeout) gets the same answer.
    private var last: (digest: UInt64, answer: Answer)?
    /// Requests answered without applying their body again.
    private(set) var repeats = 0
    private let repeatCounter = Counter(label: MetricNames.remoteStatePushRepeats)

    /// Identifies a push as received: its bytes and whether they are gzip-compressed.
    static func digest(of body: ByteBuffer, gzip: Bool) -> UInt64 {
        var hash = ContentHash()
        hash.add(gzip ? 1 : 0)
        body.withUnsafeReadableBytes { hash.add($0) }
        return hash.value
    }

    func once(_ digest: UInt64, _ operation: @escaping @Sendable () async -> Answer) async -> Answer {
        if let last, last.digest == digest {
            counted()
            var answer = last.answer
            answer.body = answer.repeated ?? answer.body
            return answer
        }
        if let running = inFlight[digest] {
            counted()
            return await running.value
        }
        let task = Task { await operation() }
        inFlight[digest] = task
        let answer = await task.value
        inFlight[digest] = nil
        // Only a success is replayed: a refusal (e.g. storage failing, a conflict) must be tried again for real.
        if answer.succeeded { last = (digest, answer) } else if last?.digest == digest { last = nil }
        return answer
    }

    private func counted() {
        repeats += 1
        repeatCounter.increment()
    }
}
