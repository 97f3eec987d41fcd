/// The one rule set for an instance, applied wherever instances enter: a registry file, Consul, and a DC's state as
/// the aggregator reads it. A bad instance is dropped on its own with a reason; the rest of its service and DC go on.
///
/// Producer and consumer apply the same rules, so a control plane never publishes an instance the aggregator would
/// refuse (one instance tagged `weight:2000000` once froze its whole DC's state).
public enum InstanceRules {
    /// Envoy refuses a locality whose weights add up past 2^32 - 1; with this cap 4,294 instances always fit.
    public static let maxWeight = 1_000_000
    public static let maxAddressLength = 253

    /// An instance that was left out, and why (for the log line and the metric's `reason` label).
    public struct Drop: Sendable, Equatable, CustomStringConvertible {
        public enum Reason: String, Sendable {
            case address, port, weight, duplicateID = "duplicate_id"
        }

        public let service: String
        public let instanceID: String
        public let reason: Reason
        public let detail: String

        public var description: String { "\(service)/\(instanceID): \(detail)" }
    }

    /// Why `instance` must not be used, or nil when it may.
    public static func problem(address: String, port: Int, weight: Int) -> (Drop.Reason, String)? {
        if address.isEmpty || address.utf8.count > maxAddressLength {
            return (.address, "address must be 1-\(maxAddressLength) characters")
        }
        if !(1...65535).contains(port) { return (.port, "port \(port) is not in 1-65535") }
        if !(1...maxWeight).contains(weight) { return (.weight, "weight \(weight) is not in 1-\(maxWeight)") }
        return nil
    }

    /// The instances that pass, in their order (the first of two with one id wins), and the ones dropped.
    public static func admit<Instance>(
        _ instances: [Instance], of service: String, id: (Instance) -> String, address: (Instance) -> String,
        port: (Instance) -> Int, weight: (Instance) -> Int
    ) -> (kept: [Instance], dropped: [Drop]) {
        var kept: [Instance] = []
        kept.reserveCapacity(instances.count)
        var dropped: [Drop] = []
        var ids = Set<String>()
        for instance in instances {
            let instanceID = id(instance)
            if let (reason, detail) = problem(address: address(instance), port: port(instance), weight: weight(instance)) {
                dropped.append(Drop(service: service, instanceID: instanceID, reason: reason, detail: detail))
            } else if !ids.insert(instanceID).inserted {
                dropped.append(Drop(service: service, instanceID: instanceID, reason: .duplicateID, detail: "id '\(instanceID)' appears twice"))
            } else {
                kept.append(instance)
            }
        }
        return (kept, dropped)
    }

    public static func admit(_ instances: [ServiceInstance], of service: String) -> (kept: [ServiceInstance], dropped: [Drop]) {
        admit(instances, of: service, id: \.id, address: \.address, port: \.port, weight: \.weight)
    }

    public static func admit(_ instances: [WireInstance], of service: String) -> (kept: [WireInstance], dropped: [Drop]) {
        admit(instances, of: service, id: \.id, address: \.address, port: \.port, weight: \.weight)
    }
}
