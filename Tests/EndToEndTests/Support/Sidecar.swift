import Foundation
import NIOHTTP1

/// A real Envoy sidecar of one service, configured as envoy-control configures one: node metadata with both
/// listeners (egress for its outgoing calls, ingress in front of its local service, the bootstrap's static
/// `local_service` cluster) and the settings in envoy-control syntax.
final class Sidecar: Sendable {
    let service: String
    let egressPort: Int
    let ingressPort: Int
    let envoy: EnvoyProxy

    /// `settings`: YAML lines for the metadata below the listener keys (proxy_settings, access_log_filter),
    /// indented by 4. Without `localServicePort` the ingress has nothing behind it. With `certificate`, the bootstrap
    /// defines it as envoy-control's static secrets (sidecar mTLS). With `xdsIdentity`, Envoy presents that certificate
    /// to the control plane over mTLS (which may then issue it its sidecar certificate over SDS).
    init(
        service: String, localServicePort: Int? = nil, settings: String, controlPlane: ControlPlaneProcess, directory: URL,
        certificate: TestPKI.Credentials? = nil, xdsIdentity: TestPKI.Credentials? = nil, nodeId: String? = nil
    ) throws {
        self.service = service
        egressPort = TestEnvironment.freePort()
        ingressPort = TestEnvironment.freePort()
        let metadata = """
                service_name: \(service)
                \(EnvoyProxy.listenerKeys(egressPort: egressPort, ingressPort: ingressPort))
                has_static_secrets_defined: \(certificate != nil)

            """
        envoy = try EnvoyProxy(
            name: service, nodeId: nodeId ?? "\(service)-sidecar", metadataYAML: metadata + settings, xdsPort: controlPlane.xdsPort,
            directory: directory, xdsTLS: xdsIdentity.map(EnvoyProxy.XDSTLS.init), localServicePort: localServicePort, secrets: certificate)
    }

    var ingress: String { "127.0.0.1:\(ingressPort)" }

    /// A call through the egress listener to `host` (a service name), as the local service would make it.
    func call(
        _ host: String, _ path: String = "/", method: HTTPMethod = .GET, headers: [(String, String)] = [],
        timeout: Duration = .seconds(5)
    ) async throws -> HTTP.Reply {
        try await HTTP.send(method, "http://127.0.0.1:\(egressPort)\(path)", headers: [("Host", host)] + headers, timeout: timeout)
    }

    /// Waits until a call to `host` gets `status` (Envoy configured and the route in place).
    func waitForRoute(_ host: String, _ path: String = "/", status: Int = 200) async -> Bool {
        await TestEnvironment.waitUntil { (try? await self.call(host, path))?.status == status }
    }

    func stop() { envoy.stop() }
}
