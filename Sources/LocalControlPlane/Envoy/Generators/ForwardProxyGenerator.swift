import EnvoyAPI

/// `domainPattern` dependencies (`*.example.com`) through Envoy's dynamic forward proxy, as envoy-control builds
/// them: the egress routes hosts matching the patterns to one cluster that resolves each request's host by DNS (a
/// shared DNS cache, also used by the egress filter) and calls it over TLS, the server's certificate checked against
/// `trustedCaFile` and required to name the host.
enum ForwardProxyGenerator {
    static let filterName = "envoy.filters.http.dynamic_forward_proxy"
    static let clusterType = "envoy.clusters.dynamic_forward_proxy"
    private static let cacheName = "dynamic_forward_proxy_cache_config"

    typealias Properties = SnapshotProperties.DynamicForwardProxyProperties

    static func cluster(_ properties: SnapshotProperties) -> Envoy_Config_Cluster_V3_Cluster {
        let proxy = properties.dynamicForwardProxy
        var config = Envoy_Extensions_Clusters_DynamicForwardProxy_V3_ClusterConfig()
        config.dnsCacheConfig = cache(proxy)
        var cluster = Envoy_Config_Cluster_V3_Cluster()
        cluster.name = proxy.clusterName
        cluster.connectTimeout = EnvoyValues.duration(proxy.connectionTimeout)
        cluster.lbPolicy = .clusterProvided
        cluster.clusterType.name = clusterType
        cluster.clusterType.typedConfig = EnvoyValues.typedConfig(config)
        var options = Envoy_Extensions_Upstreams_Http_V3_HttpProtocolOptions()
        options.upstreamHTTPProtocolOptions.autoSni = true
        options.upstreamHTTPProtocolOptions.autoSanValidation = true
        options.explicitHTTPConfig.httpProtocolOptions = .init()
        cluster.typedExtensionProtocolOptions[ClusterGenerator.httpProtocolOptionsName] = EnvoyValues.typedConfig(options)
        var tls = Envoy_Extensions_TransportSockets_Tls_V3_UpstreamTlsContext()
        tls.commonTlsContext.validationContext.trustedCa.filename = properties.trustedCaFile
        cluster.transportSocket.name = MutualTLSGenerator.tlsSocketName
        cluster.transportSocket.typedConfig = EnvoyValues.typedConfig(tls)
        cluster.transportSocket = TapGenerator.wrap(cluster.transportSocket, configID: "\(cluster.name)_tap", enabled: properties.tcpDumpsEnabled)
        return cluster
    }

    static func filter(_ properties: Properties) -> Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter {
        var config = Envoy_Extensions_Filters_Http_DynamicForwardProxy_V3_FilterConfig()
        config.dnsCacheConfig = cache(properties)
        var filter = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter()
        filter.name = filterName
        filter.typedConfig = EnvoyValues.typedConfig(config)
        return filter
    }

    /// The filter and the cluster must describe the same cache: Envoy shares it by name.
    private static func cache(_ properties: Properties) -> Envoy_Extensions_Common_DynamicForwardProxy_V3_DnsCacheConfig {
        var cache = Envoy_Extensions_Common_DynamicForwardProxy_V3_DnsCacheConfig()
        cache.name = cacheName
        cache.dnsLookupFamily = lookupFamily(properties.dnsLookupFamily)
        cache.hostTtl = EnvoyValues.duration(properties.maxHostTtl)
        cache.maxHosts = EnvoyValues.uint32(properties.maxCachedHosts)
        return cache
    }

    private static func lookupFamily(_ family: SnapshotProperties.DnsLookupFamily) -> Envoy_Config_Cluster_V3_Cluster.DnsLookupFamily {
        switch family {
        case .auto: .auto
        case .v4Only: .v4Only
        case .v6Only: .v6Only
        case .v4Preferred: .v4Preferred
        case .all: .all
        }
    }
}
