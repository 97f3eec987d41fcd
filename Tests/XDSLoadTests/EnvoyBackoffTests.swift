import Testing

@testable import XDSLoad

/// The simulated Envoys reconnect on Envoy's schedule, so the restart figure measures what real Envoys would see.
@Suite("xds-load reconnect schedule")
struct EnvoyBackoffTests {
    /// Many draws of the k-th wait after a reset.
    private func waits(at step: Int, draws: Int = 2_000) -> [Double] {
        (0..<draws).map { _ in
            var backoff = EnvoyBackoff()
            for _ in 0..<step { _ = backoff.next() }
            let wait = backoff.next().components
            return Double(wait.seconds) + Double(wait.attoseconds) / 1e18
        }
    }

    @Test("each wait is uniform over [0, interval): the interval doubles from 0.5 s and stops at 30 s")
    func fullJitterDoubling() {
        for (step, interval) in [(0, 0.5), (1, 1.0), (3, 4.0), (6, 30.0), (9, 30.0)] {
            let draws = waits(at: step)
            let mean = draws.reduce(0, +) / Double(draws.count)
            #expect(draws.allSatisfy { $0 >= 0 && $0 < interval }, "step \(step)")
            #expect(draws.max()! > 0.9 * interval && draws.min()! < 0.1 * interval, "step \(step) spans the range")
            #expect(abs(mean - interval / 2) < 0.05 * interval, "step \(step): mean \(mean)")
        }
    }

    @Test("a received message starts the schedule over")
    func resetOnAnswer() {
        var backoff = EnvoyBackoff()
        for _ in 0..<5 { _ = backoff.next() }
        #expect(backoff.interval == 16)
        backoff.reset()
        #expect(backoff.interval == EnvoyBackoff.base)
        #expect(backoff.next() < .milliseconds(500))
    }

    @Test("the channel's reconnects draw from the same ranges: grpc-swift's b ± b with b half of Envoy's interval")
    func channelMatches() {
        let channel = EnvoyBackoff.channelReconnects
        #expect(channel.initial == .milliseconds(250))
        #expect(channel.multiplier == 2 && channel.jitter == 1)
        #expect(channel.max * 2 == .seconds(EnvoyBackoff.ceiling))
    }
}
