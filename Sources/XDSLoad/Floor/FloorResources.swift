import EnvoyAPI
import Foundation
import LocalControlPlane
import Shared
import Synchronization

/// The floor's config: every group's responses, pre-encoded once with the control plane's own generator at start,
/// so each stream gets the same bytes the control plane would send. A change re-encodes one endpoint assignment and
/// the response bodies that carry it (once per group for state of the world, once in all for delta) and nothing else:
/// no catalog, no snapshots, no subscriptions, no versions per stream.
final class FloorResources: Sendable {
    /// A change as the floor pushes it: the group's new endpoints body and, for delta, the one changed resource.
    struct Push: Sendable {
        let sotwBody: [UInt8]
        let deltaBody: [UInt8]
    }

    private struct State {
        /// Per group and type, the resources in name order.
        var resources: [[ResourceType: [EncodedResource]]]
        var sotwBodies: [[ResourceType: [UInt8]]]
        var deltaBodies: [[ResourceType: [UInt8]]]
        var version = 1
    }

    let scenario: LoadScenario
    static let controlPlaneId = "xds-load/floor"
    private let state: Mutex<State>
    /// Per service, the groups whose Envoys depend on it.
    private let groupsUsing: [String: [Int]]
    /// Per service, its index in the catalog (which gives its instances' addresses).
    private let serviceIndexes: [String: Int]

    init(scenario: LoadScenario) async throws {
        self.scenario = scenario
        let cache = SnapshotCache(datacenter: "dc1", properties: LoadScenario.snapshotProperties)
        await cache.apply(Self.catalog(scenario))
        var resources: [[ResourceType: [EncodedResource]]] = []
        var groupsUsing: [String: [Int]] = [:]
        for group in 0..<scenario.groups {
            let node = try scenario.node(stream: group)
            let profile = try NodeMetadataParser.parse(
                metadata: node.metadata, nodeCluster: node.cluster, properties: LoadScenario.snapshotProperties)
            guard let snapshot = await cache.snapshot(for: profile) else { throw LoadError("no snapshot for group \(group)") }
            resources.append(Dictionary(uniqueKeysWithValues: ResourceType.allCases.map { ($0, snapshot.resources($0)) }))
            for service in scenario.dependencies(ofGroup: group) { groupsUsing[service, default: []].append(group) }
        }
        self.groupsUsing = groupsUsing
        serviceIndexes = Dictionary(uniqueKeysWithValues: (0..<scenario.services).map { (scenario.serviceName($0), $0) })
        var state = State(resources: resources, sotwBodies: [], deltaBodies: [])
        for group in resources.indices {
            state.sotwBodies.append(Dictionary(uniqueKeysWithValues: ResourceType.allCases.map {
                ($0, Self.sotwBody($0, state.resources[group][$0] ?? [], version: 1))
            }))
            state.deltaBodies.append(Dictionary(uniqueKeysWithValues: ResourceType.allCases.map {
                ($0, Self.deltaBody($0, state.resources[group][$0] ?? []))
            }))
        }
        self.state = Mutex(state)
    }

    /// The catalog the Consul double seeds: services s0000… with instances 10.x.y.(i+1):8080.
    static func catalog(_ scenario: LoadScenario) -> ServiceCatalog {
        ServiceCatalog(services: (0..<scenario.services).map { index in
            let name = scenario.serviceName(index)
            return CatalogService(name: name, instances: (0..<scenario.instances).map { instance in
                ServiceInstance(id: "\(name)-\(instance)", address: address(service: index, instance: instance), port: 8080)
            })
        })
    }

    static func address(service: Int, instance: Int) -> String { "10.\(service / 250).\(service % 250).\(instance + 1)" }

    func body(group: Int, type: ResourceType, delta: Bool) -> [UInt8] {
        state.withLock { delta ? $0.deltaBodies[group][type] ?? [] : $0.sotwBodies[group][type] ?? [] }
    }

    /// Moves instance 0 of `service` to `port`; returns, per group using it, what to push.
    func move(service: String, port: Int) throws -> [Int: Push] {
        guard let serviceIndex = serviceIndexes[service],
              let groups = groupsUsing[service], let firstGroup = groups.first else {
            throw LoadError("no group uses \(service)")
        }
        return try state.withLock { state in
            guard let old = state.resources[firstGroup][.endpoint]?.first(where: { $0.name == service }) else {
                throw LoadError("no endpoints for \(service)")
            }
            var assignment = try Envoy_Config_Endpoint_V3_ClusterLoadAssignment(serializedBytes: old.any.value)
            let address = Self.address(service: serviceIndex, instance: 0)
            for locality in assignment.endpoints.indices {
                for endpoint in assignment.endpoints[locality].lbEndpoints.indices
                where assignment.endpoints[locality].lbEndpoints[endpoint].endpoint.address.socketAddress.address == address {
                    assignment.endpoints[locality].lbEndpoints[endpoint].endpoint.address.socketAddress.portValue = UInt32(port)
                }
            }
            let changed = EncodedResource(name: service, message: assignment, typeURL: ResourceType.endpoint.typeURL)
            let deltaBody = Self.deltaBody(.endpoint, [changed])
            state.version += 1
            var pushes: [Int: Push] = [:]
            for group in groups {
                state.resources[group][.endpoint] = state.resources[group][.endpoint]?.map { $0.name == service ? changed : $0 }
                let sotwBody = Self.sotwBody(
                    .endpoint, state.resources[group][.endpoint] ?? [], version: state.version)
                state.sotwBodies[group][.endpoint] = sotwBody
                pushes[group] = Push(sotwBody: sotwBody, deltaBody: deltaBody)
            }
            return pushes
        }
    }

    private static func sotwBody(_ type: ResourceType, _ resources: [EncodedResource], version: Int) -> [UInt8] {
        EncodedResponse.sotwBody(type, version: String(version), resources: resources, controlPlaneId: controlPlaneId)
    }

    private static func deltaBody(_ type: ResourceType, _ resources: [EncodedResource]) -> [UInt8] {
        EncodedResponse.deltaBody(type, systemVersion: "", resources: resources, removed: [], controlPlaneId: controlPlaneId)
    }
}
