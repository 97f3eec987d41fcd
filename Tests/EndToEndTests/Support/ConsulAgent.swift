import Foundation

/// The Consul agent a test's control plane watches: a real `consul agent -dev` when `consul` is on PATH (and the
/// test needs no fault injection), otherwise the project's Consul API test double (`consul-double`).
final class ConsulAgent: Sendable {
    let port: Int
    let process: ManagedProcess
    let isDouble: Bool

    init(directory: URL, needsFaults: Bool = false) throws {
        port = TestEnvironment.freePort()
        if !needsFaults, let consul = Self.realConsul() {
            isDouble = false
            process = try ManagedProcess(
                name: "consul", executable: consul,
                arguments: [
                    "agent", "-dev", "-http-port", "\(port)", "-dns-port", "-1", "-grpc-port", "-1",
                    "-serf-lan-port", "\(TestEnvironment.freePort())", "-serf-wan-port", "\(TestEnvironment.freePort())",
                    "-server-port", "\(TestEnvironment.freePort())", "-bind", "127.0.0.1",
                ],
                directory: directory)
        } else {
            isDouble = true
            process = try ManagedProcess(
                name: "consul-double", executable: TestEnvironment.executable("consul-double"), arguments: ["--port", "\(port)"],
                directory: directory)
        }
    }

    static func realConsul() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return path.split(separator: ":").map { "\($0)/consul" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    var url: String { "http://127.0.0.1:\(port)" }

    func waitUntilReady() async -> Bool {
        await TestEnvironment.waitUntil { await HTTP.text("\(url)/v1/status/leader").map { $0.count > 4 } ?? false }
    }

    /// Registers an instance with a passing TTL check `service:<id>` through the agent API.
    func register(id: String, service: String, port instancePort: Int, tags: [String] = []) async throws {
        let tagList = tags.map { "\"\($0)\"" }.joined(separator: ",")
        let body = """
            {"ID": "\(id)", "Name": "\(service)", "Address": "127.0.0.1", "Port": \(instancePort), "Tags": [\(tagList)],
             "Check": {"CheckID": "service:\(id)", "TTL": "10m", "Status": "passing"}}
            """
        try await put("/v1/agent/service/register", body: body)
    }

    func deregister(id: String) async throws {
        try await put("/v1/agent/service/deregister/\(id)")
    }

    /// `pass`, `warn` or `fail` the instance's TTL check.
    func check(id: String, _ action: String) async throws {
        try await put("/v1/agent/check/\(action)/service:\(id)")
    }

    /// Double only: `none`, `error`, `slow`, `garbage`, `drop`, `zero-index`.
    func inject(_ mode: String, delay: String = "10s") async throws {
        try await put("/_double/fault?mode=\(mode)&delay=\(delay)")
    }

    /// Double only: every index drops to 1, as after a snapshot restore.
    func resetIndex() async throws {
        try await put("/_double/reset-index")
    }

    /// A PUT that must succeed: a refused registration or fault would make the test check the wrong world.
    private func put(_ path: String, body: String = "") async throws {
        let reply = try await HTTP.put("\(url)\(path)", body: body)
        guard (200..<300).contains(reply.status) else { throw AgentRefusal(path: path, status: reply.status, body: reply.body) }
    }

    struct AgentRefusal: Error, CustomStringConvertible {
        let path: String
        let status: Int
        let body: String
        var description: String { "Consul agent answered \(status) to PUT \(path): \(body.prefix(200))" }
    }
}
