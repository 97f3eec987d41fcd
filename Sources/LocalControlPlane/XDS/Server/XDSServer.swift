import NIOCore
import NIOHTTP2
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Shared
import Synchronization

/// The xDS server: gRPC over HTTP/2 (mTLS when configured) on swift-nio-http2, each stream's call run by an
/// `XDSStreamHandler` on its event loop. On shutdown it stops listening and closes every connection rather than
/// draining: ADS streams never end on their own, and Envoys keep their config and reconnect.
public struct XDSServer: Service {
    /// What each stream's `:path` is served by (`DiscoveryService.call`, or the load tool's floor).
    public typealias CallFactory = @Sendable (_ path: String, _ stream: XDSStreamHandler) -> (any XDSCall)?

    let host: String
    let port: Int
    let tls: TLSIdentity?
    let makeCall: CallFactory
    private let connections = OpenConnections()

    public init(host: String, port: Int, tls: TLSIdentity?, makeCall: @escaping CallFactory) {
        (self.host, self.port, self.tls, self.makeCall) = (host, port, tls, makeCall)
    }

    public init(host: String, port: Int, tls: TLSIdentity?, discovery: DiscoveryService) {
        self.init(host: host, port: port, tls: tls) { path, stream in discovery.call(path, on: stream) }
    }

    public func run() async throws {
        let listener = try await listen()
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await listener.closeFuture.get()
        } onCancelOrGracefulShutdown: {
            listener.close(promise: nil)
            connections.closeAll()
        }
    }

    /// The listening channel (port 0: the kernel picks one; read it from `localAddress`).
    public func listen() async throws -> any Channel {
        let tlsContext = try tls.map { tls in
            var configuration = tls.serverConfiguration
            configuration.applicationProtocols = ["h2"]
            return try NIOSSLContext(configuration: configuration)
        }
        let (makeCall, connections) = (makeCall, connections)
        return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            // NIO listens with a backlog of 128: when thousands of Envoys reconnect at once (a restart), the rest of
            // their SYNs would be dropped and retried after 1 s, 3 s, 7 s… The kernel caps this at net.core.somaxconn.
            .serverChannelOption(.backlog, value: 65_535)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // A peer that vanished without a FIN is found by the kernel's probes, at no cost per message.
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            // Receive buffers are kept per connection with the capacity they grew to: NIO pools as many as the reads
            // it may do per wake-up (4 by default) and grows them as reads fill them (2 KB doubling to 64 KB). An ADS
            // connection's messages are small and few, so one read per wake-up into one 2 KB buffer. Measured
            // (heaptrack, 3,000 connections): the pool held about 9 KB per connection, then 7 KB with one read.
            .childChannelOption(.maxMessagesPerRead, value: 1)
            .childChannelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 2048))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    connections.add(channel)
                    if let tlsContext { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tlsContext)) }
                    _ = try channel.pipeline.syncOperations.configureHTTP2Pipeline(
                        mode: .server, connectionConfiguration: Self.connection, streamConfiguration: Self.stream
                    ) { stream in
                        stream.eventLoop.makeCompletedFuture {
                            try stream.pipeline.syncOperations.addHandler(XDSStreamHandler { path, handler in makeCall(path, handler) })
                        }
                    }
                }
            }
            .bind(host: host, port: port).get()
    }

    /// grpc-swift's server settings, which Envoys have been served with: 64 KB windows, 16 KB frames, no stream limit.
    private static let windowSize = 65_535

    private static var connection: NIOHTTP2Handler.ConnectionConfiguration {
        var configuration = NIOHTTP2Handler.ConnectionConfiguration()
        configuration.targetWindowSize = windowSize
        configuration.initialSettings = [
            HTTP2Setting(parameter: .initialWindowSize, value: windowSize),
            HTTP2Setting(parameter: .maxFrameSize, value: 1 << 14),
        ]
        return configuration
    }

    private static var stream: NIOHTTP2Handler.StreamConfiguration {
        var configuration = NIOHTTP2Handler.StreamConfiguration()
        configuration.targetWindowSize = windowSize
        return configuration
    }
}

/// The server's open connections, to close at shutdown.
private final class OpenConnections: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    func add(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        channels.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in self?.channels.withLock { _ = $0.removeValue(forKey: id) } }
    }

    func closeAll() {
        for channel in channels.withLock({ Array($0.values) }) { channel.close(promise: nil) }
    }
}
