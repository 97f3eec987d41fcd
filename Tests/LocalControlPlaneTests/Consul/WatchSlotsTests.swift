import Testing

@testable import LocalControlPlane

@Suite("Consul watch slots")
struct WatchSlotsTests {
    @Test("a watch cancelled while it waits leaves the queue without a slot; the next release reaches the next waiter")
    func cancelledWaiterLeaves() async throws {
        let slots = WatchSlots(1)
        try await slots.acquire()
        let cancelled = Task { try await slots.acquire() }
        let second = Task { try await slots.acquire() }
        #expect(await Self.eventually { await slots.queued == 2 })

        cancelled.cancel()
        // Bounded: a waiter that ignored its cancellation would stay queued (and `cancelled.value` never return).
        let left = await Self.eventually { await slots.queued == 1 }
        try #require(left, "the cancelled watch left the queue")
        await #expect(throws: CancellationError.self) { try await cancelled.value }

        await slots.release()
        try await second.value  // the one slot went to the waiter still queued
        let third = Task { try await slots.acquire() }
        #expect(await Self.eventually { await slots.queued == 1 }, "no slot left over: the cancelled watch took none")
        third.cancel()
        await #expect(throws: CancellationError.self) { try await third.value }
    }

    private static func eventually(_ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return false
    }
}
