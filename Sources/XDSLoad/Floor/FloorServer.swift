import GRPCCore
import GRPCNIOTransportHTTP2
import Hummingbird
import LocalControlPlane
import Logging
import NIOCore
import ServiceLifecycle

/// `xds-load floor-server`: the floor a control plane is compared with. It serves the scenario's config as
/// pre-encoded responses on the xDS port and takes the load run's changes on the HTTP port, where the Consul double's
/// `/_double/move` would be, so the same phases drive both.
public struct FloorServer: Sendable {
    /// What carries the floor's ADS.
    public enum Transport: String, Sendable, CaseIterable {
        /// grpc-swift's server, which the control plane ran until 2026-12-04: what grpc-swift's layer costs.
        case grpc
        /// The control plane's own transport (`XDSServer`, on swift-nio-http2 directly).
        case nio
    }

    public let scenario: LoadScenario
    public let xdsPort: Int
    public let httpPort: Int
    public let transport: Transport

    public init(scenario: LoadScenario, xdsPort: Int, httpPort: Int, transport: Transport = .nio) {
        (self.scenario, self.xdsPort, self.httpPort, self.transport) = (scenario, xdsPort, httpPort, transport)
    }

    public func run() async throws {
        let resources = try await FloorResources(scenario: scenario)
        let streams = FloorStreams()
        let router = Router()
        router.get("/ready") { _, _ in "ready" }
        router.get("/v1/status/leader") { _, _ in "\"127.0.0.1:8300\"" }
        router.put("/_double/seed") { request, _ in
            let parameters = request.uri.queryParameters
            guard parameters["services"].flatMap({ Int(String($0)) }) == scenario.services,
                  parameters["instances"].flatMap({ Int(String($0)) }) == scenario.instances else {
                throw HTTPError(.badRequest, message: "the floor serves \(scenario.services) × \(scenario.instances)")
            }
            return HTTPResponse.Status.ok
        }
        router.put("/_double/move") { request, _ in
            let parameters = request.uri.queryParameters
            guard let id = parameters["id"].map(String.init), let port = parameters["port"].flatMap({ Int(String($0)) }),
                  (1...65535).contains(port), let dash = id.lastIndex(of: "-") else {
                throw HTTPError(.badRequest, message: "move needs id=<service>-0 and a port 1-65535")
            }
            streams.push(try resources.move(service: String(id[..<dash]), port: port))
            return HTTPResponse.Status.ok
        }
        let http = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: httpPort)))
        let ads: any Service = switch transport {
        case .grpc: GRPCServerService(server: grpcServer(resources: resources, streams: streams))
        case .nio:
            XDSServer(host: "127.0.0.1", port: xdsPort, tls: nil) { path, stream in
                FloorCall(path: path, output: stream, resources: resources, streams: streams)
            }
        }
        let services: [any Service] = [ads, http]
        try await ServiceGroup(configuration: .init(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "xds-load.floor"))).run()
    }

    private func grpcServer(resources: FloorResources, streams: FloorStreams) -> GRPCServer<HTTP2ServerTransport.Posix> {
        var transportConfig = HTTP2ServerTransport.Posix.Config.defaults
        // The same listen backlog as the control plane, so connection storms compare like for like.
        transportConfig.channelDebuggingCallbacks.onBindTCPListener = { channel in
            channel.setOption(ChannelOptions.backlog, value: 65_535)
        }
        return GRPCServer(
            transport: .http2NIOPosix(address: .ipv4(host: "127.0.0.1", port: xdsPort), transportSecurity: .plaintext, config: transportConfig),
            services: [FloorADSService(resources: resources, streams: streams)])
    }
}
