import EnvoyAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Synchronization
import Testing

@testable import LocalControlPlane
@testable import Shared

/// The control plane's real xDS server on loopback (in-process, HTTP/2) and raw clients that talk to it like Envoy does.
struct ADSTestHarness {
    let cache: SnapshotCache
    let streams: StreamRegistry
    let port: Int

    /// Runs `body` with a server serving `catalog`; the server stops when `body` returns.
    static func with(
        catalog: ServiceCatalog, _ body: (ADSTestHarness) async throws -> Void
    ) async throws {
        let cache = SnapshotCache(datacenter: "dc1", properties: Fixtures.strict)
        await cache.apply(catalog)
        let streams = StreamRegistry()
        let server = XDSServer(
            host: "127.0.0.1", port: 0, tls: nil,
            discovery: DiscoveryService(cache: cache, registry: streams, controlPlaneId: "test", properties: Fixtures.strict))
        let listener = try await server.listen()
        defer { listener.close(promise: nil) }
        let port = try #require(listener.localAddress?.port)
        try await body(ADSTestHarness(cache: cache, streams: streams, port: port))
    }

    /// Opens one ADS stream (SotW or delta) and hands `body` a conversation to drive it.
    func conversation<Request: Sendable, Response: Sendable>(
        _ call: @escaping @Sendable (Envoy_Service_Discovery_V3_AggregatedDiscoveryService.Client<HTTP2ClientTransport.Posix>,
            StreamingClientRequest<Request>, @Sendable @escaping (StreamingClientResponse<Response>) async throws -> Void) async throws -> Void,
        _ body: (Conversation<Request, Response>) async throws -> Void
    ) async throws {
        let conversation = Conversation<Request, Response>()
        try await withGRPCClient(
            transport: try .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)
        ) { client in
            let ads = Envoy_Service_Discovery_V3_AggregatedDiscoveryService.Client(wrapping: client)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    let request = StreamingClientRequest<Request> { writer in
                        for await message in conversation.outgoing { try await writer.write(message) }
                    }
                    do {
                        try await call(ads, request) { response in
                            for try await message in response.messages { conversation.deliver(message) }
                            conversation.finish()
                        }
                    } catch {
                        conversation.finish(throwing: error)
                    }
                }
                try await body(conversation)
                conversation.outgoingContinuation.finish()
                group.cancelAll()
            }
        }
    }

    func sotw(_ body: (Conversation<DiscoveryRequest, DiscoveryResponse>) async throws -> Void) async throws {
        try await conversation({ ads, request, onResponse in
            try await ads.streamAggregatedResources(request: request, onResponse: onResponse)
        }, body)
    }

    func delta(_ body: (Conversation<DeltaDiscoveryRequest, DeltaDiscoveryResponse>) async throws -> Void) async throws {
        try await conversation({ ads, request, onResponse in
            try await ads.deltaAggregatedResources(request: request, onResponse: onResponse)
        }, body)
    }
}

/// One open stream: `send` requests, `receive` the next response or see that none comes.
final class Conversation<Request: Sendable, Response: Sendable>: Sendable {
    let outgoing: AsyncStream<Request>
    let outgoingContinuation: AsyncStream<Request>.Continuation
    private let received = Mutex<(responses: [Response], error: (any Error)?, finished: Bool)>(([], nil, false))

    init() {
        (outgoing, outgoingContinuation) = AsyncStream.makeStream()
    }

    func send(_ request: Request) {
        outgoingContinuation.yield(request)
    }

    func deliver(_ response: Response) {
        received.withLock { $0.responses.append(response) }
    }

    func finish(throwing error: (any Error)? = nil) {
        received.withLock {
            $0.error = error
            $0.finished = true
        }
    }

    /// The next response, or `nil` if none arrives within `timeout`; throws the stream's error once it ended.
    func receive(within timeout: Duration = .seconds(5)) async throws -> Response? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let next: Result<Response?, any Error>? = received.withLock { state in
                if !state.responses.isEmpty { return .success(state.responses.removeFirst()) }
                if let error = state.error { return .failure(error) }
                return state.finished ? .success(nil) : nil
            }
            if let next { return try next.get() }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }
}
