import Foundation

/// A real HTTP server (Python's http.server) that answers `GET /` with its own name.
final class Backend: Sendable {
    let name: String
    let port: Int
    let process: ManagedProcess

    init(name: String, directory: URL) throws {
        self.name = name
        port = TestEnvironment.freePort()
        let root = directory.appendingPathComponent("www-\(name)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try "\(name)\n".write(to: root.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
        process = try ManagedProcess(
            name: "backend-\(name)", executable: TestEnvironment.python,
            arguments: ["-m", "http.server", "\(port)", "--bind", "127.0.0.1", "--directory", root.path], directory: directory)
    }

    var address: String { "127.0.0.1:\(port)" }
}
