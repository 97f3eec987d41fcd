import Foundation

/// A real HTTP server (Resources/echo_backend.py on the venv's Python) that answers every method and path
/// with its own name; `/slow?ms=N` answers after N milliseconds.
final class Backend: Sendable {
    static let script = TestEnvironment.packageRoot.appendingPathComponent("Tests/EndToEndTests/Resources/echo_backend.py").path

    let name: String
    let port: Int
    let process: ManagedProcess

    init(name: String, directory: URL) throws {
        self.name = name
        port = TestEnvironment.freePort()
        process = try ManagedProcess(
            name: "backend-\(name)", executable: TestEnvironment.python, arguments: ["-u", Self.script, "\(port)", name],
            directory: directory)
    }

    var address: String { "127.0.0.1:\(port)" }
}
