import AsyncHTTPClient
import Foundation

/// The real `local-control-plane` binary, started by the load run against the in-process Consul double, so it can
/// be measured (CPU, memory) and killed with SIGKILL and started again.
final class ControlPlaneUnderTest: @unchecked Sendable {
    let binary: String
    let consulURL: String
    let xdsPort: Int
    let httpPort: Int
    let logFile: String
    private var process: Process?

    init(binary: String, consulURL: String, xdsPort: Int, httpPort: Int, logFile: String) {
        (self.binary, self.consulURL, self.xdsPort, self.httpPort, self.logFile) = (binary, consulURL, xdsPort, httpPort, logFile)
    }

    var pid: Int32? { process?.processIdentifier }

    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--datacenter", "dc1", "--consul-url", consulURL, "--xds-port", "\(xdsPort)", "--http-port", "\(httpPort)",
            "--log-level", "warning", "--remote-state-file", logFile + ".remote-state.json",
        ]
        if !FileManager.default.fileExists(atPath: logFile) { FileManager.default.createFile(atPath: logFile, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        self.process = process
    }

    /// Waits until `/ready` answers 200: the first registry sync finished.
    func waitUntilReady(_ http: HTTPClient, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let response = try? await http.execute(HTTPClientRequest(url: "http://127.0.0.1:\(httpPort)/ready"), timeout: .seconds(2)),
               response.status == .ok {
                return true
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    var stats: ProcessStats? { pid.flatMap(ProcessStats.init(pid:)) }

    func kill9() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stop() {
        guard let process, process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
