import ArgumentParser
import Foundation
import Yams

/// `local-control-plane bootstrap`'s flags: a sidecar's bootstrap from a few facts about it, envoy-control's listener
/// keys filled in and any further metadata (dependencies, incoming endpoints, access logs) taken from a file.
public struct SidecarBootstrapOptions: ParsableArguments {
    @Option(help: "The service this Envoy fronts (node metadata service_name and node cluster).") public var serviceName: String
    @Option(help: "The node id (default: the service name; one per Envoy is better).") public var nodeId: String?
    @Option(help: "This datacenter's name (the node's locality zone).") public var datacenter: String
    @Option(help: "HOST:PORT of the local control plane's xDS port.") public var controlPlane = "127.0.0.1:18000"
    @Flag(help: "Subscribe over delta xDS (DELTA_GRPC) instead of state of the world.") public var delta = false
    @Option(help: "Address the ingress listener binds.") public var ingressHost = "0.0.0.0"
    @Option(help: "Port of the ingress listener.") public var ingressPort = 5001
    @Option(help: "Port of the egress listener (on 127.0.0.1).") public var egressPort = 5000
    @Option(help: "Port of the local service the ingress forwards to (the static local_service cluster).") public var localServicePort: Int?
    @Option(help: "Port of Envoy's admin API (on 127.0.0.1).") public var adminPort = 9901
    @Option(help: "YAML mapping with more node metadata in envoy-control's keys (proxy_settings, access_log_enabled, ...).")
    public var metadataFile: String?
    @Option(help: "PEM CA of the control plane's certificate: xDS over TLS.") public var xdsCa: String?
    @Option(help: "PEM certificate this Envoy presents to the control plane (with --xds-key).") public var xdsCert: String?
    @Option(help: "PEM private key of --xds-cert.") public var xdsKey: String?
    @Option(help: "Name the control plane's certificate must carry (default: the host of --control-plane).") public var xdsServerName: String?

    public init() {}

    public func validate() throws {
        guard parsedControlPlane != nil else { throw ValidationError("--control-plane: '\(controlPlane)' is not HOST:PORT") }
        guard (xdsCert == nil) == (xdsKey == nil) else { throw ValidationError("--xds-cert and --xds-key go together") }
        guard xdsCa != nil || xdsCert == nil else { throw ValidationError("--xds-cert needs --xds-ca") }
    }

    private var parsedControlPlane: (host: String, port: Int)? {
        guard let colon = controlPlane.lastIndex(of: ":"), let port = Int(controlPlane[controlPlane.index(after: colon)...]),
              (1...65535).contains(port), colon > controlPlane.startIndex else { return nil }
        return (String(controlPlane[..<colon]), port)
    }

    /// The bootstrap these flags describe; the metadata file must be a YAML mapping without the keys the flags set.
    public func bootstrap() throws -> SidecarBootstrap {
        let (host, port) = parsedControlPlane ?? ("127.0.0.1", 18000)
        let flagKeys: KeyValuePairs = [
            "service_name": serviceName, "ads": "true", "ingress_host": ingressHost, "ingress_port": "\(ingressPort)",
            "egress_host": "127.0.0.1", "egress_port": "\(egressPort)",
        ]
        var metadata = flagKeys.map { "\($0.key): \($0.value)" }.joined(separator: "\n")
        if let metadataFile {
            let text = try String(contentsOfFile: metadataFile, encoding: .utf8)
            guard let mapping = try Yams.load(yaml: text) as? [String: Any] else {
                throw ValidationError("--metadata-file \(metadataFile): not a YAML mapping")
            }
            let repeated = Set(mapping.keys).intersection(flagKeys.map(\.key))
            guard repeated.isEmpty else {
                throw ValidationError("--metadata-file \(metadataFile): \(repeated.sorted().joined(separator: ", ")) are set by flags")
            }
            metadata += "\n" + text
        }
        var bootstrap = SidecarBootstrap(
            nodeId: nodeId ?? serviceName, cluster: serviceName, zone: datacenter, metadata: metadata,
            controlPlaneHost: host, controlPlanePort: port, adminPort: adminPort)
        bootstrap.apiType = delta ? "DELTA_GRPC" : "GRPC"
        bootstrap.localServicePort = localServicePort
        if let xdsCa {
            bootstrap.controlPlaneTLS = .init(caFile: xdsCa, certificateFile: xdsCert, privateKeyFile: xdsKey, serverName: xdsServerName ?? host)
        }
        return bootstrap
    }
}
