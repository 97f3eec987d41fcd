import Foundation
import Shared

/// Where an Envoy in each DC sends traffic for one service, and why: the merge's placements (what was pushed) read
/// back with the policy that produced them. Pure; `/v1/routes`, the status page and `global-aggregator explain`
/// all show this one answer.
public struct ServiceRoutes: Codable, Sendable, Equatable {
    public var service: String
    /// The policy rules that apply to the service, in words.
    public var policy: [String]
    public var sources: [SourceRoutes]

    /// Where the Envoys of one DC send the service's traffic, in priority order (the local DC first).
    public struct SourceRoutes: Codable, Sendable, Equatable {
        public var datacenter: String
        public var destinations: [Destination]
    }

    public struct Destination: Codable, Sendable, Equatable {
        public var datacenter: String
        public var priority: Int
        /// Locality weight under a split; nil otherwise.
        public var weight: Int?
        public var instances: Int
        public var stale: Bool
        /// The rule that put it there.
        public var reason: String
    }

    /// `instances`: every DC's instance count of the service (absent: none); `merge`: what each DC was pushed.
    public init(service: String, datacenters: [String], instances: [String: Int], merge: MergeResult, policy: FederationPolicy) {
        self.service = service
        let rules = policy.service(service)
        self.policy = Self.describe(service, rules, policy)
        sources = datacenters.sorted().map { source in
            var destinations: [Destination] = []
            let remote = merge.remote[source]?[service]
            if let local = instances[source], local > 0 {
                destinations.append(Destination(
                    datacenter: source, priority: 0, weight: remote?.localWeight, instances: local, stale: false,
                    reason: remote?.localWeight != nil ? "local, sharing under services.\(service).split" : "local"))
            }
            for locality in (remote?.localities ?? []).sorted(by: { ($0.priority, $0.datacenter) < ($1.priority, $1.datacenter) }) {
                let stale = merge.stale.contains(locality.datacenter)
                destinations.append(Destination(
                    datacenter: locality.datacenter, priority: locality.priority, weight: locality.weight,
                    instances: locality.instances.count, stale: stale,
                    reason: Self.reason(locality.datacenter, from: source, stale: stale, service: service, rules, policy)))
            }
            return SourceRoutes(datacenter: source, destinations: destinations)
        }
    }

    private static func reason(
        _ datacenter: String, from source: String, stale: Bool, service: String, _ rules: FederationPolicy.ServicePolicy,
        _ policy: FederationPolicy
    ) -> String {
        if stale { return "stale (state older than staleAfter \(DurationText.format(policy.staleAfter))): after every fresh DC" }
        if let weight = rules.split[datacenter] { return "split: weight \(weight) (services.\(service).split)" }
        let (order, origin) = rules.failover.map { ($0.order(for: source), "services.\(service).failover") }
            ?? (policy.defaultFailover.order(for: source), "defaults.failover")
        if order.isEmpty { return "no failover order: every other DC together" }
        if let position = order.firstIndex(of: datacenter) { return "failover #\(position + 1) (\(origin))" }
        return "not in \(origin): after the DCs it lists"
    }

    private static func describe(_ service: String, _ rules: FederationPolicy.ServicePolicy, _ policy: FederationPolicy) -> [String] {
        var lines: [String] = []
        if !rules.crossDc { lines.append("services.\(service).crossDc: false — every DC routes to its own instances only") }
        if !rules.split.isEmpty {
            lines.append("services.\(service).split: " + rules.split.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        if let failover = rules.failover {
            lines.append("services.\(service).failover: \(describe(failover))")
        } else {
            lines.append("defaults.failover: \(describe(policy.defaultFailover))")
        }
        lines.append("staleAfter \(DurationText.format(policy.staleAfter)): a stale DC comes after every fresh one")
        return lines
    }

    static func describe(_ order: FederationPolicy.FailoverOrder) -> String {
        if !order.perDestination.isEmpty {
            return order.perDestination.sorted { $0.key < $1.key }.map { "from \($0.key): \($0.value.joined(separator: " → "))" }
                .joined(separator: "; ")
        }
        return order.everywhere.isEmpty ? "none (every other DC together)" : order.everywhere.joined(separator: " → ")
    }

    /// The answer for one source DC in words, as `global-aggregator explain` prints it.
    public func explanation(from source: String) -> String {
        guard let routes = sources.first(where: { $0.datacenter == source }) else {
            return "\(source) is not a datacenter of this region (\(sources.map(\.datacenter).joined(separator: ", ")))\n"
        }
        var text = "An Envoy in \(source) calling \(service):\n"
        if routes.destinations.isEmpty { text += "  no instance anywhere it may reach: requests fail (503)\n" }
        for (index, step) in routes.destinations.enumerated() {
            let weight = step.weight.map { ", weight \($0)" } ?? ""
            text += "  \(index + 1). \(step.datacenter): priority \(step.priority)\(weight), \(step.instances) instance\(step.instances == 1 ? "" : "s")"
            text += step.stale ? " [stale]" : ""
            text += " — \(step.reason)\n"
        }
        text += "Envoy sends traffic to the lowest priority with healthy instances and moves on as they fail.\n"
        return text + "Policy:\n" + policy.map { "  \($0)\n" }.joined()
    }
}
