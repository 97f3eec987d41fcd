import AsyncHTTPClient
import Foundation

/// A real Envoy started from one of envoy-control's test bootstraps (`Resources/envoy-control/`), placeholders filled
/// as envoy-control's `launch_envoy.sh` fills them, with free ports where envoy-control's containers use fixed ones.
struct EnvoyControlBootstrap {
    let envoy: EnvoyProxy
    let egressPort: Int
    let ingressPort: Int

    static let directory = TestEnvironment.packageRoot.appendingPathComponent("Tests/EndToEndTests/Resources/envoy-control")

    /// `file`: e.g. `config_ads`; `localServicePort`: what the static `local_service` (and `wrapper`) clusters reach;
    /// `deltaXDS`: every xDS subscription of the bootstrap over delta (`api_type: DELTA_GRPC`); `certificate`: the
    /// static secrets of `config_auth` (`CERTIFICATE_CHAIN`, `PRIVATE_KEY`, `TRUSTED_CA`); `proxySettings`: replaces
    /// the bootstrap's `proxy_settings` (YAML indented by 6, below `proxy_settings:`), as envoy-control's tests'
    /// `configOverride` does; `environment`: the Envoy process's extra variables.
    init(
        _ file: String, controlPlane: ControlPlaneProcess, serviceName: String = "echo2", localServicePort: Int, directory: URL,
        deltaXDS: Bool = false, certificate: TestPKI.Credentials? = nil, proxySettings: String? = nil, environment: [String: String] = [:]
    ) throws {
        let adminPort = TestEnvironment.freePort()
        egressPort = TestEnvironment.freePort()
        ingressPort = TestEnvironment.freePort()
        var bootstrap = try String(contentsOf: Self.directory.appendingPathComponent("\(file).yaml"), encoding: .utf8)
        for (placeholder, value) in [
            ("HOST_IP", "127.0.0.1"), ("HOST2_PORT", "\(controlPlane.xdsPort)"), ("HOST_PORT", "\(controlPlane.xdsPort)"),
            ("LOCAL_SERVICE_IP", "127.0.0.1"), ("SERVICE_NAME", serviceName), ("WRAPPER_SERVICE_IP", "127.0.0.1"),
            ("ADMIN_PORT", "\(adminPort)"), ("EGRESS_PORT", "\(egressPort)"), ("INGRESS_PORT", "\(ingressPort)"),
            ("LOCAL_SERVICE_PORT", "\(localServicePort)"), ("CERTIFICATE_CHAIN", certificate?.certificate ?? ""),
            ("PRIVATE_KEY", certificate?.key ?? ""), ("TRUSTED_CA", certificate?.ca ?? ""),
        ] {
            bootstrap = bootstrap.replacingOccurrences(of: placeholder, with: value)
        }
        if deltaXDS { bootstrap = bootstrap.replacingOccurrences(of: "api_type: GRPC", with: "api_type: DELTA_GRPC") }
        if let proxySettings, let start = bootstrap.range(of: "    proxy_settings:\n"),
           let end = bootstrap.range(of: "\nstatic_resources:", range: start.upperBound..<bootstrap.endIndex) {
            bootstrap.replaceSubrange(start.upperBound..<end.lowerBound, with: proxySettings + "\n")
        }
        envoy = try EnvoyProxy(
            nodeId: "\(file)-\(adminPort)", bootstrap: bootstrap, adminPort: adminPort, directory: directory, environment: environment)
    }

    /// A call through the egress listener with `Host: host`, as envoy-control's `callService`.
    func callService(
        _ host: String, _ path: String = "/", headers: [(String, String)] = [], client: HTTPClient = .shared
    ) async throws -> HTTP.Reply {
        try await HTTP.send(.GET, "http://127.0.0.1:\(egressPort)\(path)", headers: [("Host", host)] + headers, timeout: .seconds(5), client: client)
    }

    /// A call to the ingress listener, as envoy-control's `callLocalService`.
    func callLocalService(_ path: String, headers: [(String, String)] = []) async throws -> HTTP.Reply {
        try await HTTP.send(.GET, "http://127.0.0.1:\(ingressPort)\(path)", headers: headers, timeout: .seconds(5))
    }

    /// Whether Envoy rejected any xDS update so far (CDS, LDS, and every RDS subscription).
    func rejectedUpdates() async -> Int {
        guard let text = await HTTP.text("\(envoy.admin)/stats?filter=update_rejected") else { return -1 }
        return text.split(separator: "\n").compactMap { line in Int(line.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "") }
            .reduce(0, +)
    }

    func stop() { envoy.stop() }
}
