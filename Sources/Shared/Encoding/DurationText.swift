/// Parses durations written as operators write them in YAML and metadata: `250ms`, `2s`, `1m`, `1h`, `1.5s`.
public enum DurationText {
    /// The longest duration Envoy accepts (protobuf Duration's limit, 10,000 years); longer ones are refused here
    /// rather than trapping on the conversion or being rejected by Envoy.
    public static let maxMilliseconds = 315_576_000_000_000.0

    public static func parse(_ text: String) -> Duration? {
        let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for unit in units where text.hasSuffix(unit.suffix) {
            guard let value = Double(text.dropLast(unit.suffix.count)), value >= 0, value.isFinite else { return nil }
            let milliseconds = (value * unit.seconds * 1000).rounded()
            guard milliseconds <= maxMilliseconds else { return nil }
            return .milliseconds(Int64(milliseconds))
        }
        return nil
    }

    public static func format(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000)s" : "\(milliseconds)ms"
    }
}
