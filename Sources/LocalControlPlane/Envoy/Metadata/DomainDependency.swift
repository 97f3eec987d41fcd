import Foundation

/// An external dependency `domain: https://host[:port]`: reached through the egress listener by its host name.
public struct DomainDependency: Hashable, Sendable {
    public var host: String
    public var port: Int
    public var tls: Bool

    /// Envoy cluster name: the host with dots made safe, and the port.
    public var clusterName: String {
        "\(host.replacingOccurrences(of: ".", with: "_"))_\(port)"
    }

    static func parse(_ text: String, field: String) throws(NodeMetadataError) -> DomainDependency {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
              let host = url.host, !host.isEmpty, url.path.isEmpty || url.path == "/"
        else {
            throw NodeMetadataError(field: field, reason: "'\(text)' is not http(s)://host[:port]")
        }
        let tls = scheme == "https"
        let port = url.port ?? (tls ? 443 : 80)
        // URL takes any number as a port; Envoy's is 16 bits (a larger one trapped converting to its uint32).
        guard (1...65535).contains(port) else {
            throw NodeMetadataError(field: field, reason: "'\(text)': port \(port) is not in 1-65535")
        }
        return DomainDependency(host: host.lowercased(), port: port, tls: tls)
    }
}
