import Foundation

/// The real `global-aggregator` executable over control planes of several DCs.
final class AggregatorProcess: Sendable {
    let httpPort: Int
    let database: URL
    let arguments: [String]
    let directory: URL
    let process: ManagedProcess

    init(controlPlanes: [ControlPlaneProcess], tokenFile: URL, directory: URL, policyFile: URL? = nil, httpPort: Int? = nil,
        database: URL? = nil, extraArguments: [String] = []
    ) throws {
        self.httpPort = httpPort ?? TestEnvironment.freePort()
        self.directory = directory
        self.database = database ?? directory.appendingPathComponent("aggregator.sqlite")
        // One flag per DC listing its replicas.
        let replicas = Dictionary(grouping: controlPlanes, by: \.datacenter)
        let datacenters: [String] = replicas.keys.sorted().flatMap { datacenter in
            ["--datacenter", "\(datacenter)=" + replicas[datacenter]!.map(\.api).joined(separator: ",")]
        }
        let tokens: [String] = ["--push-token-file", tokenFile.path, "--state-token-file", tokenFile.path]
        let settings: [String] = ["--database", self.database.path, "--http-port", "\(self.httpPort)", "--poll-wait", "10s"]
        arguments = ["--region", "test"] + datacenters + tokens + settings + (policyFile.map { ["--policy", $0.path] } ?? []) + extraArguments
        process = try ManagedProcess(
            name: "global-aggregator-\(UUID().uuidString.prefix(4))", executable: TestEnvironment.executable("global-aggregator"),
            arguments: arguments, directory: directory)
    }

    private init(arguments: [String], httpPort: Int, database: URL, directory: URL) throws {
        self.arguments = arguments
        self.httpPort = httpPort
        self.database = database
        self.directory = directory
        process = try ManagedProcess(
            name: "global-aggregator-\(UUID().uuidString.prefix(4))", executable: TestEnvironment.executable("global-aggregator"),
            arguments: arguments, directory: directory)
    }

    /// https (as `localhost`, the name in the test certificates) when started with `--tls-cert`.
    var api: String { arguments.contains("--tls-cert") ? "https://localhost:\(httpPort)" : "http://127.0.0.1:\(httpPort)" }

    /// The same aggregator (same database and ports) started again.
    func restarted() throws -> AggregatorProcess {
        try AggregatorProcess(arguments: arguments, httpPort: httpPort, database: database, directory: directory)
    }
}
