import Foundation

/// Checks of everything that crosses the wire between DCs and the aggregator; each problem says where.
/// A pushed remote state is applied whole or not at all; a polled DC state loses only its bad parts.
public enum StateValidation {
    /// Envoy accepts at most 128 priorities.
    public static let maxPriority = 127

    /// A DC state as the aggregator may use it: refused whole only when the state itself is unusable (its DC or
    /// boot id); a bad service or instance is dropped on its own, with the reason in `dropped`/`droppedServices`.
    public struct Refusal: Error, CustomStringConvertible {
        public let problems: [String]
        public var description: String { problems.joined(separator: "; ") }
    }

    public struct Admitted: Sendable {
        public var state: DatacenterState
        public var dropped: [InstanceRules.Drop]
        public var droppedServices: [String]

        public init(state: DatacenterState, dropped: [InstanceRules.Drop], droppedServices: [String]) {
            self.state = state
            self.dropped = dropped
            self.droppedServices = droppedServices
        }
    }

    public static func admit(_ state: DatacenterState) throws(Refusal) -> Admitted {
        var fatal: [String] = []
        if !ServiceName.isValid(state.datacenter) { fatal.append("datacenter: '\(state.datacenter)' is not a valid name") }
        if state.bootId.isEmpty { fatal.append("bootId: must not be empty") }
        guard fatal.isEmpty else { throw Refusal(problems: fatal) }
        var admitted = Admitted(state: state, dropped: [], droppedServices: [])
        var names = Set<String>()
        admitted.state.services = state.services.enumerated().compactMap { index, service in
            let place = "services[\(index)].name"
            guard ServiceName.isValid(service.name) else {
                admitted.droppedServices.append("\(place): '\(service.name.prefix(80))' is not a valid service name")
                return nil
            }
            guard names.insert(service.name).inserted else {
                admitted.droppedServices.append("\(place): '\(service.name)' appears twice")
                return nil
            }
            let (kept, dropped) = InstanceRules.admit(service.instances, of: service.name)
            admitted.dropped += dropped
            var service = service
            if !dropped.isEmpty { service.instances = kept }
            return service
        }
        return admitted
    }

    /// `services`: check only these services (a delta on a state that passed); `contentVersion`: the version of
    /// `state.services` when the caller already knows it from kept digests.
    public static func problems(
        in state: RemoteState, destination: String, services: Set<String>? = nil, contentVersion known: String? = nil
    ) -> [String] {
        var problems: [String] = []
        let contentVersion = known ?? RemoteStateVersion.version(of: state.services)
        if state.version != contentVersion {
            problems.append("version: '\(state.version)' is not the content version of services (\(contentVersion))")
        }
        if state.generatedBy.isEmpty { problems.append("generatedBy: must not be empty") }
        for source in state.sources.keys.sorted() where !state.datacenters.contains(source) {
            problems.append("sources.\(source): not one of datacenters \(state.datacenters)")
        }
        if state.sources[destination] != nil { problems.append("sources.\(destination): this DC is never its own source") }
        for name in (services.map(Array.init) ?? Array(state.services.keys)).sorted() {
            guard let service = state.services[name] else { continue }
            let place = "services.\(name)"
            if !ServiceName.isValid(name) { problems.append("\(place): '\(name)' is not a valid service name") }
            if let weight = service.localWeight, weight < 1 { problems.append("\(place).localWeight: must be at least 1") }
            for (index, locality) in service.localities.enumerated() {
                let where_ = "\(place).localities[\(index)]"
                if locality.datacenter == destination {
                    problems.append("\(where_).datacenter: '\(destination)' is this DC; its own instances are never remote")
                } else if !ServiceName.isValid(locality.datacenter) {
                    problems.append("\(where_).datacenter: '\(locality.datacenter)' is not a valid name")
                } else if state.sources[locality.datacenter] == nil {
                    problems.append("\(where_).datacenter: '\(locality.datacenter)' has no entry in sources")
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
            if let (reason, detail) = InstanceRules.problem(address: instance.address, port: instance.port, weight: instance.weight) {
                problems.append("\(where_).\(reason.rawValue): \(detail)")
            }
            if !ids.insert(instance.id).inserted { problems.append("\(where_).id: '\(instance.id)' appears twice") }
        }
        return problems
    }
}
