import AsyncHTTPClient
import Foundation

/// A process the load run starts, measures (CPU, memory) and may kill with SIGKILL and start again.
final class ChildProcess: @unchecked Sendable {
    let binary: String
    let arguments: [String]
    let logFile: String
    private(set) var pid: pid_t?

    init(binary: String, arguments: [String], logFile: String) {
        (self.binary, self.arguments, self.logFile) = (binary, arguments, logFile)
    }

    /// Started through `taskset -c cpus` (util-linux), so every thread it ever makes runs on those CPUs only: the
    /// measured server gets its own core and the load generator the other.
    convenience init(binary: String, arguments: [String], logFile: String, cpus: String?) {
        guard let cpus else {
            self.init(binary: binary, arguments: arguments, logFile: logFile)
            return
        }
        self.init(binary: "/usr/bin/taskset", arguments: ["-c", cpus, binary] + arguments, logFile: logFile)
    }

    var stats: ProcessStats? { pid.flatMap(ProcessStats.init(pid:)) }

    /// Spawned with posix_spawn rather than Foundation's Process, which crashes when the parent has thousands of
    /// open descriptors (the load run's streams); those are close-on-exec, so the child does not inherit them.
    func start() throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([binary] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child = pid_t()
        let status = posix_spawn(&child, binary, &actions, nil, argv, environ)
        guard status == 0 else { throw LoadError("cannot start \(binary): \(String(cString: strerror(status)))") }
        pid = child
    }

    var isRunning: Bool {
        guard let pid else { return false }
        return waitpid(pid, nil, WNOHANG) == 0
    }

    /// Waits until `url` answers 200 while this process runs (another process on the port does not count).
    func waitUntilAnswering(_ url: String, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard isRunning else { return false }
            if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(2)),
               response.status == .ok {
                return true
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    func kill9() { signal(SIGKILL) }

    func stop() { signal(SIGTERM) }

    private func signal(_ signal: Int32) {
        guard let pid, isRunning else { return }
        kill(pid, signal)
        waitpid(pid, nil, 0)
        self.pid = nil
    }
}
