import Foundation
import Shared

/// One element of Consul's `GET /v1/health/service/<name>`: the node, the service instance and its checks.
struct ConsulHealthEntry: Decodable, Sendable {
    struct Node: Decodable, Sendable {
        var name: String?
        var address: String

        enum CodingKeys: String, CodingKey {
            case name = "Node"
            case address = "Address"
        }
    }

    struct Service: Decodable, Sendable {
        var id: String
        var address: String?
        var port: Int
        var tags: [String]?
        var meta: [String: String]?
        var weights: Weights?

        enum CodingKeys: String, CodingKey {
            case id = "ID"
            case address = "Address"
            case port = "Port"
            case tags = "Tags"
            case meta = "Meta"
            case weights = "Weights"
        }
    }

    struct Weights: Decodable, Sendable {
        var passing: Int?
        var warning: Int?

        enum CodingKeys: String, CodingKey {
            case passing = "Passing"
            case warning = "Warning"
        }
    }

    struct Check: Decodable, Sendable {
        var status: String

        enum CodingKeys: String, CodingKey {
            case status = "Status"
        }
    }

    var node: Node
    var service: Service
    var checks: [Check]?

    enum CodingKeys: String, CodingKey {
        case node = "Node"
        case service = "Service"
        case checks = "Checks"
    }

    /// The instance this entry stands for, or nil when it must not receive traffic: a failing check
    /// (`critical`, `maintenance`, anything unknown) or `warning` unless allowed. Whether the instance itself is
    /// usable (address, port, weight) is `InstanceRules`' call.
    func instance(includeWarning: Bool) -> ServiceInstance? {
        let statuses = Set((checks ?? []).map(\.status))
        guard statuses.isSubset(of: includeWarning ? ["passing", "warning"] : ["passing"]) else { return nil }
        let address = service.address.flatMap { $0.isEmpty ? nil : $0 } ?? node.address
        let tags = service.tags ?? []
        let consulWeight = statuses.contains("warning") ? service.weights?.warning : service.weights?.passing
        let weight = ServiceInstance.weight(fromTags: tags) ?? consulWeight.flatMap { $0 >= 1 ? $0 : nil } ?? 1
        return ServiceInstance(
            id: node.name.map { "\($0)/\(service.id)" } ?? service.id, address: address, port: service.port, tags: tags,
            weight: weight, meta: service.meta ?? [:])
    }
}

/// A `GET /v1/health/service/<name>` answer as the watcher reads it: decoded strictly, then each entry's usable
/// instance. Public so the fuzzer (`fuzz consul-health`) drives exactly this path.
public enum ConsulHealthAnswer {
    public static func instances(
        from body: Data, service: String, includeWarning: Bool
    ) throws(StrictJSON.Refusal) -> (kept: [ServiceInstance], dropped: [InstanceRules.Drop]) {
        usable(try StrictJSON.decode([ConsulHealthEntry].self, from: body), service: service, includeWarning: includeWarning)
    }

    /// The healthy entries' instances that pass `InstanceRules`, and the ones it left out.
    static func usable(
        _ entries: [ConsulHealthEntry], service: String, includeWarning: Bool
    ) -> (kept: [ServiceInstance], dropped: [InstanceRules.Drop]) {
        InstanceRules.admit(entries.compactMap { $0.instance(includeWarning: includeWarning) }, of: service)
    }
}
