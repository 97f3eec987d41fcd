import EnvoyAPI
import Shared

/// Builds CDS resources: one EDS cluster per service (shared by every group that depends on it) and the clusters
/// of external domains. The local service is the bootstrap's static `local_service` cluster, never one of ours.
enum ClusterGenerator {
    /// The cluster named after the service; its endpoints come from EDS (over ADS, or from the control-plane cluster
    /// for `mode` xds). Under a cross-DC traffic split, localities are balanced by their weights. With other DCs'
    /// endpoints it ejects hosts that fail. With `http2` (every instance has a sidecar) it speaks HTTP/2. With a `certificate` (the Envoy's, from its bootstrap or our SDS) it speaks
    /// mTLS to the instances that accept it.
    static func serviceCluster(
        _ name: String, mode: ProxyProfile.CommunicationMode = .ads, certificate: ProxyProfile.CertificateSource? = nil,
        properties: SnapshotProperties = SnapshotProperties(), localityWeighted: Bool = false, crossDatacenter: Bool = false,
        http2: Bool = false, traits: RoutingTraits = RoutingTraits(), subsets: SubsetRules? = nil
    ) -> Envoy_Config_Cluster_V3_Cluster {
        var cluster = Envoy_Config_Cluster_V3_Cluster()
        cluster.name = name
        cluster.type = .eds
        cluster.edsClusterConfig.edsConfig = EnvoyValues.configSource(mode, properties)
        cluster.connectTimeout = EnvoyValues.duration(properties.edsConnectionTimeout)
        cluster.lbPolicy = lbPolicy(properties.loadBalancing.policy)
        let breakers = properties.egress.commonHttp.circuitBreakers
        cluster.circuitBreakers.thresholds = [circuitBreaker(.default, breakers.defaultThreshold), circuitBreaker(.high, breakers.highThreshold)]
        var options = Envoy_Extensions_Upstreams_Http_V3_HttpProtocolOptions()
        options.commonHTTPProtocolOptions.idleTimeout = EnvoyValues.duration(properties.egress.commonHttp.connectionIdleTimeout)
        if http2 { options.explicitHTTPConfig.http2ProtocolOptions = .init() } else { options.explicitHTTPConfig.httpProtocolOptions = .init() }
        cluster.typedExtensionProtocolOptions[httpProtocolOptionsName] = EnvoyValues.typedConfig(options)
        if localityWeighted {
            cluster.commonLbConfig.localityWeightedLbConfig = .init()
        }
        if let subsets, traits.usesSubsets || subsets.tags != nil {
            cluster.lbSubsetConfig = self.subsets(traits, subsets, localityWeighted: localityWeighted)
        }
        if properties.clusterOutlierDetection.enabled {
            cluster.outlierDetection = outlierDetection(properties.clusterOutlierDetection)
        } else if crossDatacenter {
            cluster.outlierDetection = crossDatacenterOutlierDetection
        }
        if let certificate {
            cluster.transportSocketMatches = MutualTLSGenerator.transportSocketMatches(
                service: name, secrets: MutualTLSGenerator.SecretSource(certificate, mode: mode, properties), properties.incomingPermissions.tlsAuthentication,
                tap: properties.tcpDumpsEnabled)
        }
        return cluster
    }

    static let httpProtocolOptionsName = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"

    private static func lbPolicy(_ policy: SnapshotProperties.LoadBalancingPolicy) -> Envoy_Config_Cluster_V3_Cluster.LbPolicy {
        switch policy {
        case .leastRequest: .leastRequest
        case .roundRobin: .roundRobin
        case .random: .random
        }
    }

    /// `egress.commonHttp.circuitBreakers` (envoy-control's defaults: 1024 connections, pending and active requests,
    /// 3 retries, remaining-capacity gauges on).
    private static func circuitBreaker(
        _ priority: Envoy_Config_Core_V3_RoutingPriority, _ limits: SnapshotProperties.Threshold
    ) -> Envoy_Config_Cluster_V3_CircuitBreakers.Thresholds {
        var threshold = Envoy_Config_Cluster_V3_CircuitBreakers.Thresholds()
        threshold.priority = priority
        threshold.maxConnections = EnvoyValues.uint32(limits.maxConnections)
        threshold.maxPendingRequests = EnvoyValues.uint32(limits.maxPendingRequests)
        threshold.maxRequests = EnvoyValues.uint32(limits.maxRequests)
        threshold.maxRetries = EnvoyValues.uint32(limits.maxRetries)
        threshold.trackRemaining = limits.trackRemaining
        return threshold
    }

