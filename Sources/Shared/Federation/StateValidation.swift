import Foundation

/// Checks of everything that crosses the wire between DCs and the aggregator; each problem says where.
/// Nothing is applied unless the whole body passes.
public enum StateValidation {
    /// Envoy accepts at most 128 priorities.
    public static let maxPriority = 127

    public static func problems(in state: DatacenterState) -> [String] {
        var problems: [String] = []
        if !ServiceName.isValid(state.datacenter) { problems.append("datacenter: '\(state.datacenter)' is not a valid name") }
        if state.bootId.isEmpty { problems.append("bootId: must not be empty") }
        var names = Set<String>()
        for (index, service) in state.services.enumerated() {
            let place = "services[\(index)]"
            if !ServiceName.isValid(service.name) { problems.append("\(place).name: '\(service.name)' is not a valid service name") }
            if !names.insert(service.name).inserted { problems.append("\(place).name: '\(service.name)' appears twice") }
            problems += instanceProblems(service.instances, place: place)
        }
        return problems
    }

    public static func problems(in state: RemoteState, destination: String) -> [String] {
        var problems: [String] = []
        let contentVersion = RemoteStateVersion.version(of: state.services)
        if state.version != contentVersion {
            problems.append("version: '\(state.version)' is not the content version of services (\(contentVersion))")
        }
        if state.generatedBy.isEmpty { problems.append("generatedBy: must not be empty") }
        for name in state.services.keys.sorted() {
            let service = state.services[name]!
            let place = "services.\(name)"
            if !ServiceName.isValid(name) { problems.append("\(place): '\(name)' is not a valid service name") }
            if let weight = service.localWeight, weight < 1 { problems.append("\(place).localWeight: must be at least 1") }
            for (index, locality) in service.localities.enumerated() {
                let where_ = "\(place).localities[\(index)]"
                if locality.datacenter == destination {
                    problems.append("\(where_).datacenter: '\(destination)' is this DC; its own instances are never remote")
                } else if !ServiceName.isValid(locality.datacenter) {
                    problems.append("\(where_).datacenter: '\(locality.datacenter)' is not a valid name")
                }
                if !(0...maxPriority).contains(locality.priority) { problems.append("\(where_).priority: \(locality.priority) is not in 0...\(maxPriority)") }
                if let weight = locality.weight, weight < 1 { problems.append("\(where_).weight: must be at least 1") }
                problems += instanceProblems(locality.instances, place: where_)
            }
        }
        return problems
    }

    private static func instanceProblems(_ instances: [WireInstance], place: String) -> [String] {
        var problems: [String] = []
        var ids = Set<String>()
        for (index, instance) in instances.enumerated() {
            let where_ = "\(place).instances[\(index)]"
            if instance.address.isEmpty || instance.address.utf8.count > 253 { problems.append("\(where_).address: must be 1-253 characters") }
            if !(1...65535).contains(instance.port) { problems.append("\(where_).port: \(instance.port) is not a port") }
            if !(1...1_000_000).contains(instance.weight) { problems.append("\(where_).weight: \(instance.weight) is not in 1...1000000") }
            if !ids.insert(instance.id).inserted { problems.append("\(where_).id: '\(instance.id)' appears twice") }
        }
        return problems
    }
}
