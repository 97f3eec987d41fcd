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

extension SnapshotProperties.DynamicForwardProxyProperties: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("clusterName", \.clusterName),
            .anyCase("dnsLookupFamily", \.dnsLookupFamily),
            .value("maxCachedHosts", \.maxCachedHosts),
            .duration("maxHostTtl", \.maxHostTtl),
            .duration("connectionTimeout", \.connectionTimeout),
        ]
    }

    public mutating func check(_ keys: StrictSettings) throws {
        guard ServiceName.isValid(clusterName) else { throw keys.invalid("clusterName", "'\(clusterName)' is not a cluster name") }
        guard maxCachedHosts >= 1 else { throw keys.invalid("maxCachedHosts", "must be at least 1") }
    }
}
