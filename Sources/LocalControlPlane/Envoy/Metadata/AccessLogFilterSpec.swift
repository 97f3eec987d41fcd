/// `access_log_filter` in envoy-control syntax: clauses joined by `;`, all of which must hold, e.g.
/// `status_code:>=500;duration:>1000;header:x-debug:1;response_flags:UF,UH`.
public struct AccessLogFilterSpec: Hashable, Sendable {
    public enum Comparison: Hashable, Sendable {
        case atLeast(Int)
        case atMost(Int)
        case equal(Int)
    }

    public enum Clause: Hashable, Sendable {
        case statusCode(Comparison)
        /// Milliseconds.
        case duration(Comparison)
        case header(name: String, value: String)
        case responseFlags([String])
        case notHealthCheck
    }

    public var clauses: [Clause]

    /// Parses the syntax; the error names the clause that is wrong.
    public static func parse(_ text: String) throws(NodeMetadataError) -> AccessLogFilterSpec {
        var clauses: [Clause] = []
        for raw in text.split(separator: ";", omittingEmptySubsequences: true) {
            let clause = raw.trimmingCharacters(in: .whitespaces)
            let parts = clause.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            func fail(_ reason: String) -> NodeMetadataError {
                NodeMetadataError(field: "metadata.access_log_filter", reason: "clause '\(clause)' \(reason)")
            }
            switch parts[0].lowercased() {
            case "status_code":
                guard parts.count == 2, let comparison = Self.comparison(parts[1]), case let value = comparison.value, (100...599).contains(value) else {
                    throw fail("must be status_code:<op><code> with op one of >=, <=, =, >, < and a code 100-599")
                }
                clauses.append(.statusCode(comparison))
            case "duration":
                guard parts.count == 2, let comparison = Self.comparison(parts[1]) else {
                    throw fail("must be duration:<op><milliseconds> with op one of >=, <=, =, >, < and 0-4294967295 ms")
                }
                clauses.append(.duration(comparison))
            case "header":
                guard parts.count == 3, !parts[1].isEmpty else { throw fail("must be header:<name>:<value>") }
                clauses.append(.header(name: parts[1].lowercased(), value: parts[2]))
            case "response_flags":
                let flags = parts.count == 2 ? parts[1].split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } : []
                guard !flags.isEmpty, flags.allSatisfy({ $0.count >= 2 && $0.allSatisfy(\.isLetter) }) else {
                    throw fail("must be response_flags:<FLAG>[,<FLAG>...] (Envoy flags such as UF, UH, NR)")
                }
                clauses.append(.responseFlags(flags))
            case "not_health_check":
                guard parts.count == 1 else { throw fail("takes no value") }
                clauses.append(.notHealthCheck)
            default:
                throw fail("is unknown (status_code, duration, header, response_flags, not_health_check)")
            }
        }
        guard !clauses.isEmpty else {
            throw NodeMetadataError(field: "metadata.access_log_filter", reason: "has no clause")
        }
        return AccessLogFilterSpec(clauses: clauses)
    }

    /// `>=`, `<=`, `=`, `>` and `<` followed by a whole number in Envoy's range (uint32); Envoy only knows GE, LE
    /// and EQ. Numbers outside the range are refused rather than wrapped or trapped on.
    private static func comparison(_ text: String) -> Comparison? {
        let limit = Int(UInt32.max)
        func number(_ digits: Substring) -> Int? { Int(digits).flatMap { (0...limit).contains($0) ? $0 : nil } }
        for (op, make) in [(">=", Comparison.atLeast), ("<=", Comparison.atMost), ("=", Comparison.equal)] as [(String, (Int) -> Comparison)] {
            if text.hasPrefix(op), let value = number(text.dropFirst(op.count)) { return make(value) }
        }
        if text.hasPrefix(">"), let value = number(text.dropFirst()), value < limit { return .atLeast(value + 1) }
        if text.hasPrefix("<"), let value = number(text.dropFirst()), value > 0 { return .atMost(value - 1) }
        return nil
    }
}

extension AccessLogFilterSpec.Comparison {
    var value: Int {
        switch self {
        case .atLeast(let value), .atMost(let value), .equal(let value): value
        }
    }
}
