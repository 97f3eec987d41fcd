import Foundation
import Testing

/// The real `local-control-plane` executable, run with a registry file the test edits and a `--config` file with
/// the snapshot settings the scenario needs (`settings`, YAML).
final class ControlPlaneProcess: Sendable {
    /// What most scenarios run with: envoy-control's switches for the features under test on (incoming and outgoing
    /// permissions in a plaintext mesh that believes the service-name header, canary and service-tag routing),
    /// retries of requests that never reached an instance, and round robin, which envoy-control's own tests use for
    /// predictable shares.
    static let featureSettings = """
        snapshot:
          incomingPermissions:
            enabled: true
            trustServiceNameHeader: always
            tlsAuthentication: { servicesAllowedToUseWildcard: [server, audited] }
          outgoingPermissions: { enabled: true, servicesAllowedToUseWildcard: [fast, slow] }
          loadBalancing: { policy: ROUND_ROBIN, canary: { enabled: true } }
          routing: { serviceTags: { enabled: true } }
          retryPolicy: { retryOn: [connect-failure, refused-stream, reset] }
        """

    let xdsPort: Int
    let httpPort: Int
    let registryFile: URL?
    let process: ManagedProcess

    let datacenter: String
    let directory: URL
    let extraArguments: [String]
    let settings: String

    /// `replica`: tells the registry files of several replicas of one DC apart.
    convenience init(
        datacenter: String = "dc1", replica: String = "", registryYAML: String, directory: URL, extraArguments: [String] = [],
        settings: String = featureSettings
    ) throws {
        let registryFile = directory.appendingPathComponent("services-\(datacenter)\(replica).yaml")
        try registryYAML.write(to: registryFile, atomically: true, encoding: .utf8)
        try self.init(
            datacenter: datacenter, registryFile: registryFile, directory: directory, extraArguments: extraArguments,
            settings: settings, xdsPort: TestEnvironment.freePort(), httpPort: TestEnvironment.freePort())
    }

    /// A control plane that watches Consul instead of a registry file.
    convenience init(
        datacenter: String = "dc1", consul: ConsulAgent, directory: URL, extraArguments: [String] = [], settings: String = featureSettings
    ) throws {
        try self.init(
            datacenter: datacenter, registryFile: nil, directory: directory,
            extraArguments: ["--consul-url", consul.url] + extraArguments, settings: settings,
            xdsPort: TestEnvironment.freePort(), httpPort: TestEnvironment.freePort())
    }

    private init(
        datacenter: String, registryFile: URL?, directory: URL, extraArguments: [String], settings: String, xdsPort: Int, httpPort: Int
    ) throws {
        self.datacenter = datacenter
        self.registryFile = registryFile
        self.directory = directory
        self.extraArguments = extraArguments
        self.settings = settings
        self.xdsPort = xdsPort
        self.httpPort = httpPort
        let configFile = directory.appendingPathComponent("local-control-plane-\(datacenter)-\(xdsPort).yaml")
        try settings.write(to: configFile, atomically: true, encoding: .utf8)
        process = try ManagedProcess(
            name: "local-control-plane-\(datacenter)", executable: TestEnvironment.executable("local-control-plane"),
            arguments: ["--config", configFile.path, "--datacenter", datacenter] + (registryFile.map { ["--registry-file", $0.path] } ?? [])
                + ["--xds-port", "\(xdsPort)", "--http-port", "\(httpPort)", "--log-level", "debug"] + extraArguments,
            directory: directory)
    }

    /// https (as `localhost`, the name in the test certificates) when started with `--tls-cert`.
    var api: String { extraArguments.contains("--tls-cert") ? "https://localhost:\(httpPort)" : "http://127.0.0.1:\(httpPort)" }

    /// The same control plane started again on the same ports and files (after a stop or a kill -9).
    func restarted() throws -> ControlPlaneProcess {
        try ControlPlaneProcess(
            datacenter: datacenter, registryFile: registryFile, directory: directory, extraArguments: extraArguments,
            settings: settings, xdsPort: xdsPort, httpPort: httpPort)
    }

    /// On a timeout the end of the control plane's log goes into the test's record: why it never got ready.
    func waitUntilReady() async -> Bool {
        let ready = await TestEnvironment.waitUntil { await HTTP.text("\(api)/ready") != nil }
        if !ready {
            let tail = process.log.split(separator: "\n").suffix(20).joined(separator: "\n")
            Issue.record("\(process.name) (running: \(process.isRunning)) never answered \(api)/ready; its log ends:\n\(tail)")
        }
        return ready
    }

    /// Replaces the registry file as an editor would (write to a temp file, rename over).
    func writeRegistry(_ yaml: String) throws {
        guard let registryFile else { throw CocoaError(.fileNoSuchFile) }
        try yaml.write(to: registryFile, atomically: true, encoding: .utf8)
    }
}
