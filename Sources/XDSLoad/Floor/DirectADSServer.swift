import NIOCore
import NIOHTTP2
import NIOPosix
import ServiceLifecycle

/// The floor's ADS on swift-nio-http2 directly, without grpc-swift: the same HTTP/2 settings as grpc-swift's server
/// (65,535-byte windows, 16 KB frames, no stream limit) and the same answers, so the two floors differ only in the
/// gRPC layer. How much of a response's cost is grpc-swift's is the difference between them.
struct DirectADSServer: Service {
    let port: Int
    let resources: FloorResources
    let streams: FloorStreams

    func run() async throws {
        let listener = try await listen()
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await listener.closeFuture.get()
        } onCancelOrGracefulShutdown: {
            listener.close(promise: nil)
        }
    }

    /// The listening channel (port 0: the kernel picks one, read it from `localAddress`).
    func listen() async throws -> any Channel {
        let (resources, streams) = (resources, streams)
        return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 65_535)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    _ = try channel.pipeline.syncOperations.configureHTTP2Pipeline(
                        mode: .server, connectionConfiguration: Self.connection, streamConfiguration: Self.stream
                    ) { stream in
                        stream.eventLoop.makeCompletedFuture {
                            try stream.pipeline.syncOperations.addHandler(DirectADSStreamHandler(resources: resources, streams: streams))
                        }
                    }
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
    }

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
