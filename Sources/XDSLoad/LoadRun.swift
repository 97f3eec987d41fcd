import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix

/// One load run: the Consul test double (its own process) seeded with the catalog, the control plane under test
/// watching it, N simulated Envoys in this process; then the phases: connect, single changes, sustained changes,
/// kill -9 and restart. The double and the control plane are separate processes so each is measured on its own
/// and this process keeps its file descriptors for the streams.
public struct LoadRun: Sendable {
    /// What the simulated Envoys connect to.
    public enum Target: String, Sendable, CaseIterable {
        /// The real local-control-plane watching the Consul double.
        case controlPlane = "control-plane"
        /// `xds-load floor-server`: pre-encoded responses and no generation, the cost of the transport alone.
        case floor
    }

    public var scenario: LoadScenario
    public var target = Target.controlPlane
    public var controlPlaneBinary: String
    public var consulPort = 18599
    public var xdsPort = 18597
    public var httpPort = 18598
    public var workDirectory = "run/xds-load"
    public var restart = true
    /// CPUs the measured server (control plane or floor) is pinned to, e.g. "0"; nil: not pinned.
    public var serverCPUs: String?
    /// The control plane's `--consul-debounce` (nil: its default, 100ms). Every change waits this long before it is
    /// generated; the floor has no such wait, so a small value shows the control plane's own latency next to it.
    public var consulDebounce: String?
    /// What carries the floor's ADS (`--target floor` only).
    public var floorTransport = FloorServer.Transport.nio

    public init(scenario: LoadScenario, controlPlaneBinary: String) {
        self.scenario = scenario
        self.controlPlaneBinary = controlPlaneBinary
    }

    public func run(log: @escaping @Sendable (String) -> Void) async throws -> LoadReport {
        try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
        switch target {
        case .controlPlane: return try await runAgainstControlPlane(log: log)
        case .floor: return try await runAgainstFloor(log: log)
        }
    }

    private func runAgainstControlPlane(log: @escaping @Sendable (String) -> Void) async throws -> LoadReport {
        let binaries = URL(fileURLWithPath: controlPlaneBinary).deletingLastPathComponent()
        let consulURL = "http://127.0.0.1:\(consulPort)"
        let double = ChildProcess(
            binary: binaries.appendingPathComponent("consul-double").path, arguments: ["--port", "\(consulPort)"],
            logFile: "\(workDirectory)/consul-double.log")
        let config = "\(workDirectory)/local-control-plane.yaml"
        try LoadScenario.snapshotYAML.write(toFile: config, atomically: true, encoding: .utf8)
        let controlPlane = ChildProcess(
            binary: controlPlaneBinary,
            arguments: [
                "--config", config, "--datacenter", "dc1", "--consul-url", consulURL, "--xds-port", "\(xdsPort)",
                "--http-port", "\(httpPort)", "--log-level", "warning", "--remote-state-file", "\(workDirectory)/remote-state.json",
            ] + (consulDebounce.map { ["--consul-debounce", $0] } ?? []),
            logFile: "\(workDirectory)/local-control-plane.log", cpus: serverCPUs)
        defer {
            controlPlane.stop()
            double.stop()
        }
        try double.start()
        guard await double.waitUntilAnswering("\(consulURL)/v1/status/leader", timeout: .seconds(30)) else {
            throw LoadError("the Consul double did not start; see \(double.logFile)")
        }
        return try await ConsulDoubleDriver.with(url: consulURL) { consul in
            try await consul.seed(services: scenario.services, instances: scenario.instances)
            try controlPlane.start()
            guard await controlPlane.waitUntilAnswering("http://127.0.0.1:\(httpPort)/ready", timeout: .seconds(120)) else {
                throw LoadError("the control plane did not become ready; see \(controlPlane.logFile)")
            }
            log("control plane ready (pid \(controlPlane.pid ?? 0)); opening \(scenario.streams) streams")
            var report = LoadReport(target: "local-control-plane (\(controlPlaneBinary))", scenario: scenario)
            let phases = LoadPhases(
                scenario: scenario, consul: consul, controlPlane: controlPlane, xdsPort: xdsPort,
                metricsURL: "http://127.0.0.1:\(httpPort)/metrics", log: log)
            try await phases.run(into: &report, restart: restart)
            return report
        }
    }

