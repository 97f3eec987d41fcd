import Foundation
import Synchronization

/// Runs one target for N seeded cases and sums up: accepted, refused (with a sample of the messages), broken
/// invariants, and the slowest case (a case slower than `hangLimit` counts as a hang).
public struct FuzzRunner: Sendable {
    public var seed: UInt64 = 1
    public var cases = 100_000
    public var hangLimit: Duration = .seconds(1)

    public init() {}

    public struct Summary: Sendable, Codable {
        public var target: String
        public var cases = 0
        public var accepted = 0
        public var refused = 0
        public var violations: [String] = []
        public var refusalSamples: [String] = []
        public var slowestCaseSeconds = 0.0
        public var slowestCase = 0
        public var totalSeconds = 0.0

        public var passed: Bool { violations.isEmpty }
    }

    /// The case being run, for the crash handler of the `fuzz` tool: a crash names the case to replay.
    public static let currentCase = Atomic<Int>(-1)

    public func run(_ target: any FuzzTarget, cases range: Range<Int>? = nil) async -> Summary {
        var summary = Summary(target: target.name)
        let started = ContinuousClock.now
        for number in range ?? 0..<cases {
            Self.currentCase.store(number, ordering: .relaxed)
            var random = FuzzRandom(seed: seed, case: number)
            let input = target.input(&random)
            let caseStarted = ContinuousClock.now
            let outcome = await target.check(input)
            let seconds = (ContinuousClock.now - caseStarted).fuzzSeconds
            if seconds > summary.slowestCaseSeconds { (summary.slowestCaseSeconds, summary.slowestCase) = (seconds, number) }
            summary.cases += 1
            switch outcome {
            case .accepted: summary.accepted += 1
            case .refused(let message):
                summary.refused += 1
                let sample = String(message.prefix(160))
                if summary.refusalSamples.count < 8, !summary.refusalSamples.contains(sample) { summary.refusalSamples.append(sample) }
            case .violation(let message):
                if summary.violations.count < 10 { summary.violations.append("case \(number): \(message.prefix(300))") }
            }
            if seconds > hangLimit.fuzzSeconds, summary.violations.count < 10 {
                summary.violations.append("case \(number): took \(String(format: "%.2f", seconds)) s (input \(input.count) bytes)")
            }
        }
        summary.totalSeconds = (ContinuousClock.now - started).fuzzSeconds
        return summary
    }
}

extension Duration {
    var fuzzSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
