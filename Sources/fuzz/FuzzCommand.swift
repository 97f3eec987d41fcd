import ArgumentParser
import Foundation
import Fuzzing
import Logging

/// `fuzz`: seeded fuzzing of every input the processes read from outside (see docs/RELIABILITY.md).
@main
struct FuzzCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuzz", abstract: "Feed seeded random and hostile inputs to every parser; fail on a crash, hang or broken invariant.")

    @Option(help: "Target to run (default: all): \(FuzzTargets.all().map(\.name).joined(separator: ", ")).") var target: String?
    @Option(help: "Cases per target.") var cases = 100_000
    @Option(help: "Seed; a case is reproduced by (seed, case).") var seed: UInt64 = 1
    @Option(help: "Run only this case (replay).") var replay: Int?
    @Option(help: "Write the summaries as JSON here.") var json: String?

    func run() async throws {
        // The parsers' own logging (one line per catalog applied, per refusal) would drown the summary.
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .critical
            return handler
        }
        CrashReporter.install()
        let targets = FuzzTargets.all().filter { target == nil || $0.name == target }
        guard !targets.isEmpty else { throw ValidationError("unknown target \(target ?? "")") }
        var runner = FuzzRunner()
        runner.seed = seed
        runner.cases = cases
        var summaries: [FuzzRunner.Summary] = []
        for fuzzTarget in targets {
            CrashReporter.target = fuzzTarget.name
            if let replay {
                var random = FuzzRandom(seed: seed, case: replay)
                let input = String(decoding: fuzzTarget.input(&random), as: UTF8.self).debugDescription
                FileHandle.standardError.write(Data("input of case \(replay): \(input)\n".utf8))  // unbuffered: the case may crash
            }
            let summary = await runner.run(fuzzTarget, cases: replay.map { $0..<($0 + 1) })
            summaries.append(summary)
            print(String(format: "fuzz %@: %d cases in %.1f s: %d accepted, %d refused, slowest %.3f s (case %d), %@",
                         summary.target, summary.cases, summary.totalSeconds, summary.accepted, summary.refused,
                         summary.slowestCaseSeconds, summary.slowestCase, summary.passed ? "ok" : "FAILED"))
            summary.refusalSamples.prefix(3).forEach { print("  refused: \($0)") }
            summary.violations.forEach { print("  VIOLATION \($0)") }
        }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(summaries).write(to: URL(fileURLWithPath: json))
        }
        if summaries.contains(where: { !$0.passed }) { throw ExitCode.failure }
    }
}
