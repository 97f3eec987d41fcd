import EnvoyAPI
import Shared
import SwiftProtobuf

/// Builds EDS resources: a service's instances grouped by locality (`zone` = datacenter). This DC's
/// instances are priority 0; other DCs' come at the priorities and weights the aggregator computed.
enum EndpointGenerator {
    /// With `subsets`, endpoints carry the metadata the subset load balancer selects on (canaries their canary key,
    /// every endpoint its routable tags); with `tls`, instances that accept mTLS carry the key that selects the
    /// cluster's TLS socket. Without `weights` (`loadBalancing.weights.enabled` off) every instance weighs the same.
    static func loadAssignment(
        name: String, local: [ServiceInstance], remote: RemoteService?, datacenter: String, subsets: SubsetRules? = nil,
        tls: SnapshotProperties.TlsAuthenticationProperties? = nil, weights: Bool = true
    ) -> Envoy_Config_Endpoint_V3_ClusterLoadAssignment {
        let endpoint = { (instance: ServiceInstance) in lbEndpoint(instance, service: name, subsets: subsets, tls: tls, weighted: weights) }
        var assignment = Envoy_Config_Endpoint_V3_ClusterLoadAssignment()
        assignment.clusterName = name
        // With remote localities the local one is kept even when empty, so priorities start at 0 without a gap.
        if !local.isEmpty || remote != nil {
            let instances = ServiceInstance.mergingSameAddress(local)
            assignment.endpoints.append(locality(datacenter, priority: 0, weight: remote?.localWeight, instances.map(endpoint)))
        }
        let remoteLocalities = (remote?.localities ?? []).sorted { ($0.priority, $0.datacenter) < ($1.priority, $1.datacenter) }
        for remoteLocality in remoteLocalities {
            assignment.endpoints.append(locality(
                remoteLocality.datacenter, priority: remoteLocality.priority, weight: remoteLocality.weight,
                ServiceInstance.mergingSameAddress(remoteLocality.instances.map(\.instance)).map(endpoint)))
        }
        return assignment
    }

    /// Locality weights matter only under a split; then the cluster needs locality-weighted balancing.
    static func usesLocalityWeights(_ remote: RemoteService?) -> Bool {
        remote?.localWeight != nil || remote?.localities.contains { $0.weight != nil } == true
    }

    static func lbEndpoint(
        _ instance: ServiceInstance, service: String, subsets: SubsetRules? = nil, tls: SnapshotProperties.TlsAuthenticationProperties? = nil,
        weighted: Bool = true
    ) -> Envoy_Config_Endpoint_V3_LbEndpoint {
        var endpoint = Envoy_Config_Endpoint_V3_LbEndpoint()
        endpoint.endpoint.address = EnvoyValues.address(host: instance.address, port: instance.port)
        endpoint.healthStatus = .healthy
        if weighted { endpoint.loadBalancingWeight = EnvoyValues.uint32(max(1, instance.weight)) }
        if let tls, MutualTLSGenerator.acceptsMutualTLS(tags: instance.tags, tls) {
            endpoint.metadata.filterMetadata[MutualTLSGenerator.transportSocketMatchNamespace] = MutualTLSGenerator.endpointMatch(tls)
        }
        guard let subsets else { return endpoint }
        var fields = Google_Protobuf_Struct()
        if let canary = subsets.canary, instance.tags.contains(SubsetRules.canaryTag) {
            fields.fields[canary.metadataKey] = Google_Protobuf_Value(stringValue: canary.headerValue)
        }
        if let tags = subsets.tags {
            fields.fields[tags.properties.metadataKey] = Google_Protobuf_Value(listValue: Google_Protobuf_ListValue(
                values: tags.routingTags(service: service, of: instance).map { Google_Protobuf_Value(stringValue: $0) }))
        }
        if !fields.fields.isEmpty { endpoint.metadata.filterMetadata[SubsetRules.namespace] = fields }
        return endpoint
    }

    /// envoy-control's automatic service tag: only the endpoints with the first tag of the preference any endpoint
    /// has (in every locality); when none has any, all endpoints with `fallbackToAnyInstance`, else none.
    static func preferring(
        _ preference: DependencySettings.RoutingPolicy, metadataKey: String, in assignment: Envoy_Config_Endpoint_V3_ClusterLoadAssignment
    ) -> Envoy_Config_Endpoint_V3_ClusterLoadAssignment {
        for tag in preference.serviceTagPreference {
            let tagged = Google_Protobuf_Value(stringValue: tag)
            var narrowed = assignment
            for index in narrowed.endpoints.indices {
                narrowed.endpoints[index].lbEndpoints.removeAll { endpoint in
                    endpoint.metadata.filterMetadata[SubsetRules.namespace]?.fields[metadataKey]?.listValue.values.contains(tagged) != true
                }
            }
            if narrowed.endpoints.contains(where: { !$0.lbEndpoints.isEmpty }) { return narrowed }
        }
        if preference.fallbackToAnyInstance { return assignment }
        var empty = Envoy_Config_Endpoint_V3_ClusterLoadAssignment()
        empty.clusterName = assignment.clusterName
        return empty
    }

    private static func locality(
        _ datacenter: String, priority: Int, weight: Int?, _ endpoints: [Envoy_Config_Endpoint_V3_LbEndpoint]
    ) -> Envoy_Config_Endpoint_V3_LocalityLbEndpoints {
        var locality = Envoy_Config_Endpoint_V3_LocalityLbEndpoints()
        locality.locality.zone = datacenter
        locality.priority = UInt32(priority)
        if let weight { locality.loadBalancingWeight = EnvoyValues.uint32(weight) }
        locality.lbEndpoints = endpoints
        return locality
    }
}
