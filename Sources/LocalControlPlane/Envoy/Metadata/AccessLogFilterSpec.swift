/// `access_log_filter`: envoy-control's struct (`status_code_filter: "GE:500"`, `duration_filter`, `header_filter:
/// "name:regex"`, `response_flag_filter: "UH,UF"`, `not_health_check_filter`), or our earlier string form: clauses
/// joined by `;`, all of which must hold, e.g. `status_code:>=500;duration:>1000;header:x-debug:1;response_flags:UF,UH`.
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
        case headerRegex(name: String, regex: String)
        case responseFlags([String])
        case notHealthCheck
    }

    public var clauses: [Clause]

    public init(clauses: [Clause]) {
        self.clauses = clauses
    }

    /// Either form. In the struct form each absent key takes the server's `accessLog.filters` value, as in
    /// envoy-control; `defaults` are checked when the settings are read.
    static func parse(
        _ reader: MetadataReader?, defaults: SnapshotProperties.AccessLogFilterProperties
    ) throws(NodeMetadataError) -> AccessLogFilterSpec {
        if let reader, case .stringValue(let text) = reader.value.kind { return try parse(text) }
        var clauses: [Clause] = []
        for key in StructKey.allCases {
            if let field = try reader?.child(key.rawValue) {
                let value: StructValue = key == .notHealthCheck ? .flag(try field.bool()) : .text(try field.string())
                switch clause(key, value) {
                case .success(let clause): clauses += clause.map { [$0] } ?? []
                case .failure(let reason): throw field.error(reason.text)
                }
            } else if let value = defaults.value(of: key), case .success(let clause?) = self.clause(key, value) {
                clauses.append(clause)
            }
        }
        return AccessLogFilterSpec(clauses: clauses)
    }

    /// The struct form's keys, in the order envoy-control builds its filters.
    enum StructKey: String, CaseIterable {
        case statusCode = "status_code_filter", duration = "duration_filter", notHealthCheck = "not_health_check_filter"
        case responseFlag = "response_flag_filter", header = "header_filter"
    }

    enum StructValue {
        case text(String)
        case flag(Bool)
    }

    struct InvalidClause: Error {
        let text: String
    }

    /// One key of the struct form (`GE:500`, `HEADER:REGEX`, `UF,NR`, a flag): nil for a false flag.
    static func clause(_ key: StructKey, _ value: StructValue) -> Result<Clause?, InvalidClause> {
        switch (key, value) {
        case (.notHealthCheck, .flag(let on)): return .success(on ? .notHealthCheck : nil)
        case (.statusCode, .text(let text)), (.duration, .text(let text)):
            let parts = text.uppercased().split(separator: ":", omittingEmptySubsequences: false)
            let operators: [Substring: (Int) -> Comparison] = ["GE": Comparison.atLeast, "LE": Comparison.atMost, "EQ": Comparison.equal]
            guard parts.count == 2, let op = operators[parts[0]], !parts[1].isEmpty, parts[1].allSatisfy(\.isNumber),
                  let value = Int(parts[1]), value <= Int(UInt32.max) else {
                return .failure(InvalidClause(text: "'\(text)' is not OPERATOR:VALUE with OPERATOR one of GE, LE, EQ (e.g. GE:500)"))
            }
            return .success(key == .statusCode ? .statusCode(op(value)) : .duration(op(value)))
        case (.header, .text(let text)):
            let parts = text.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, (try? Regex(String(parts[1]))) != nil else {
                return .failure(InvalidClause(text: "'\(text)' is not HEADER_NAME:REGEX"))
            }
            return .success(.headerRegex(name: parts[0].lowercased(), regex: String(parts[1])))
        case (.responseFlag, .text(let text)):
            let flags = text.uppercased().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if let bad = flags.first(where: { !Self.responseFlags.contains($0) }) {
                return .failure(InvalidClause(text: "'\(bad)' is not an Envoy response flag (\(Self.responseFlags.joined(separator: ",")))"))
            }
            return .success(.responseFlags(flags))
        default:
            return .failure(InvalidClause(text: "has the wrong type"))
        }
    }

    /// The flags envoy-control's validator knows.
    static let responseFlags = [
        "UH", "UF", "UO", "NR", "URX", "NC", "DT", "DC", "LH", "UT", "LR", "UR", "UC", "DI", "FI", "RL", "UAEX", "RLSE", "IH", "SI",
        "DPE", "UPE", "UMSDR", "OM", "DF",
    ]

    /// Parses the string form; the error names the clause that is wrong.
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
