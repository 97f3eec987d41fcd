import Shared

/// envoy-control's `dynamicForwardProxy.*`: the cluster behind `domainPattern` dependencies, which resolves each
/// request's host by DNS and calls it over TLS.
extension SnapshotProperties {
    public struct DynamicForwardProxyProperties: Hashable, Sendable {
        public var clusterName = "dynamic_forward_proxy_cluster"
        public var dnsLookupFamily = DnsLookupFamily.v4Only
        public var maxCachedHosts = 1024
        public var maxHostTtl: Duration = .seconds(300)
        public var connectionTimeout: Duration = .seconds(1)
    }

    /// Envoy's `Cluster.DnsLookupFamily` names.
    public enum DnsLookupFamily: String, Hashable, Sendable, CaseIterable {
        case auto = "AUTO"
        case v4Only = "V4_ONLY"
        case v6Only = "V6_ONLY"
        case v4Preferred = "V4_PREFERRED"
        case all = "ALL"
    }
}

extension SnapshotProperties.DynamicForwardProxyProperties: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: ["clusterName", "dnsLookupFamily", "maxCachedHosts", "maxHostTtl", "connectionTimeout"])
        try keys.set(&clusterName, "clusterName")
        guard ServiceName.isValid(clusterName) else { throw keys.invalid("clusterName", "'\(clusterName)' is not a cluster name") }
        try keys.setCase(&dnsLookupFamily, "dnsLookupFamily")
        try keys.set(&maxCachedHosts, "maxCachedHosts")
        guard maxCachedHosts >= 1 else { throw keys.invalid("maxCachedHosts", "must be at least 1") }
        try keys.setDuration(&maxHostTtl, "maxHostTtl")
        try keys.setDuration(&connectionTimeout, "connectionTimeout")
    }
}
