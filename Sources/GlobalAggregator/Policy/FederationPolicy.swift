import Foundation
import Shared

/// How remote DCs are offered to each destination DC: failover order, traffic splits, opt-outs, staleness.
public struct FederationPolicy: Sendable, Equatable {
    /// A DC whose last good state is older than this is flagged stale (kept and still used).
    public var staleAfter: Duration = .seconds(60)
    /// A DC whose last good state is older than this is dropped from the merge; nil (default): never.
    public var dropAfter: Duration?
    public var defaultFailover = FailoverOrder()
    public var services: [String: ServicePolicy] = [:]

    public init() {}

    public struct ServicePolicy: Sendable, Equatable {
        /// DC → weight: these DCs share traffic at the same priority.
        public var split: [String: Int] = [:]
        public var failover: FailoverOrder?
        public var crossDc = true

        public init(split: [String: Int] = [:], failover: FailoverOrder? = nil, crossDc: Bool = true) {
            self.split = split
            self.failover = failover
            self.crossDc = crossDc
        }
    }

    /// A failover order for every destination, or per destination DC.
    public struct FailoverOrder: Sendable, Equatable {
        public var everywhere: [String] = []
        public var perDestination: [String: [String]] = [:]

        public init(everywhere: [String] = [], perDestination: [String: [String]] = [:]) {
            self.everywhere = everywhere
            self.perDestination = perDestination
        }

        public func order(for destination: String) -> [String] {
            perDestination[destination] ?? everywhere
        }
    }

    public func service(_ name: String) -> ServicePolicy {
        services[name] ?? ServicePolicy()
    }
}
