import AsyncHTTPClient
import NIOPosix

/// The HTTP clients Consul watches share. async-http-client's connection pool does bookkeeping in proportion to its
/// open connections on every request; a thousand blocking queries through one pool made that quadratic, and in a
/// debug build on 2 cores the pool fell so far behind that request timeouts and reconnects fed on each other (the
/// first sync of 1,001 services took over 120 s). Watches are spread by name over pools of about
/// `connectionsPerPool` each; a pool never makes a watch queue for a connection. The watches have an event loop of
/// their own: the xDS server handles every request on its stream's event loop, and in a reconnect storm Consul's
/// connects queued behind thousands of streams' reads timed out (a restart of 3,000 streams took 68 s instead of 24 s).
public final class ConsulConnections: Sendable {
    public static let connectionsPerPool = 128
    private let clients: [HTTPClient]
    private let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    public init(maxConcurrentWatches: Int) {
        let pools = min(16, max(1, maxConcurrentWatches / Self.connectionsPerPool))
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = maxConcurrentWatches
        configuration.timeout.connect = .seconds(3)
        clients = (0..<pools).map { [eventLoops] _ in HTTPClient(eventLoopGroupProvider: .shared(eventLoops), configuration: configuration) }
    }

    /// The client of the pool `key` (a request path) belongs to: the same one every time.
    func client(for key: String) -> HTTPClient {
        let hash = key.utf8.reduce(UInt64(0xcbf2_9ce4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }  // FNV-1a
        return clients[Int(hash % UInt64(clients.count))]
    }

    public func shutdown() async throws {
        for client in clients { try await client.shutdown() }
        try await eventLoops.shutdownGracefully()
    }
}
