import Foundation

/// A child process whose output goes to a log file; stopped by `stop()` or on deinit.
final class ManagedProcess: @unchecked Sendable {
    let name: String
    let logFile: URL
    private let process = Process()

    /// `environment`: variables added to the test runner's own.
    init(name: String, executable: String, arguments: [String], directory: URL, environment: [String: String] = [:]) throws {
        self.name = name
        logFile = directory.appendingPathComponent("\(name).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, added in added } }
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    var pid: Int32 { process.processIdentifier }

    /// Resident memory in MB, from /proc.
    var residentMegabytes: Double? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) else { return nil }
        return kilobytes / 1024
    }

    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// SIGTERM, then SIGKILL after a short grace: children of the test runner may inherit a blocked SIGTERM.
    func stop() {
        guard process.isRunning else { return }
        let pid = process.processIdentifier
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(1)
        // kill(pid, 0) sees the exit at once; Foundation's isRunning only later.
        while kill(pid, 0) == 0 && Date() < deadline && process.isRunning { usleep(20_000) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }

    /// SIGTERM and wait up to `timeout` for the exit; the exit status, or nil when the process did not exit in time.
    func terminate(within timeout: TimeInterval) -> Int32? {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// `kill -9`: no chance to clean up, as in a crash.
    func kill9() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGSTOP: the process holds its sockets but answers nothing, as a hung or partitioned host.
    func pause() { kill(process.processIdentifier, SIGSTOP) }

    /// SIGCONT after `pause()`.
    func resume() { kill(process.processIdentifier, SIGCONT) }

    deinit {
        resume()
        stop()
    }
}
