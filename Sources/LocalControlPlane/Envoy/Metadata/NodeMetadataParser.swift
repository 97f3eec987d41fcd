import Shared
import SwiftProtobuf

/// Turns an Envoy node's metadata (envoy-control's keys and shapes) into a `ProxyProfile`, applying the server's
/// `SnapshotProperties` as envoy-control does. A malformed value of a known key is refused naming the key; a
/// well-formed key that is not honoured yet is reported in `unsupported`, never refused.
public enum NodeMetadataParser {
    /// A parsed node: its profile and the keys it set that this control plane accepts but does not act on yet.
    public struct ParsedNode: Sendable {
        public var profile: ProxyProfile
        public var unsupported: Set<String>
    }

    public static func parse(
        metadata: Google_Protobuf_Struct, nodeCluster: String = "", envoyVersion: EnvoyVersion? = nil,
        properties: SnapshotProperties = SnapshotProperties()
    ) throws(NodeMetadataError) -> ProxyProfile {
        try read(metadata: metadata, nodeCluster: nodeCluster, envoyVersion: envoyVersion, properties: properties).profile
    }

    /// `envoyVersion`: the node's release, which decides the features an older Envoy would refuse.
    public static func read(
        metadata: Google_Protobuf_Struct, nodeCluster: String = "", envoyVersion: EnvoyVersion? = nil,
        properties: SnapshotProperties = SnapshotProperties()
    ) throws(NodeMetadataError) -> ParsedNode {
        let root = MetadataReader(path: "metadata", structValue: metadata)
        var unsupported = Set<String>()
        let serviceName = try root.child("service_name")?.string() ?? nodeCluster
        guard serviceName.isEmpty || ServiceName.isValid(serviceName) else {
            throw NodeMetadataError(field: "metadata.service_name", reason: "'\(serviceName)' is not a valid service name")
        }
        if serviceName.isEmpty, properties.requireServiceName {
            throw NodeMetadataError(field: "metadata.service_name", reason: "required on this control plane (snapshot.requireServiceName)")
        }
        var profile = ProxyProfile(serviceName: serviceName)
        profile.communicationMode = try root.child("ads")?.bool() == true ? .ads : .xds
        let modes = properties.enabledCommunicationModes
        guard profile.communicationMode == .ads ? modes.ads : modes.xds else {
            throw NodeMetadataError(
                field: "metadata.ads",
                reason: "\(profile.communicationMode == .ads ? "ADS" : "separate xDS streams (ads: false)") is switched off on this control plane "
                    + "(snapshot.enabledCommunicationModes)")
        }
        profile.listeners = try ListenersParser.parse(root, properties: properties)
        profile.listeners?.ignoreHttp11Upgrades = envoyVersion.map { $0 >= .ignoreHttp11Upgrades } ?? false
        profile.listeners?.jwtFailureStatus = envoyVersion.map { $0 >= .jwtFailureStatus } ?? false
        let proxySettings = try root.child("proxy_settings")
        let outgoing = try OutgoingParser.parse(proxySettings?.child("outgoing"), properties: properties, unsupported: &unsupported)
        if outgoing.allServices != nil, properties.outgoingPermissions.enabled,
           !properties.outgoingPermissions.servicesAllowedToUseWildcard.contains(serviceName) {
            throw NodeMetadataError(
                field: "metadata.proxy_settings.outgoing.dependencies",
                reason: "'\(properties.outgoingPermissions.allServicesDependencies.identifier)' (all services) is allowed only for the services in "
                    + "snapshot.outgoingPermissions.servicesAllowedToUseWildcard")
        }
        profile.outgoing = outgoing
        if !properties.outgoingPermissions.enabled && profile.outgoing.allServices == nil {
            profile.outgoing.allServices = OutgoingParser.defaultSettings(properties)
        }
        profile.incoming = try IncomingParser.parse(
            proxySettings?.child("incoming"), serviceName: serviceName, properties: properties, unsupported: &unsupported)
        profile.pathNormalization = try PathNormalizationParser.parse(
            root.child("path_normalization"), incoming: proxySettings?.child("incoming")?.child("pathNormalizationPolicy"),
            defaults: properties.pathNormalization)
        profile.compression = try CompressionParser.parse(root.child("compression"), defaults: properties.compression)
        for key in ["use_transparent_proxy", "enable_lua_script"] {
            if try root.child(key) != nil { unsupported.insert(key) }
        }
        // `proxy_settings.customData` is for envoy-control's custom filter factories; no resource depends on it.
        return ParsedNode(profile: profile, unsupported: unsupported)
    }
}

