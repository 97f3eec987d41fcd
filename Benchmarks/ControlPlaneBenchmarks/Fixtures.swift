import EnvoyAPI
import Foundation
import GlobalAggregator
import LocalControlPlane
import Shared
import SwiftProtobuf

/// The inputs the benchmarks measure against, at the sizes issue 8 names.
enum Fixtures {
    static func service(_ index: Int, instances: Int, port: Int = 8080) -> CatalogService {
        let name = String(format: "s%04d", index)
        return CatalogService(name: name, instances: (0..<instances).map { instance in
            ServiceInstance(
                id: "\(name)-\(instance)", address: "10.\(index / 250).\(index % 250).\(instance + 1)",
                port: instance == 0 ? port : 8080, tags: ["v1"])
        })
    }

    /// `services` × `instances`, with the first instance of s0000 on `port` (two ports give two catalogs one change apart).
    static func catalog(services: Int, instances: Int, port: Int = 8080) -> ServiceCatalog {
        ServiceCatalog(services: (0..<services).map { service($0, instances: instances, port: $0 == 0 ? port : 8080) })
    }

    /// envoy-control's outgoing permissions on, as `xds-load` runs the control plane: a group gets its dependencies.
    /// (Off, envoy-control's default, every Envoy gets every service: 1,000 clusters per group here.)
    static let properties: SnapshotProperties = {
        var properties = SnapshotProperties()
        properties.outgoingPermissions.enabled = true
        return properties
    }()

    /// The profile of an Envoy in group `group`: ingress and egress listeners, the shared s0000 plus `dependencies` own services.
    static func profile(group: Int, dependencies: Int, services: Int) throws -> ProxyProfile {
        let names = ["s0000"] + (0..<dependencies).map { String(format: "s%04d", 1 + (group * dependencies + $0) % (services - 1)) }
        let metadata = try Google_Protobuf_Struct(jsonString: """
            {"service_name": "app-\(group)", "ingress_port": 5001, "egress_port": 5000, "local_service_port": 8080,
             "proxy_settings": {"outgoing": {"dependencies": [\(names.map { "{\"service\": \"\($0)\"}" }.joined(separator: ","))]}}}
            """)
        return try NodeMetadataParser.parse(metadata: metadata, properties: properties)
    }

    /// One DC's state as the aggregator polls it.
    /// `port` moves the first instance of s0000 (two ports give two states one change apart).
    static func datacenter(_ name: String, services: Int, instances: Int, port: Int = 8080) -> DatacenterSnapshot {
        let state = DatacenterState(
            datacenter: name, index: 1, bootId: "boot-\(name)",
            catalog: catalog(services: services, instances: instances, port: port), appliedRemoteVersion: nil)
        return DatacenterSnapshot(state: state, receivedAt: Date())
    }

    /// `datacenters` DCs with the same services, as the aggregator holds them.
    static func federation(datacenters: Int, services: Int, instances: Int) -> ([String], [String: DatacenterSnapshot]) {
        let names = (1...datacenters).map { "dc\($0)" }
        return (names, Dictionary(uniqueKeysWithValues: names.map { ($0, datacenter($0, services: services, instances: instances)) }))
    }

    /// A service's endpoints as Envoy receives them (one locality, `instances` endpoints).
    static func loadAssignment(instances: Int) -> Envoy_Config_Endpoint_V3_ClusterLoadAssignment {
        var assignment = Envoy_Config_Endpoint_V3_ClusterLoadAssignment()
        assignment.clusterName = "s0001"
        var locality = Envoy_Config_Endpoint_V3_LocalityLbEndpoints()
        locality.locality.zone = "dc1"
        locality.lbEndpoints = (0..<instances).map { index in
            var endpoint = Envoy_Config_Endpoint_V3_LbEndpoint()
            endpoint.endpoint.address.socketAddress.address = "10.0.0.\(index + 1)"
            endpoint.endpoint.address.socketAddress.portValue = 8080
            endpoint.loadBalancingWeight.value = 1
            return endpoint
        }
        assignment.endpoints = [locality]
        return assignment
    }
}
