import ArgumentParser
import ConsulDouble
import Hummingbird
import Logging

/// `consul-double`: a stand-in for `consul agent -dev` (the API subset the watcher uses) for tests and the demo.
@main
struct ConsulDoubleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consul-double", abstract: "Serve a faithful test double of Consul's catalog and health HTTP API.")

    @Option(help: "Port to listen on.") var port = 8500
    @Option(help: "Address to listen on.") var bind = "127.0.0.1"
    @Option(help: "The datacenter the agent reports.") var datacenter = "dc1"

    func run() async throws {
        let server = ConsulDoubleServer(catalog: ConsulDoubleCatalog(datacenter: datacenter))
        let app = Application(
            router: server.router(), configuration: .init(address: .hostname(bind, port: port), serverName: "consul-double"),
            logger: Logger(label: "consul-double"))
        try await app.runService()
    }
}
