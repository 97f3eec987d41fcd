import ArgumentParser
import Foundation
import XDSLoad

/// `xds-load`: simulated Envoys against a real local-control-plane watching the Consul double, or against the floor.
@main
struct XDSLoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xds-load",
        abstract: "Open N ADS streams against a local-control-plane and measure initial config, change fan-out and restarts.",
        subcommands: [Run.self, FloorServerCommand.self],
        defaultSubcommand: Run.self)
}

/// The options that shape the simulated catalog and groups, shared by the run and the floor server.
struct CatalogOptions: ParsableArguments {
    @Option(help: "Distinct node-metadata groups.") var groups = 100
    @Option(help: "Dependencies per group.") var dependencies = 10
    @Option(help: "Services every group depends on (changes to them reach every stream).") var sharedDependencies = 1
    @Option(help: "Services in the catalog.") var services = 1_000
    @Option(help: "Instances per service.") var instances = 10

    func apply(to scenario: inout LoadScenario) {
        scenario.groups = groups
        scenario.dependencies = dependencies
        scenario.sharedDependencies = sharedDependencies
        scenario.services = services
        scenario.instances = instances
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the load phases and report.")

    @Option(help: "control-plane (the real local-control-plane) or floor (pre-encoded responses, no generation).")
    var target = LoadRun.Target.controlPlane
    @Option(help: "The local-control-plane binary to start and measure.") var controlPlane = ".build/release/local-control-plane"
    @Option(help: "ADS streams (simulated Envoys).") var streams = 10_000
    @Option(help: "HTTP/2 connections they share (default: one per stream).") var connections = 0
    @OptionGroup var catalog: CatalogOptions
    @Option(name: .customLong("protocol"), help: "sotw or delta.") var xdsProtocol = LoadScenario.XDSProtocol.sotw
    @Option(help: "One-at-a-time changes, half to a shared service.") var singleChanges = 20
    @Option(help: "Sustained changes per second.") var changeRate = 100
    @Option(help: "Length of the sustained phase in seconds.") var sustainSeconds = 60
    @Option(help: "Streams opened per second (default: all at once).") var connectRate = 0
    @Flag(help: "Skip the kill -9 and restart phase (the floor never restarts).") var noRestart = false
    @Option(help: "Write the report as JSON here.") var json: String?
    @Option(help: "Write the report as a Markdown table here.") var markdown: String?
    @Option(help: "Directory for the control plane's log and files.") var workDirectory = "run/xds-load"
    @Option(help: "Pin the measured server to these CPUs (taskset list, e.g. 0); run xds-load itself on the others.")
    var serverCpus: String?
    @Flag(help: "Send the node only on a stream's first request (Envoy's set_node_on_first_message_only).")
    var nodeOnFirstMessageOnly = false
    @Option(help: "The control plane's --consul-debounce (default: its own, 100ms); the floor has no debounce.")
    var consulDebounce: String?
    @Option(help: "What carries the floor's ADS: nio (the control plane's XDSServer) or grpc (grpc-swift's server).")
    var floorTransport = FloorServer.Transport.nio

    func run() async throws {
        var scenario = LoadScenario()
        scenario.streams = streams
        scenario.connections = connections
        catalog.apply(to: &scenario)
        scenario.xdsProtocol = xdsProtocol
        scenario.singleChanges = singleChanges
        scenario.changeRate = changeRate
        scenario.sustainSeconds = sustainSeconds
        scenario.connectRate = connectRate
        scenario.nodeOnFirstMessageOnly = nodeOnFirstMessageOnly
        var load = LoadRun(scenario: scenario, controlPlaneBinary: controlPlane)
        load.serverCPUs = serverCpus
        load.consulDebounce = consulDebounce
        load.target = target
        load.floorTransport = floorTransport
        load.workDirectory = workDirectory
        load.restart = !noRestart
        // Unbuffered: progress shows as it happens when the output goes to a file.
        let report = try await load.run { FileHandle.standardOutput.write(Data("xds-load: \($0)\n".utf8)) }
        print(report.markdown())
        if let markdown { try report.markdown().write(toFile: markdown, atomically: true, encoding: .utf8) }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(report).write(to: URL(fileURLWithPath: json))
        }
    }
}

struct FloorServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "floor-server",
        abstract: "Serve the scenario's config as pre-encoded responses (the floor a control plane is measured against).")

    @Option(help: "ADS port.") var xdsPort = 18597
    @Option(help: "HTTP port for /ready and the run's /_double/move changes.") var httpPort = 18598
    @Option(help: "nio (the control plane's XDSServer) or grpc (grpc-swift's server).") var transport = FloorServer.Transport.nio
    @OptionGroup var catalog: CatalogOptions

    func run() async throws {
        var scenario = LoadScenario()
        catalog.apply(to: &scenario)
        try await FloorServer(scenario: scenario, xdsPort: xdsPort, httpPort: httpPort, transport: transport).run()
    }
}

// The options' values are their raw values; an unknown one is refused with the list of valid ones.
extension LoadRun.Target: ExpressibleByArgument {}
extension LoadScenario.XDSProtocol: ExpressibleByArgument {}
extension FloorServer.Transport: ExpressibleByArgument {}
