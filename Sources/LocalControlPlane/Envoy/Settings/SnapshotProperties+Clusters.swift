import Shared

/// How service clusters protect themselves, as envoy-control's `egress.common-http.circuit-breakers.*` and
/// `cluster-outlier-detection.*` properties set it.
extension SnapshotProperties {
    /// `egress.commonHttp.circuitBreakers`: the thresholds of the two routing priorities.
    public struct CircuitBreakerProperties: Hashable, Sendable {
        public var defaultThreshold = Threshold()
        public var highThreshold = Threshold()
    }

    public struct Threshold: Hashable, Sendable {
        public var maxConnections = 1024
        public var maxPendingRequests = 1024
        public var maxRequests = 1024
        public var maxRetries = 3
        /// Envoy publishes `circuit_breakers.<priority>.remaining_*` gauges.
        public var trackRemaining = true
    }

    /// `clusterOutlierDetection`: with `enabled`, every service cluster ejects hosts that fail (envoy-control's
    /// defaults). Off, only clusters with other DCs' endpoints eject (the federation's own, stricter detection).
    public struct ClusterOutlierDetectionProperties: Hashable, Sendable {
        public var enabled = false
        public var consecutive5xx = 5
        public var interval: Duration = .seconds(10)
        public var baseEjectionTime: Duration = .seconds(30)
        public var maxEjectionPercent = 10
        public var enforcingConsecutive5xx = 100
        public var enforcingSuccessRate = 100
        public var successRateMinimumHosts = 5
        public var successRateRequestVolume = 100
        public var successRateStdevFactor = 1900
        public var consecutiveGatewayFailure = 5
        public var enforcingConsecutiveGatewayFailure = 0
        public var alwaysEjectOneHost = true
    }
}

extension SnapshotProperties.CircuitBreakerProperties: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("defaultThreshold", \.defaultThreshold),
            .value("highThreshold", \.highThreshold),
        ]
    }
}

extension SnapshotProperties.Threshold: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: ["maxConnections", "maxPendingRequests", "maxRequests", "maxRetries", "trackRemaining"])
        for (key, path) in [
            ("maxConnections", \Self.maxConnections), ("maxPendingRequests", \Self.maxPendingRequests), ("maxRequests", \Self.maxRequests),
            ("maxRetries", \Self.maxRetries),
        ] as [(String, WritableKeyPath<Self, Int>)] {
            try keys.set(&self[keyPath: path], key)
            guard self[keyPath: path] >= 0 && self[keyPath: path] <= Int(UInt32.max) else { throw keys.invalid(key, "must be 0 or more") }
        }
        try keys.set(&trackRemaining, "trackRemaining")
    }
}

extension SnapshotProperties.ClusterOutlierDetectionProperties: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let counts: [(String, WritableKeyPath<Self, Int>)] = [
            ("consecutive5xx", \.consecutive5xx), ("maxEjectionPercent", \.maxEjectionPercent),
            ("enforcingConsecutive5xx", \.enforcingConsecutive5xx), ("enforcingSuccessRate", \.enforcingSuccessRate),
            ("successRateMinimumHosts", \.successRateMinimumHosts), ("successRateRequestVolume", \.successRateRequestVolume),
            ("successRateStdevFactor", \.successRateStdevFactor), ("consecutiveGatewayFailure", \.consecutiveGatewayFailure),
            ("enforcingConsecutiveGatewayFailure", \.enforcingConsecutiveGatewayFailure),
        ]
        let percentages: Set<String> = ["maxEjectionPercent", "enforcingConsecutive5xx", "enforcingSuccessRate", "enforcingConsecutiveGatewayFailure"]
        let keys = try decoder.settings(known: counts.map(\.0) + ["enabled", "interval", "baseEjectionTime", "alwaysEjectOneHost"])
        try keys.set(&enabled, "enabled")
        for (key, path) in counts {
            try keys.set(&self[keyPath: path], key)
            let limit = percentages.contains(key) ? 100 : Int(UInt32.max)
            guard (0...limit).contains(self[keyPath: path]) else { throw keys.invalid(key, "\(self[keyPath: path]) is not in 0-\(limit)") }
        }
        try keys.setDuration(&interval, "interval")
        try keys.setDuration(&baseEjectionTime, "baseEjectionTime")
        try keys.set(&alwaysEjectOneHost, "alwaysEjectOneHost")
    }
}
