import AsyncHTTPClient
import ConsulDouble
import EnvoyAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Hummingbird
import Logging

/// One load run: the Consul double (in this process) seeded with the catalog, the control plane under test
/// watching it, N simulated Envoys; then the phases: connect, single changes, sustained changes, kill -9 + restart.
public struct LoadRun: Sendable {
    public var scenario: LoadScenario
    public var controlPlaneBinary: String
    public var consulPort = 18599
    public var xdsPort = 18597
    public var httpPort = 18598
    public var workDirectory = "run/xds-load"
    public var restart = true

    public init(scenario: LoadScenario, controlPlaneBinary: String) {
        self.scenario = scenario
        self.controlPlaneBinary = controlPlaneBinary
    }

    public func run(log: @escaping @Sendable (String) -> Void) async throws -> LoadReport {
        try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
        let catalog = ConsulDoubleCatalog()
        await catalog.seed(services: scenario.services, instancesEach: scenario.instances)
        let consul = Application(
            router: ConsulDoubleServer(catalog: catalog).router(),
            configuration: .init(address: .hostname("127.0.0.1", port: consulPort), serverName: "consul-double"),
            logger: Logger(label: "consul-double"))
        let controlPlane = ControlPlaneUnderTest(
            binary: controlPlaneBinary, consulURL: "http://127.0.0.1:\(consulPort)", xdsPort: xdsPort, httpPort: httpPort,
            logFile: "\(workDirectory)/local-control-plane.log")
        var report = LoadReport(target: "local-control-plane (\(controlPlaneBinary))", scenario: scenario)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await consul.runService() }
            defer { controlPlane.stop() }
            try controlPlane.start()
            guard await controlPlane.waitUntilReady(HTTPClient.shared, timeout: .seconds(120)) else {
                throw LoadError("the control plane did not become ready; see \(workDirectory)/local-control-plane.log")
            }
            log("control plane ready (pid \(controlPlane.pid ?? 0)); opening \(scenario.streams) streams")
            let phases = LoadPhases(scenario: scenario, catalog: catalog, controlPlane: controlPlane, log: log)
            try await phases.run(into: &report, restart: restart)
            group.cancelAll()
        }
        return report
    }
}

struct LoadError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
