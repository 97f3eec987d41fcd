/// Jittered exponential backoff: after n failures wait a random time in [0.5, 1] × min(max, base × 2ⁿ).
public struct Backoff: Sendable {
    public var base: Duration = .milliseconds(250)
    public var max: Duration = .seconds(30)
    private(set) var failures = 0

    public init(base: Duration = .milliseconds(250), max: Duration = .seconds(30)) {
        self.base = base
        self.max = max
    }

    public mutating func next() -> Duration {
        let exponent = Swift.min(failures, 16)
        failures += 1
        let ceiling = Swift.min(max, base * (1 << exponent))
        return ceiling * Double.random(in: 0.5...1.0)
    }

    public mutating func reset() { failures = 0 }
}
