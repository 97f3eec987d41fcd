import EnvoyAPI
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import SwiftProtobuf
import Synchronization

typealias ADSClient = Envoy_Service_Discovery_V3_AggregatedDiscoveryService.Client<HTTP2ClientTransport.Posix>

/// One simulated Envoy: an ADS stream that subscribes, ACKs and follows its config as Envoy does (CDS and LDS
/// wildcard, EDS for the EDS clusters it got, RDS for the routes its listeners name), reconnecting with Envoy's
/// fully jittered backoff (`EnvoyBackoff`) when the stream ends.
struct SimulatedEnvoy: Sendable {
    let stream: Int
    let node: Envoy_Config_Core_V3_Node
    let xdsProtocol: LoadScenario.XDSProtocol
    let nodeOnFirstMessageOnly: Bool
    let recorder: LoadRecorder
    let digests: ResourceDigests

    func run(_ client: ADSClient) async {
        var backoff = EnvoyBackoff()
        while !Task.isCancelled {
            let answered = AnswerFlag()
            do {
                switch xdsProtocol {
                case .sotw: try await sotw(client, answered: answered)
                case .delta: try await delta(client, answered: answered)
                }
            } catch {}
            recorder.disconnected(stream)
            if answered.value.load(ordering: .relaxed) { backoff.reset() }
            try? await Task.sleep(for: backoff.next())
        }
    }

    /// Whether the server sent anything on this attempt's stream: Envoy resets its backoff on a received message.
    private final class AnswerFlag: Sendable {
        let value = Atomic(false)
    }

    /// A stream waits for its channel's next reconnect (scheduled as Envoy's, `EnvoyBackoff.channelReconnects`)
    /// instead of failing at once and adding its own backoff on top, so one schedule governs, as in Envoy.
    private static let options: CallOptions = {
        var options = CallOptions.defaults
        options.waitForReady = true
        return options
    }()

    /// The request side of one ADS call, opened as Envoy opens it: the node with the CDS subscription, then LDS;
    /// the continuation sends everything after. Like Envoy, every request carries the node unless
    /// `set_node_on_first_message_only` (`nodeOnFirstMessageOnly`) is set.
    private func openRequests<Request: OpeningRequest>(
        of type: Request.Type
    ) -> (StreamingClientRequest<Request>, AsyncStream<Request>.Continuation) {
        let (outgoing, continuation) = AsyncStream<Request>.makeStream()
        var clusters = Request()
        clusters.node = node
        clusters.typeURL = ResourceTypeURL.cluster
        var listeners = Request()
        listeners.typeURL = ResourceTypeURL.listener
        if !nodeOnFirstMessageOnly { listeners.node = node }
        continuation.yield(clusters)
        continuation.yield(listeners)
        let request = StreamingClientRequest<Request> { writer in
            for await message in outgoing { try await writer.write(message) }
        }
        return (request, continuation)
    }

    // MARK: state of the world

    private func sotw(_ client: ADSClient, answered: AnswerFlag) async throws {
        let (request, continuation) = openRequests(of: Envoy_Service_Discovery_V3_DiscoveryRequest.self)
        defer { continuation.finish() }
        try await client.streamAggregatedResources(
            request: request, serializer: try NodeSplicingSerializer(node: node),
            deserializer: ProtobufDeserializer<Envoy_Service_Discovery_V3_DiscoveryResponse>(), options: Self.options
        ) { response in
            var tracker = ConfigTracker(stream: stream, recorder: recorder)
            var acked: [String: (version: String, nonce: String)] = [:]
            func send(_ typeURL: String, names: [String]) {
                var message = Envoy_Service_Discovery_V3_DiscoveryRequest()
                if !nodeOnFirstMessageOnly { message.node = node }
                message.typeURL = typeURL
                message.resourceNames = names
                message.versionInfo = acked[typeURL]?.version ?? ""
                message.responseNonce = acked[typeURL]?.nonce ?? ""
                continuation.yield(message)
            }
            for try await message in response.messages {
                answered.value.store(true, ordering: .relaxed)
                recorder.received(bytes: message.resources.reduce(0) { $0 + $1.value.count })
                acked[message.typeURL] = (message.versionInfo, message.nonce)
                let change = tracker.apply(message.typeURL, resources: digests.digests(message.resources).map { (nil, $0) }, replacesAll: true)
                send(message.typeURL, names: tracker.names(of: message.typeURL))
                if let change { send(change.typeURL, names: change.new) }
            }
        }
    }

    // MARK: delta

    private func delta(_ client: ADSClient, answered: AnswerFlag) async throws {
        let (request, continuation) = openRequests(of: Envoy_Service_Discovery_V3_DeltaDiscoveryRequest.self)
        defer { continuation.finish() }
        try await client.deltaAggregatedResources(
            request: request, serializer: try NodeSplicingSerializer(node: node),
            deserializer: ProtobufDeserializer<Envoy_Service_Discovery_V3_DeltaDiscoveryResponse>(), options: Self.options
        ) { response in
            var tracker = ConfigTracker(stream: stream, recorder: recorder)
            for try await message in response.messages {
                answered.value.store(true, ordering: .relaxed)
                recorder.received(bytes: message.resources.reduce(0) { $0 + $1.resource.value.count })
                let change = tracker.apply(
                    message.typeURL,
                    resources: zip(message.resources, digests.digests(message.resources.map(\.resource))).map { ($0.name, $1) },
                    removed: message.removedResources, replacesAll: false)
                var ack = Envoy_Service_Discovery_V3_DeltaDiscoveryRequest()
                if !nodeOnFirstMessageOnly { ack.node = node }
                ack.typeURL = message.typeURL
                ack.responseNonce = message.nonce
                continuation.yield(ack)
                if let change {
                    var subscribe = Envoy_Service_Discovery_V3_DeltaDiscoveryRequest()
                    if !nodeOnFirstMessageOnly { subscribe.node = node }
                    subscribe.typeURL = change.typeURL
                    subscribe.resourceNamesSubscribe = change.new.filter { !change.old.contains($0) }
                    subscribe.resourceNamesUnsubscribe = change.old.filter { !change.new.contains($0) }
                    continuation.yield(subscribe)
                }
            }
        }
    }
}

/// What the generator sets in both ADS variants' requests, and how `NodeSplicingSerializer` takes the node out.
protocol OpeningRequest: SwiftProtobuf.Message {
    var node: Envoy_Config_Core_V3_Node { get set }
    var hasNode: Bool { get }
    mutating func clearNode()
    var typeURL: String { get set }
}

extension Envoy_Service_Discovery_V3_DiscoveryRequest: OpeningRequest {}
extension Envoy_Service_Discovery_V3_DeltaDiscoveryRequest: OpeningRequest {}
