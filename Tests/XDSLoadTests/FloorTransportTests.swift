import EnvoyAPI
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import LocalControlPlane
import NIOCore
import SwiftProtobuf
import Testing

@testable import XDSLoad

/// The floor on the control plane's transport (`XDSServer`: gRPC on swift-nio-http2, framing by hand) as grpc-swift's
/// client sees it: the same answers as the grpc-swift floor, well-formed messages, a status at the end of every call.
@Suite("xds-load floor on the control plane's transport (XDSServer)")
struct FloorTransportTests {
    private typealias Request = Envoy_Service_Discovery_V3_DiscoveryRequest
    private typealias Response = Envoy_Service_Discovery_V3_DiscoveryResponse
    private typealias DeltaRequest = Envoy_Service_Discovery_V3_DeltaDiscoveryRequest
    private typealias DeltaResponse = Envoy_Service_Discovery_V3_DeltaDiscoveryResponse

    private static let group = 1

    private func scenario() -> LoadScenario {
        var scenario = LoadScenario()
        (scenario.streams, scenario.groups, scenario.dependencies, scenario.services, scenario.instances) = (20, 4, 2, 12, 3)
        return scenario
    }

    /// `compressing`: the client gzips its messages.
    private func withServer(
        compressing: Bool = false, _ body: (FloorResources, FloorStreams, GRPCClient<HTTP2ClientTransport.Posix>) async throws -> Void
    ) async throws {
        let resources = try await FloorResources(scenario: scenario())
        let streams = FloorStreams()
        let server = XDSServer(host: "127.0.0.1", port: 0, tls: nil) { path, stream in
            FloorCall(path: path, output: stream, resources: resources, streams: streams)
        }
        let listener = try await server.listen()
        defer { listener.close(promise: nil) }
        let port = try #require(listener.localAddress?.port)
        var config = HTTP2ClientTransport.Posix.Config.defaults
        if compressing { config.compression = .init(algorithm: .gzip, enabledAlgorithms: .gzip) }
        try await withGRPCClient(
            transport: try .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext, config: config)
        ) { client in
            try await body(resources, streams, client)
        }
    }

    private func request<Message: NoncedRequest>(_: Message.Type, _ typeURL: String, nonce: String = "") -> Message {
        var message = Message()
        message.node.cluster = "app-\(Self.group)"
        message.typeURL = typeURL
        message.responseNonce = nonce
        return message
    }

    @Test("SotW: each first request gets its group's body with the next nonce, an ACK gets nothing, a move is pushed, the end is OK")
    func stateOfTheWorld() async throws {
        try await withServer { resources, streams, client in
            let (requests, continuation) = AsyncStream<Request>.makeStream()
            continuation.yield(request(Request.self, ResourceTypeURL.cluster))
            try await ADSClient(wrapping: client).streamAggregatedResources(
                request: StreamingClientRequest { writer in for await message in requests { try await writer.write(message) } }
            ) { response in
                var messages = response.messages.makeAsyncIterator()
                let clusters = try #require(try await messages.next())
                var expected = try Response(serializedBytes: resources.body(group: Self.group, type: .cluster, delta: false))
                expected.nonce = "1"
                #expect(clusters == expected)

                continuation.yield(request(Request.self, ResourceTypeURL.cluster, nonce: "1"))
                continuation.yield(request(Request.self, ResourceTypeURL.endpoints))
                let endpoints = try #require(try await messages.next())
                #expect(endpoints.typeURL == ResourceTypeURL.endpoints && endpoints.nonce == "2", "the ACK was not answered")

                let service = try #require(scenario().dependencies(ofGroup: Self.group).last)
                let pushes = try resources.move(service: service, port: 20_001)
                streams.push(pushes)
                let pushed = try #require(try await messages.next())
                expected = try Response(serializedBytes: try #require(pushes[Self.group]).sotwBody)
                expected.nonce = "3"
                #expect(pushed == expected)

                continuation.finish()
                #expect(try await messages.next() == nil, "the call ended with status OK")
            }
        }
    }

    @Test("delta: the group's delta body, then the pushed change with the next nonce")
    func delta() async throws {
        try await withServer { resources, streams, client in
            let (requests, continuation) = AsyncStream<DeltaRequest>.makeStream()
            continuation.yield(request(DeltaRequest.self, ResourceTypeURL.endpoints))
            try await ADSClient(wrapping: client).deltaAggregatedResources(
                request: StreamingClientRequest { writer in for await message in requests { try await writer.write(message) } }
            ) { response in
                var messages = response.messages.makeAsyncIterator()
                let endpoints = try #require(try await messages.next())
                var expected = try DeltaResponse(serializedBytes: resources.body(group: Self.group, type: .endpoint, delta: true))
                expected.nonce = "1"
                #expect(endpoints == expected)

                let pushes = try resources.move(service: "s0000", port: 20_002)
                streams.push(pushes)
                let pushed = try #require(try await messages.next())
                expected = try DeltaResponse(serializedBytes: try #require(pushes[Self.group]).deltaBody)
                expected.nonce = "2"
                #expect(pushed == expected)
                continuation.finish()
                #expect(try await messages.next() == nil)
            }
        }
    }

    @Test("a method it does not serve ends with UNIMPLEMENTED")
    func unknownMethod() async throws {
        try await withServer { _, _, client in
            let unknown = MethodDescriptor(fullyQualifiedService: "envoy.service.discovery.v3.AggregatedDiscoveryService", method: "Nothing")
            await #expect {
                try await client.bidirectionalStreaming(
                    request: StreamingClientRequest<Request> { _ in }, descriptor: unknown,
                    serializer: ProtobufSerializer(), deserializer: ProtobufDeserializer<Response>(), options: .defaults
                ) { response in try await response.messages.reduce(0) { count, _ in count + 1 } }
            } throws: { ($0 as? RPCError)?.code == .unimplemented }
        }
    }

    @Test("a compressed message (no encoding is offered) ends the call with UNIMPLEMENTED, as gRPC asks")
    func compressedMessage() async throws {
        try await withServer(compressing: true) { _, _, client in
            await #expect {
                try await ADSClient(wrapping: client).streamAggregatedResources(
                    request: StreamingClientRequest { writer in try await writer.write(request(Request.self, ResourceTypeURL.cluster)) }
                ) { response in try await response.messages.reduce(0) { count, _ in count + 1 } }
            } throws: { ($0 as? RPCError)?.code == .unimplemented }
        }
    }
}

/// The requests the tests build: opening fields and an ACK's nonce.
private protocol NoncedRequest: OpeningRequest {
    var responseNonce: String { get set }
}

extension Envoy_Service_Discovery_V3_DiscoveryRequest: NoncedRequest {}
extension Envoy_Service_Discovery_V3_DeltaDiscoveryRequest: NoncedRequest {}
