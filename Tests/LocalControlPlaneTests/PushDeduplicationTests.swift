import Foundation
import Synchronization
import Testing

@testable import LocalControlPlane

@Suite("Push deduplication")
struct PushDeduplicationTests {
    final class Runs: Sendable {
        let count = Mutex(0)
        func run(status: Int) -> PushDeduplication.Answer {
            count.withLock { $0 += 1 }
            return PushDeduplication.Answer(status: status, body: Data("{}".utf8))
        }
    }

    @Test("the same body applied once: a retry joins the push in flight or gets the last success; a refusal is tried again")
    func sameBodyOnce() async throws {
        let pushes = PushDeduplication()
        let runs = Runs()
        let (gate, open) = AsyncStream<Void>.makeStream()
        let slow: @Sendable () async -> PushDeduplication.Answer = {
            for await _ in gate { break }
            return runs.run(status: 200)
        }
        let first = Task { await pushes.once(1, slow) }
        let retry = Task { await pushes.once(1, slow) }
        let deadline = ContinuousClock.now + .seconds(5)
        while await pushes.repeats < 1, ContinuousClock.now < deadline { await Task.yield() }
        try #require(await pushes.repeats == 1, "one request joined the other, in flight")
        open.yield()
        let answers = (await first.value, await retry.value)
        #expect(answers.0.status == 200 && answers.1.status == 200)
        #expect(runs.count.withLock { $0 } == 1, "one decode and apply for the two requests")

        #expect(await pushes.once(1) { runs.run(status: 200) }.status == 200)
        #expect(runs.count.withLock { $0 } == 1, "a replay of the last success is answered without applying")

        #expect(await pushes.once(2) { runs.run(status: 500) }.status == 500)
        #expect(await pushes.once(2) { runs.run(status: 200) }.status == 200)
        #expect(runs.count.withLock { $0 } == 3, "a refused push is applied again when sent again")
        #expect(await pushes.once(1) { runs.run(status: 200) }.status == 200)
        #expect(runs.count.withLock { $0 } == 4, "an older body is applied again once another push came after it")
    }
}