    /// envoy-control's `clusterOutlierDetection`, on every service cluster when enabled.
    private static func outlierDetection(
        _ properties: SnapshotProperties.ClusterOutlierDetectionProperties
    ) -> Envoy_Config_Cluster_V3_OutlierDetection {
        var detection = Envoy_Config_Cluster_V3_OutlierDetection()
        detection.consecutive5Xx = EnvoyValues.uint32(properties.consecutive5xx)
        detection.interval = EnvoyValues.duration(properties.interval)
        detection.baseEjectionTime = EnvoyValues.duration(properties.baseEjectionTime)
        detection.maxEjectionPercent = EnvoyValues.uint32(properties.maxEjectionPercent)
        detection.enforcingConsecutive5Xx = EnvoyValues.uint32(properties.enforcingConsecutive5xx)
        detection.enforcingSuccessRate = EnvoyValues.uint32(properties.enforcingSuccessRate)
        detection.successRateMinimumHosts = EnvoyValues.uint32(properties.successRateMinimumHosts)
        detection.successRateRequestVolume = EnvoyValues.uint32(properties.successRateRequestVolume)
        detection.successRateStdevFactor = EnvoyValues.uint32(properties.successRateStdevFactor)
        detection.consecutiveGatewayFailure = EnvoyValues.uint32(properties.consecutiveGatewayFailure)
        detection.enforcingConsecutiveGatewayFailure = EnvoyValues.uint32(properties.enforcingConsecutiveGatewayFailure)
        detection.alwaysEjectOneHost = .init(properties.alwaysEjectOneHost)
        return detection
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

    /// Canary and tag subsets. A request for a tag no instance has gets no fallback (Envoy's own 503, no healthy
    /// upstream); a canary request with no canary instance, and every other request, may use any endpoint.
    /// Under a cross-DC split the subsets must keep the localities' weights (Envoy's subset load balancer ignores them
    /// unless told), or a 80/20 split becomes an even one.
    private static func subsets(
        _ traits: RoutingTraits, _ rules: SubsetRules, localityWeighted: Bool
    ) -> Envoy_Config_Cluster_V3_Cluster.LbSubsetConfig {
        var config = Envoy_Config_Cluster_V3_Cluster.LbSubsetConfig()
        config.localityWeightAware = localityWeighted
        config.fallbackPolicy = .anyEndpoint
        config.listAsAny = true
        if traits.hasCanary, let canary = rules.canary {
            var selector = Envoy_Config_Cluster_V3_Cluster.LbSubsetConfig.LbSubsetSelector()
            selector.keys = [canary.metadataKey]
            config.subsetSelectors.append(selector)
        }
        if let tags = rules.tags {
            // Present even before any endpoint has a tag, as in envoy-control: a tag no endpoint has matches nothing.
            var selector = Envoy_Config_Cluster_V3_Cluster.LbSubsetConfig.LbSubsetSelector()
            selector.keys = [tags.properties.metadataKey]
            selector.fallbackPolicy = .noFallback
            config.subsetSelectors.append(selector)
            if tags.properties.choosesFromPreferences { config.metadataFallbackPolicy = .fallbackList }
            if traits.hasCanary, let canary = rules.canary {
                // A tag's canaries, else (envoy-control's KEYS_SUBSET) the tag's instances.
                var both = Envoy_Config_Cluster_V3_Cluster.LbSubsetConfig.LbSubsetSelector()
                both.keys = [tags.properties.metadataKey, canary.metadataKey]
                both.fallbackPolicy = .keysSubset
                both.fallbackKeysSubset = [tags.properties.metadataKey]
                config.subsetSelectors.append(both)
            }
        }
        return config
    }

    /// An external `domain` dependency (or a JWKS endpoint, under its provider's cluster name): resolved by DNS; for
    /// https with SNI, the server's certificate checked against `trustedCaFile` and required to name the host (a
    /// certificate for another name, or from an unknown CA, fails the connection: 503).
    static func domainCluster(
        _ domain: DomainDependency, named name: String? = nil, properties: SnapshotProperties = SnapshotProperties()
    ) -> Envoy_Config_Cluster_V3_Cluster {
        var cluster = Envoy_Config_Cluster_V3_Cluster()
        cluster.name = name ?? domain.clusterName
        cluster.type = .logicalDns
        cluster.dnsLookupFamily = .v4Only
        cluster.connectTimeout = EnvoyValues.duration(properties.staticClusterConnectionTimeout)
        var endpoint = Envoy_Config_Endpoint_V3_LbEndpoint()
        endpoint.endpoint.address = EnvoyValues.address(host: domain.host, port: domain.port)
        var locality = Envoy_Config_Endpoint_V3_LocalityLbEndpoints()
        locality.lbEndpoints = [endpoint]
        cluster.loadAssignment.clusterName = cluster.name
        cluster.loadAssignment.endpoints = [locality]
        if domain.tls {
            var tls = Envoy_Extensions_TransportSockets_Tls_V3_UpstreamTlsContext()
            tls.sni = domain.host
            tls.commonTlsContext.validationContext.trustedCa.filename = properties.trustedCaFile
            var san = Envoy_Extensions_TransportSockets_Tls_V3_SubjectAltNameMatcher()
            san.sanType = IPAddressText.isIPv4(domain.host) || IPAddressText.isIPv6(domain.host) ? .ipAddress : .dns
            san.matcher.exact = domain.host
            tls.commonTlsContext.validationContext.matchTypedSubjectAltNames = [san]
            cluster.transportSocket.name = "envoy.transport_sockets.tls"
            cluster.transportSocket.typedConfig = EnvoyValues.typedConfig(tls)
            cluster.transportSocket = TapGenerator.wrap(cluster.transportSocket, configID: "\(cluster.name)_tap", enabled: properties.tcpDumpsEnabled)
        }
        return cluster
    }
}
