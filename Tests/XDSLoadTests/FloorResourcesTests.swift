import EnvoyAPI
import LocalControlPlane
import SwiftProtobuf
import Testing

@testable import XDSLoad

/// The floor's pre-encoded responses: the control plane's own resources, and a move re-encodes one assignment.
@Suite("xds-load floor resources")
struct FloorResourcesTests {
    private func scenario() -> LoadScenario {
        var scenario = LoadScenario()
        (scenario.streams, scenario.groups, scenario.dependencies, scenario.services, scenario.instances) = (20, 4, 2, 12, 3)
        return scenario
    }

    @Test("each group's bodies hold its clusters and endpoints; a move reaches only the groups using the service")
    func moveReachesUsers() async throws {
        let scenario = scenario()
        let floor = try await FloorResources(scenario: scenario)
        let clusters = try Envoy_Service_Discovery_V3_DiscoveryResponse(serializedBytes: floor.body(group: 1, type: .cluster, delta: false))
        let endpoints = try Envoy_Service_Discovery_V3_DiscoveryResponse(serializedBytes: floor.body(group: 1, type: .endpoint, delta: false))
        let names = try endpoints.resources.map { try Envoy_Config_Endpoint_V3_ClusterLoadAssignment(unpackingAny: $0).clusterName }
        #expect(names == scenario.dependencies(ofGroup: 1))
        #expect(clusters.resources.count >= names.count)

        let service = scenario.dependencies(ofGroup: 1).last!
        let pushes = try floor.move(service: service, port: 20_001)
        #expect(Set(pushes.keys) == [1], "only group 1 uses \(service)")
        let pushed = try Envoy_Service_Discovery_V3_DiscoveryResponse(serializedBytes: pushes[1]!.sotwBody)
        #expect(pushed.resources.count == names.count && pushed.versionInfo != endpoints.versionInfo)
        let delta = try Envoy_Service_Discovery_V3_DeltaDiscoveryResponse(serializedBytes: pushes[1]!.deltaBody)
        #expect(delta.resources.map(\.name) == [service])
        let moved = try Envoy_Config_Endpoint_V3_ClusterLoadAssignment(unpackingAny: delta.resources[0].resource)
        #expect(moved.endpoints.flatMap(\.lbEndpoints).map(\.endpoint.address.socketAddress.portValue).sorted() == [8080, 8080, 20_001])
        #expect(floor.body(group: 1, type: .endpoint, delta: false) == pushes[1]!.sotwBody, "later subscribers get the new body")

        let shared = try floor.move(service: "s0000", port: 20_002)
        #expect(Set(shared.keys) == [0, 1, 2, 3], "every group uses the shared service")
        #expect(throws: (any Error).self) { try floor.move(service: "s0011", port: 20_003) }
    }
}
