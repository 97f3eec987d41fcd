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
        _ = try await HTTP.put("\(url)/v1/agent/service/register", body: body)
    }

    func deregister(id: String) async throws {
        _ = try await HTTP.put("\(url)/v1/agent/service/deregister/\(id)", body: "")
    }

    /// `pass`, `warn` or `fail` the instance's TTL check.
    func check(id: String, _ action: String) async throws {
        _ = try await HTTP.put("\(url)/v1/agent/check/\(action)/service:\(id)", body: "")
    }

    /// Double only: `none`, `error`, `slow`, `garbage`, `drop`, `zero-index`.
    func inject(_ mode: String, delay: String = "10s") async throws {
        _ = try await HTTP.put("\(url)/_double/fault?mode=\(mode)&delay=\(delay)", body: "")
    }

    /// Double only: every index drops to 1, as after a snapshot restore.
    func resetIndex() async throws {
        _ = try await HTTP.put("\(url)/_double/reset-index", body: "")
    }
}
