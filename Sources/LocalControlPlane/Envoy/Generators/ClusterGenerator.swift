import EnvoyAPI
import Shared

/// Builds CDS resources: one EDS cluster per service (shared by every group that depends on it)
/// and the static cluster of a group's local service.
enum ClusterGenerator {
    static let localServiceClusterName = "local_service"
    static let connectTimeout: Duration = .seconds(1)

    /// The cluster named after the service; its endpoints come from EDS over ADS. Under a cross-DC
    /// traffic split, localities are balanced by their weights.
    static func serviceCluster(_ name: String, localityWeighted: Bool = false) -> Envoy_Config_Cluster_V3_Cluster {
        var cluster = Envoy_Config_Cluster_V3_Cluster()
        cluster.name = name
        cluster.type = .eds
        cluster.edsClusterConfig.edsConfig = EnvoyValues.adsConfigSource
        cluster.connectTimeout = EnvoyValues.duration(connectTimeout)
        cluster.lbPolicy = .roundRobin
        if localityWeighted {
            cluster.commonLbConfig.localityWeightedLbConfig = .init()
        }
        return cluster
    }

    /// Where the ingress listener sends requests: the service next to this Envoy.
    static func localServiceCluster(port: Int) -> Envoy_Config_Cluster_V3_Cluster {
        var cluster = Envoy_Config_Cluster_V3_Cluster()
        cluster.name = localServiceClusterName
        cluster.type = .static
        cluster.connectTimeout = EnvoyValues.duration(connectTimeout)
        var endpoint = Envoy_Config_Endpoint_V3_LbEndpoint()
        endpoint.endpoint.address = EnvoyValues.address(host: "127.0.0.1", port: port)
        var locality = Envoy_Config_Endpoint_V3_LocalityLbEndpoints()
        locality.lbEndpoints = [endpoint]
        cluster.loadAssignment.clusterName = localServiceClusterName
        cluster.loadAssignment.endpoints = [locality]
        return cluster
    }
}
