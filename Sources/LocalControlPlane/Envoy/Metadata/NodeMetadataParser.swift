import Shared
import SwiftProtobuf

/// Turns an Envoy node's metadata (envoy-control compatible keys) into a `ProxyProfile`.
public enum NodeMetadataParser {
    public static let defaultListenerHost = "0.0.0.0"

    public static func parse(metadata: Google_Protobuf_Struct, nodeCluster: String = "") throws(NodeMetadataError) -> ProxyProfile {
        let root = MetadataReader(path: "metadata", structValue: metadata)
        let serviceName = try root.child("service_name")?.string() ?? nodeCluster
        guard ServiceName.isValid(serviceName) else {
            throw NodeMetadataError(
                field: "metadata.service_name",
                reason: serviceName.isEmpty ? "is required (or set node.cluster)" : "'\(serviceName)' is not a valid service name")
        }
        var profile = ProxyProfile(serviceName: serviceName)
        profile.egress = try listener(root, prefix: "egress")
        if let ingress = try listener(root, prefix: "ingress") {
            guard let localPort = try root.child("local_service_port")?.port() else {
                throw NodeMetadataError(field: "metadata.local_service_port", reason: "is required when ingress_port is set")
            }
            profile.ingress = .init(listener: ingress, localServicePort: localPort)
        }
        let proxySettings = try root.child("proxy_settings")
        if let outgoing = try proxySettings?.child("outgoing") {
            profile.outgoing = try parseOutgoing(outgoing)
        }
        if let incoming = try proxySettings?.child("incoming") {
            profile.incoming = try IncomingPermissionsParser.parse(incoming)
        }
        if let filter = try root.child("access_log_filter") {
            profile.accessLogFilter = try AccessLogFilterSpec.parse(try filter.string())
        }
        return profile
    }

    private static func listener(_ root: MetadataReader, prefix: String) throws(NodeMetadataError) -> ProxyProfile.ListenerAddress? {
        guard let port = try root.child("\(prefix)_port")?.port() else { return nil }
        let host = try root.child("\(prefix)_host")?.string() ?? defaultListenerHost
        guard !host.isEmpty else { throw NodeMetadataError(field: "metadata.\(prefix)_host", reason: "must not be empty") }
        return .init(host: host, port: port)
    }

    private static func parseOutgoing(_ outgoing: MetadataReader) throws(NodeMetadataError) -> ProxyProfile.Outgoing {
        var result = ProxyProfile.Outgoing()
        for dependency in try outgoing.child("dependencies")?.elements() ?? [] {
            let timeouts = try parseTimeouts(dependency.child("timeoutPolicy"))
            if let service = try dependency.child("service") {
                let name = try service.string()
                if name == "*" {
                    result.allServices = timeouts
                } else if ServiceName.isValid(name) {
                    result.services[name] = timeouts
                } else {
                    throw service.error("'\(name)' is not a valid service name")
                }
            } else if let domain = try dependency.child("domain") {
                result.domains[try DomainDependency.parse(try domain.string(), field: domain.path)] = timeouts
            } else {
                throw dependency.error("needs a 'service' or a 'domain'")
            }
        }
        return result
    }

    private static func parseTimeouts(_ policy: MetadataReader?) throws(NodeMetadataError) -> ProxyProfile.TimeoutPolicy {
        guard let policy else { return .init() }
        return .init(
            requestTimeout: try policy.child("requestTimeout")?.duration(),
            idleTimeout: try policy.child("idleTimeout")?.duration())
    }
}
