import Testing

@testable import Fuzzing

/// The smoke subset of `scripts/fuzz.sh`: every target for 2,000 seeded cases (the full runs use 100,000 each).
/// A crash fails the test binary itself; a hang or a broken invariant fails the case.
@Suite("Fuzz smoke: every parser, 2,000 seeded cases each", .serialized)
struct FuzzSmokeTests {
    @Test("no crash, no hang, a message for every refusal, nothing applied in part", arguments: FuzzTargets.all().map(\.name))
    func smoke(target name: String) async throws {
        let target = try #require(FuzzTargets.all().first { $0.name == name })
        var runner = FuzzRunner()
        runner.cases = 2_000
        let summary = await runner.run(target)
        #expect(summary.violations.isEmpty, "\(summary.violations)")
        #expect(summary.refused > 0, "the mutations reach the refusals")
        #expect(summary.accepted + summary.refused == summary.cases)
    }

    @Test("a case is reproducible from its seed and number")
    func reproducible() {
        let target = YAMLFuzzTarget.registry
        var first = FuzzRandom(seed: 7, case: 123)
        var second = FuzzRandom(seed: 7, case: 123)
        var other = FuzzRandom(seed: 7, case: 124)
        let input = target.input(&first)
        #expect(input == target.input(&second))
        #expect(input != target.input(&other))
    }
}
