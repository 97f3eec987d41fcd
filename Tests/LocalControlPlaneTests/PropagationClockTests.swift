import Testing

@testable import LocalControlPlane

@Suite("change propagation clock")
struct PropagationClockTests {
    @Test("an ACK ends the oldest pending change of its type; a NACK drops it; other types are separate")
    func settle() {
        var clock = PropagationClock()
        let first = ContinuousClock.now - .seconds(2)
        clock.sent(.endpoint, changedAt: first)
        clock.sent(.endpoint, changedAt: .now)
        clock.sent(.cluster, changedAt: .now)
        #expect(clock.settle(.endpoint, .subscribe) == nil)
        let elapsed = clock.settle(.endpoint, .ack(version: "v2"))
        #expect(elapsed.map { $0 >= .seconds(2) } == true, "timed from the older change: \(String(describing: elapsed))")
        #expect(clock.settle(.endpoint, .ack(version: "v2")) == nil, "nothing pending any more")
        #expect(clock.settle(.cluster, .nack(version: "v3", detail: "bad")) == nil)
        #expect(clock.settle(.cluster, .ack(version: "v3")) == nil, "the NACKed change is not timed")
    }
}
