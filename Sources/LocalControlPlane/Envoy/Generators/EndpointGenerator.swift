import EnvoyAPI
import Shared

/// Builds EDS resources: a service's instances grouped by locality (`zone` = datacenter).
/// The local datacenter is priority 0.
enum EndpointGenerator {
    static func loadAssignment(service: CatalogService, datacenter: String) -> Envoy_Config_Endpoint_V3_ClusterLoadAssignment {
        var assignment = Envoy_Config_Endpoint_V3_ClusterLoadAssignment()
        assignment.clusterName = service.name
        if !service.instances.isEmpty {
            var locality = Envoy_Config_Endpoint_V3_LocalityLbEndpoints()
            locality.locality.zone = datacenter
            locality.priority = 0
            locality.lbEndpoints = service.instances.map(lbEndpoint)
            assignment.endpoints = [locality]
        }
        return assignment
    }

    static func lbEndpoint(_ instance: ServiceInstance) -> Envoy_Config_Endpoint_V3_LbEndpoint {
        var endpoint = Envoy_Config_Endpoint_V3_LbEndpoint()
        endpoint.endpoint.address = EnvoyValues.address(host: instance.address, port: instance.port)
        endpoint.healthStatus = .healthy
        endpoint.loadBalancingWeight = EnvoyValues.uint32(max(1, instance.weight))
        return endpoint
    }
}
