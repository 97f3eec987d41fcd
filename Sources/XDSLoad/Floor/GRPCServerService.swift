import GRPCCore
import GRPCNIOTransportHTTP2
import ServiceLifecycle

/// Runs the grpc-swift floor as a lifecycle `Service`. ADS streams never end on their own, so on shutdown
/// the server is cancelled rather than drained: Envoys keep their config and reconnect.
struct GRPCServerService: Service {
    let server: GRPCServer<HTTP2ServerTransport.Posix>

    init(server: GRPCServer<HTTP2ServerTransport.Posix>) {
        self.server = server
    }

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await server.serve()
            }
        } catch where Task.isShuttingDownGracefully {
            // The cancellation this service asked for surfaces as a transport error: a clean stop, not a failure.
        }
    }
}