    /// The same phases against `xds-load floor-server` (this binary), which takes the changes itself; no restart.
    private func runAgainstFloor(log: @escaping @Sendable (String) -> Void) async throws -> LoadReport {
        let floorURL = "http://127.0.0.1:\(httpPort)"
        let floor = ChildProcess(
            binary: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"),
            arguments: ["floor-server", "--transport", floorTransport.rawValue, "--xds-port", "\(xdsPort)", "--http-port", "\(httpPort)"]
                + scenario.catalogArguments,
            logFile: "\(workDirectory)/floor-server.log", cpus: serverCPUs)
        defer { floor.stop() }
        try floor.start()
        guard await floor.waitUntilAnswering("\(floorURL)/ready", timeout: .seconds(120)) else {
            throw LoadError("the floor server did not become ready; see \(floor.logFile)")
        }
        return try await ConsulDoubleDriver.with(url: floorURL) { changes in
            try await changes.seed(services: scenario.services, instances: scenario.instances)
            log("floor server ready (pid \(floor.pid ?? 0)); opening \(scenario.streams) streams")
            var report = LoadReport(
                target: "floor: pre-encoded responses, no generation (xds-load floor-server --transport \(floorTransport.rawValue))",
                scenario: scenario)
            let phases = LoadPhases(
                scenario: scenario, consul: changes, controlPlane: floor, xdsPort: xdsPort, metricsURL: "\(floorURL)/metrics", log: log)
            try await phases.run(into: &report, restart: false)
            return report
        }
    }
}

/// Drives the Consul double (or the floor, which takes the same requests) over HTTP: bulk registration and endpoint
/// moves. It has a client and an event loop of its own: through the shared client, moves waited for one of its 8
/// connections and then behind the simulated Envoys' reads on the shared loops, so at 100 changes/s they queued in this
/// process and the sustained phase measured that queue, not the server.
final class ConsulDoubleDriver: Sendable {
    let url: String
    private let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let client: HTTPClient

    private init(url: String) {
        self.url = url
        var configuration = HTTPClient.Configuration()
        // Enough for 100s of moves a second at a few ms each; more only opened connections in a burst when the
        // double was briefly slow, which slowed it further.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 16
        client = HTTPClient(eventLoopGroupProvider: .shared(eventLoops), configuration: configuration)
    }

    func seed(services: Int, instances: Int) async throws {
        try await put("\(url)/_double/seed?services=\(services)&instances=\(instances)")
    }

    /// Moves the first instance of `service` to `port`.
    func move(_ service: String, to port: Int) async throws {
        try await put(moveURL(service, to: port))
    }

    /// Sends `count` moves, one every `interval`, from the driver's event loop: the simulated Envoys keep the
    /// cooperative pool busy, and a task per change waited seconds there before its request even started (and again
    /// for its answer). `prepare(i)` names the i-th change's service and port and notes its start; `accepted` gets
    /// how long the source took to answer it; `everySecond` runs once a second while they are sent (on time, where a
    /// task's sleep ended seconds late). Returns once every move was answered; throws the first failure.
    func moves(
        count: Int, every interval: Duration, prepare: @escaping @Sendable (Int) -> (service: String, port: Int),
        accepted: @escaping @Sendable (Duration) -> Void, everySecond: @escaping @Sendable () -> Void
    ) async throws {
        guard count > 0 else { return }
        let loop = eventLoops.next()
        let done = loop.makePromise(of: Void.self)
        let start = NIODeadline.now()
        let step = TimeAmount.nanoseconds(Int64(interval.seconds * 1e9))
        try await loop.submit { [client] in
            let remaining = NIOLoopBoundBox(count, eventLoop: loop)
            let seconds = Int((interval.seconds * Double(count)).rounded(.up))
            for second in 0..<seconds { loop.scheduleTask(deadline: start + .seconds(Int64(second + 1)), everySecond) }
            for number in 0..<count {
                loop.scheduleTask(deadline: start + step * Int64(number)) {
                    let (service, port) = prepare(number)
                    let sent = ContinuousClock.now
                    let request = try HTTPClient.Request(url: self.moveURL(service, to: port), method: .PUT)
                    client.execute(request: request, eventLoop: .delegate(on: loop), deadline: .now() + .seconds(120))
                        .whenComplete { result in
                            switch result {
                            case .success(let response) where response.status == .ok: accepted(.now - sent)
                            case .success(let response): done.fail(LoadError("move of \(service): \(response.status)"))
                            case .failure(let error): done.fail(error)
                            }
                            remaining.value -= 1
                            if remaining.value == 0 { done.succeed() }
                        }
                }.futureResult.whenFailure { done.fail($0) }
            }
        }.get()
        try await done.futureResult.get()
    }

    /// Runs `body` with a driver of `url`, shut down afterwards whatever `body` does.
    static func with<Result>(url: String, _ body: (ConsulDoubleDriver) async throws -> Result) async throws -> Result {
        let driver = ConsulDoubleDriver(url: url)
        let result: Swift.Result<Result, any Error>
        do { result = .success(try await body(driver)) } catch { result = .failure(error) }
        try? await driver.client.shutdown()
        try? await driver.eventLoops.shutdownGracefully()
        return try result.get()
    }

    /// Where moving the first instance of `service` to `port` is asked.
    private func moveURL(_ service: String, to port: Int) -> String { "\(url)/_double/move?id=\(service)-0&port=\(port)" }

    private func put(_ target: String) async throws {
        var request = HTTPClientRequest(url: target)
        request.method = .PUT
        let response = try await client.execute(request, timeout: .seconds(120))
        guard response.status == .ok else { throw LoadError("\(target): \(response.status)") }
    }
}

struct LoadError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
