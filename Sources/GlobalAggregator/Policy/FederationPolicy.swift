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
    public var shrinkGuard = ShrinkGuard()

    public init() {}

    /// A DC state that would lose more than `maxLossPercent` of the DC's instances at once (from at least
    /// `minInstances`) is held, flagged, and applied only if it still stands after `confirmAfter`: a Consul answering
    /// half a catalog, or a bad deploy of the registry, must not withdraw a DC everywhere in one step.
    public struct ShrinkGuard: Sendable, Equatable {
        public var maxLossPercent = 50
        public var minInstances = 10
        public var confirmAfter: Duration = .seconds(60)

        public init(maxLossPercent: Int = 50, minInstances: Int = 10, confirmAfter: Duration = .seconds(60)) {
            self.maxLossPercent = maxLossPercent
            self.minInstances = minInstances
            self.confirmAfter = confirmAfter
        }

        /// Whether going from `before` to `after` instances must be held.
        public func holds(from before: Int, to after: Int) -> Bool {
            before >= minInstances && (before - after) * 100 > maxLossPercent * before
        }
    }

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

        /// Every DC named, destinations included, in a stable order.
        var datacenters: [String] {
            everywhere + perDestination.keys.sorted().flatMap { [$0] + perDestination[$0]! }
        }
    }

    public func service(_ name: String) -> ServicePolicy {
        services[name] ?? ServicePolicy()
    }

    /// Problems for every DC the policy names that is not one of `configured` (a typo would silently do nothing).
    public func unknownDatacenterProblems(configured: some Sequence<String>) -> [String] {
        let known = Set(configured)
        var named: [(String, String)] = defaultFailover.datacenters.map { ("defaults.failover", $0) }
        for (service, policy) in services.sorted(by: { $0.key < $1.key }) {
            named += policy.split.keys.sorted().map { ("services.\(service).split", $0) }
            named += (policy.failover?.datacenters ?? []).map { ("services.\(service).failover", $0) }
        }
        return named.filter { !known.contains($0.1) }.map { "\($0.0): '\($0.1)' is not a configured datacenter (\(known.sorted()))" }
    }
}