/// The listener keys: dynamic listeners exactly when envoy-control creates them.
enum ListenersParser {
    static func parse(_ root: MetadataReader, properties: SnapshotProperties) throws(NodeMetadataError) -> ListenersConfig? {
        let ingressHost = try root.child("ingress_host")?.string()
        let ingressPort = try root.child("ingress_port")?.port()
        let egressHost = try root.child("egress_host")?.string()
        let egressPort = try root.child("egress_port")?.port()
        var config: ListenersConfig?
        if properties.dynamicListeners.enabled, let ingressHost, let ingressPort, let egressHost, let egressPort {
            config = ListenersConfig(
                ingress: ListenerAddress(host: ingressHost, port: ingressPort), egress: ListenerAddress(host: egressHost, port: egressPort))
        }
        // Read even without listeners: a malformed value is refused either way.
        let useRemoteAddress = try root.child("use_remote_address")?.bool() ?? false
        let generateRequestId = try root.child("generate_request_id")?.bool() ?? false
        let preserveExternalRequestId = try root.child("preserve_external_request_id")?.bool() ?? false
        let upstreamAddressHeader = try root.child("add_upstream_external_address_header")?.bool() ?? false
        let staticSecrets = try root.child("has_static_secrets_defined")?.bool() ?? false
        let logProperties = properties.dynamicListeners.httpFilters.accessLog
        var accessLog = AccessLogSettings(enabled: try root.child("access_log_enabled")?.bool() ?? logProperties.enabled)
        accessLog.path = try root.child("access_log_path")?.string() ?? accessLog.path
        let filter = try root.child("access_log_filter")
        let spec = try AccessLogFilterSpec.parse(filter, defaults: logProperties.filters)
        accessLog.filter = spec.clauses.isEmpty ? nil : spec
        // Our earlier string form turned logging on by itself.
        if let filter, case .stringValue = filter.value.kind, try root.child("access_log_enabled") == nil { accessLog.enabled = true }
        guard var config else { return nil }
        config.useRemoteAddress = useRemoteAddress
        config.generateRequestId = generateRequestId
        config.preserveExternalRequestId = preserveExternalRequestId
        config.addUpstreamExternalAddressHeader = upstreamAddressHeader
        config.hasStaticSecretsDefined = staticSecrets
        config.accessLog = accessLog
        return config
    }
}

/// `path_normalization` (`enabled`, `merge_slashes`, `path_with_escaped_slashes_action`) over the server's defaults, and
/// `proxy_settings.incoming.pathNormalizationPolicy` (`enabled`, `mergeSlashes`, `escapedSlashesAction`) over both.
enum PathNormalizationParser {
    static func parse(
        _ node: MetadataReader?, incoming: MetadataReader?, defaults: PathNormalization
    ) throws(NodeMetadataError) -> PathNormalization {
        var result = defaults
        for (reader, keys) in [(node, ["enabled", "merge_slashes", "path_with_escaped_slashes_action"]),
                               (incoming, ["enabled", "mergeSlashes", "escapedSlashesAction"])] {
            guard let reader else { continue }
            if let value = try reader.child(keys[0])?.bool() { result.enabled = value }
            if let value = try reader.child(keys[1])?.bool() { result.mergeSlashes = value }
            if let field = try reader.child(keys[2]) {
                let text = try field.string()
                guard let action = PathNormalization.EscapedSlashesAction(rawValue: text.uppercased()) else {
                    throw field.error("'\(text)' is not a path-with-escaped-slashes action (\(PathNormalization.EscapedSlashesAction.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                result.pathWithEscapedSlashesAction = action
            }
        }
        return result
    }
}
