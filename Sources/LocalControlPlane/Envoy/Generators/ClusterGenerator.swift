import EnvoyAPI
import Shared

/// Builds CDS resources: one EDS cluster per service (shared by every group that depends on it)
/// and the static cluster of a group's local service.
enum ClusterGenerator {
    static let localServiceClusterName = "local_service"
    static let connectTimeout: Duration = .seconds(1)

    /// The cluster named after the service; its endpoints come from EDS over ADS. Under a cross-DC
    /// traffic split, localities are balanced by their weights. With other DCs' endpoints it ejects hosts that fail.
    static func serviceCluster(
        _ name: String, localityWeighted: Bool = false, crossDatacenter: Bool = false, traits: RoutingTraits = RoutingTraits()
    ) -> Envoy_Config_Cluster_V3_Cluster {
        var cluster = Envoy_Config_Cluster_V3_Cluster()
        cluster.name = name
        cluster.type = .eds
        cluster.edsClusterConfig.edsConfig = EnvoyValues.adsConfigSource
        cluster.connectTimeout = EnvoyValues.duration(connectTimeout)
        cluster.lbPolicy = .roundRobin
        if localityWeighted {
            cluster.commonLbConfig.localityWeightedLbConfig = .init()
        }
        if traits.usesSubsets {
            cluster.lbSubsetConfig = subsets(traits)
        }
        if crossDatacenter {
            cluster.outlierDetection = crossDatacenterOutlierDetection
        }
        return cluster
    }

    /// A remote DC's instances can die long before its registry, the aggregator and this DC hear of it: hosts that
    /// refuse connections or answer 5xx are ejected at once, up to all of them, so Envoy moves to the next priority
    /// (a dead DC would otherwise black-hole its share until the catalog caught up).
    static let crossDatacenterOutlierDetection: Envoy_Config_Cluster_V3_OutlierDetection = {
        var detection = Envoy_Config_Cluster_V3_OutlierDetection()
        detection.consecutive5Xx = .init(5)
        detection.consecutiveGatewayFailure = .init(3)
        detection.enforcingConsecutiveGatewayFailure = .init(100)
        detection.interval = EnvoyValues.duration(.seconds(1))
        detection.baseEjectionTime = EnvoyValues.duration(.seconds(10))
        detection.maxEjectionPercent = .init(100)
        return detection
    }()

    /// Canary and tag subsets. A request for a tag no instance has gets no fallback (the route answers 503 with
    /// `x-service-tag-error`); the default (non-canary) subset falls back to any endpoint when only canaries exist.
    private static func subsets(_ traits: RoutingTraits) -> Envoy_Config_Cluster_V3_Cluster.LbSubsetConfig {
        var config = Envoy_Config_Cluster_V3_Cluster.LbSubsetConfig()
        config.fallbackPolicy = .anyEndpoint
        config.listAsAny = true
        if traits.hasCanary {
            var canary = Envoy_Config_Cluster_V3_Cluster.LbSubsetConfig.LbSubsetSelector()
            canary.keys = ["canary"]
            config.subsetSelectors.append(canary)
        }
        if !traits.tags.isEmpty {
            var tag = Envoy_Config_Cluster_V3_Cluster.LbSubsetConfig.LbSubsetSelector()
            tag.keys = ["tag"]
            tag.fallbackPolicy = .noFallback
            config.subsetSelectors.append(tag)
        }
        return config
    }

    /// An external `domain` dependency: resolved by DNS, with TLS and SNI for https.
    static func domainCluster(_ domain: DomainDependency) -> Envoy_Config_Cluster_V3_Cluster {
        var cluster = Envoy_Config_Cluster_V3_Cluster()
        cluster.name = domain.clusterName
        cluster.type = .logicalDns
        cluster.dnsLookupFamily = .v4Only
        cluster.connectTimeout = EnvoyValues.duration(connectTimeout)
        var endpoint = Envoy_Config_Endpoint_V3_LbEndpoint()
        endpoint.endpoint.address = EnvoyValues.address(host: domain.host, port: domain.port)
        var locality = Envoy_Config_Endpoint_V3_LocalityLbEndpoints()
        locality.lbEndpoints = [endpoint]
        cluster.loadAssignment.clusterName = domain.clusterName
        cluster.loadAssignment.endpoints = [locality]
        if domain.tls {
            var tls = Envoy_Extensions_TransportSockets_Tls_V3_UpstreamTlsContext()
            tls.sni = domain.host
            cluster.transportSocket.name = "envoy.transport_sockets.tls"
            cluster.transportSocket.typedConfig = EnvoyValues.typedConfig(tls)
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
