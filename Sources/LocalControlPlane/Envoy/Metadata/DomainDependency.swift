import Foundation

/// An external dependency `domain: http(s)://host[:port]`: reached through the egress listener by its host name.
public struct DomainDependency: Hashable, Sendable {
    public var host: String
    public var port: Int
    public var tls: Bool
    /// Whether the URL named the port (then the route's domain carries it, as envoy-control's `getRouteDomain`).
    public var explicitPort: Bool
    public var settings: DependencySettings

    /// Envoy cluster name as envoy-control's: `host:port` with dots and colons made underscores.
    public var clusterName: String {
        "\(host)_\(port)".replacingOccurrences(of: ".", with: "_")
    }

    static func parse(_ text: String, field: String, settings: DependencySettings) throws(NodeMetadataError) -> DomainDependency {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
              let host = url.host, !host.isEmpty, url.path.isEmpty || url.path == "/"
        else {
            throw NodeMetadataError(field: field, reason: "'\(text)' is not http(s)://host[:port] (envoy-control: Unsupported protocol for domain dependency)")
        }
        let tls = scheme == "https"
        let port = url.port ?? (tls ? 443 : 80)
        // URL takes any number as a port; Envoy's is 16 bits (a larger one trapped converting to its uint32).
        guard (1...65535).contains(port) else {
            throw NodeMetadataError(field: field, reason: "'\(text)': port \(port) is not in 1-65535")
        }
        return DomainDependency(host: host.lowercased(), port: port, tls: tls, explicitPort: url.port != nil, settings: settings)
    }
}
