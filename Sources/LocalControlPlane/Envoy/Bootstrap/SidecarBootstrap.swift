import Shared

/// The bootstrap a sidecar Envoy starts with, in envoy-control's form (so an envoy-control bootstrap and this one are
/// interchangeable): node metadata in envoy-control's keys, ADS to the control plane through the static cluster
/// `envoy-control-xds`, and the static `local_service` cluster the ingress forwards to. The one template behind
/// `local-control-plane bootstrap`, the demo, the Kubernetes ConfigMap and the end-to-end tests.
public struct SidecarBootstrap: Sendable, Equatable {
    /// TLS to the control plane: the CA that signed its certificate (for `serverName`) and this Envoy's certificate.
    public struct ControlPlaneTLS: Sendable, Equatable {
        public var caFile: String
        public var certificateFile: String?
        public var privateKeyFile: String?
        public var serverName: String

        public init(caFile: String, certificateFile: String? = nil, privateKeyFile: String? = nil, serverName: String) {
            (self.caFile, self.certificateFile, self.privateKeyFile, self.serverName) = (caFile, certificateFile, privateKeyFile, serverName)
        }
    }

    /// The sidecar's own certificate, as envoy-control's static secrets `server_cert` and `validation_context` (the
    /// node metadata then says `has_static_secrets_defined: true`).
    public struct StaticSecrets: Sendable, Equatable {
        public var certificateFile: String
        public var privateKeyFile: String
        public var caFile: String

        public init(certificateFile: String, privateKeyFile: String, caFile: String) {
            (self.certificateFile, self.privateKeyFile, self.caFile) = (certificateFile, privateKeyFile, caFile)
        }
    }

    public var nodeId: String
    /// The node's `cluster`.
    public var cluster: String
    public var zone: String
    /// The node metadata: a YAML mapping in envoy-control's keys (`service_name`, `ads`, listeners, `proxy_settings`);
    /// its common indentation is removed.
    public var metadata: String
    /// `GRPC` (state of the world) or `DELTA_GRPC`.
    public var apiType = "GRPC"
    public var nodeOnFirstMessageOnly = true
    /// An IP address (a `STATIC` cluster) or a DNS name (`STRICT_DNS`).
    public var controlPlaneHost: String
    public var controlPlanePort: Int
    public var controlPlaneTLS: ControlPlaneTLS?
    public var staticSecrets: StaticSecrets?
    /// The port of the local service behind the ingress, if it has one.
    public var localServicePort: Int?
    public var adminPort: Int

    public init(
        nodeId: String, cluster: String, zone: String, metadata: String, controlPlaneHost: String, controlPlanePort: Int, adminPort: Int
    ) {
        (self.nodeId, self.cluster, self.zone, self.metadata) = (nodeId, cluster, zone, metadata)
        (self.controlPlaneHost, self.controlPlanePort, self.adminPort) = (controlPlaneHost, controlPlanePort, adminPort)
    }

    /// The bootstrap YAML.
    public var yaml: String {
        var lines = [
            "node:",
            "  id: \(nodeId)",
            "  cluster: \(cluster)",
            "  locality: { zone: \(zone) }",
            "  metadata:",
        ]
        lines += Self.dedented(metadata).map { "    \($0)" }
        lines += [
            "dynamic_resources:",
            "  ads_config:",
            "    api_type: \(apiType)",
            "    transport_api_version: V3",
        ]
        if nodeOnFirstMessageOnly { lines.append("    set_node_on_first_message_only: true") }
        lines += [
            "    grpc_services: [{ envoy_grpc: { cluster_name: envoy-control-xds } }]",
            "  cds_config: { ads: {}, resource_api_version: V3 }",
            "  lds_config: { ads: {}, resource_api_version: V3 }",
            "static_resources:",
        ]
        if let staticSecrets {
            lines += [
                "  secrets:",
                "    - name: server_cert",
                "      tls_certificate:",
                "        certificate_chain: { filename: \(staticSecrets.certificateFile) }",
                "        private_key: { filename: \(staticSecrets.privateKeyFile) }",
                "    - name: validation_context",
                "      validation_context: { trusted_ca: { filename: \(staticSecrets.caFile) } }",
            ]
        }
        lines += [
            "  clusters:",
            "    - name: envoy-control-xds",
            "      type: \(Self.isIPAddress(controlPlaneHost) ? "STATIC" : "STRICT_DNS")",
            "      connect_timeout: 1s",
            "      typed_extension_protocol_options:",
            "        envoy.extensions.upstreams.http.v3.HttpProtocolOptions:",
            "          \"@type\": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
            "          explicit_http_config: { http2_protocol_options: {} }",
        ]
        lines += Self.cluster("envoy-control-xds", host: controlPlaneHost, port: controlPlanePort)
        if let controlPlaneTLS { lines += Self.transportSocket(controlPlaneTLS) }
        if let localServicePort {
            lines += ["    - name: local_service", "      type: STATIC", "      connect_timeout: 1s"]
            lines += Self.cluster("local_service", host: "127.0.0.1", port: localServicePort)
        }
        lines += ["admin:", "  address: { socket_address: { address: 127.0.0.1, port_value: \(adminPort) } }"]
        return lines.joined(separator: "\n") + "\n"
    }

    private static func cluster(_ name: String, host: String, port: Int) -> [String] {
        [
            "      load_assignment:",
            "        cluster_name: \(name)",
            "        endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: \(host), port_value: \(port) } } } }] }]",
        ]
    }

    private static func transportSocket(_ tls: ControlPlaneTLS) -> [String] {
        var lines = [
            "      transport_socket:",
            "        name: envoy.transport_sockets.tls",
            "        typed_config:",
            "          \"@type\": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
            "          sni: \(tls.serverName)",
            "          common_tls_context:",
            "            alpn_protocols: [h2]",
        ]
        if let certificate = tls.certificateFile {
            lines += [
                "            tls_certificates:",
                "              - certificate_chain: { filename: \(certificate) }",
                "                private_key: { filename: \(tls.privateKeyFile ?? "") }",
            ]
        }
        return lines + [
            "            validation_context:",
            "              trusted_ca: { filename: \(tls.caFile) }",
            "              match_typed_subject_alt_names: [{ san_type: DNS, matcher: { exact: \(tls.serverName) } }]",
        ]
    }

    /// The lines of `text` without their common indentation (blank lines dropped).
    static func dedented(_ text: String) -> [String] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.allSatisfy(\.isWhitespace) }
        let indentation = lines.map { $0.prefix(while: { $0 == " " }).count }.min() ?? 0
        return lines.map { String($0.dropFirst(indentation)) }
    }

    private static func isIPAddress(_ host: String) -> Bool {
        IPAddressText.isIPv4(host) || IPAddressText.isIPv6(host)
    }
}
