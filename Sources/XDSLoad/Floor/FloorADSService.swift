import EnvoyAPI
import Foundation
import GRPCCore
import GRPCProtobuf
import LocalControlPlane
import SwiftProtobuf
import Synchronization

/// The floor's ADS: answers each first request of a type (no nonce) with its group's pre-encoded body and pushes
/// changes to every stream of the groups they reach; ACKs are read and dropped. Nothing is decided per stream but
/// the nonce, which is what makes it the floor against which the control plane is measured.
struct FloorADSService: RegistrableRPCService {
    private typealias Methods = Envoy_Service_Discovery_V3_AggregatedDiscoveryService.Method
    let resources: FloorResources
    let streams: FloorStreams

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        // Field numbers of the node, read apart as the control plane reads it (only a stream's first node is used).
        register(Methods.StreamAggregatedResources.descriptor, Envoy_Service_Discovery_V3_DiscoveryRequest.self, nodeField: 2, delta: false, with: &router)
        register(Methods.DeltaAggregatedResources.descriptor, Envoy_Service_Discovery_V3_DeltaDiscoveryRequest.self, nodeField: 1, delta: true, with: &router)
    }

    private func register<Request: FloorReadable, Transport: ServerTransport>(
        _ method: MethodDescriptor, _: Request.Type, nodeField: UInt64, delta: Bool, with router: inout RPCRouter<Transport>
    ) {
        router.registerHandler(
            forMethod: method, deserializer: NodeDeferringDeserializer<Request>(nodeField: nodeField), serializer: EncodedResponseSerializer(),
            handler: { request, _ in
                serve(request.messages.map { incoming in
                    FloorRequest(node: { try? incoming.node(in: \.node, present: \.hasNode) }, typeURL: incoming.message.typeURL, nonce: incoming.message.responseNonce)
                }, delta: delta)
            })
    }

    private func serve(_ requests: some AsyncSequence<FloorRequest, any Error> & Sendable, delta: Bool) -> StreamingServerResponse<EncodedResponse> {
        StreamingServerResponse { writer in
            let (events, continuation) = AsyncStream<FloorStreams.Event>.makeStream()
            let reader = Task {
                do {
                    for try await request in requests { continuation.yield(.request(request)) }
                } catch {}
                continuation.finish()
            }
            defer { reader.cancel() }
            var group: Int?
            var registration: Int?
            var nonce = 0
            var sentEndpoints = false
            defer { if let group, let registration { streams.remove(registration, group: group) } }
            for await event in events {
                let response: (type: ResourceType, body: [UInt8])
                switch event {
                case .request(let request):
                    if group == nil, let node = request.node() {
                        group = Int(node.cluster.dropFirst("app-".count)).map { $0 % resources.scenario.groups }
                        if let group { registration = streams.add(continuation, group: group) }
                    }
                    guard let group, request.nonce.isEmpty, let type = ResourceType(rawValue: request.typeURL) else { continue }
                    sentEndpoints = sentEndpoints || type == .endpoint
                    response = (type, resources.body(group: group, type: type, delta: delta))
                case .push(let push):
                    guard sentEndpoints else { continue }
                    response = (.endpoint, delta ? push.deltaBody : push.sotwBody)
                }
                nonce += 1
                try await writer.write(EncodedResponse(typeURL: response.type.typeURL, body: response.body, nonce: String(nonce)))
            }
            return [:]
        }
    }
}

/// The fields both ADS request variants have and the floor reads.
protocol FloorReadable: SwiftProtobuf.Message, Sendable {
    var hasNode: Bool { get }
    var node: Envoy_Config_Core_V3_Node { get }
    var typeURL: String { get }
    var responseNonce: String { get }
}

extension Envoy_Service_Discovery_V3_DiscoveryRequest: FloorReadable {}
extension Envoy_Service_Discovery_V3_DeltaDiscoveryRequest: FloorReadable {}

/// What the floor reads from a request of either ADS variant.
struct FloorRequest: Sendable {
    /// Decodes the node the request carried (the floor asks only for a stream's first).
    let node: @Sendable () -> Envoy_Config_Core_V3_Node?
    let typeURL: String
    let nonce: String
}

/// The floor's open streams by group, to push changes to.
final class FloorStreams: Sendable {
    enum Event: Sendable {
        case request(FloorRequest)
        case push(FloorResources.Push)
    }

    private struct State {
        var byGroup: [Int: [Int: AsyncStream<Event>.Continuation]] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())

    func add(_ continuation: AsyncStream<Event>.Continuation, group: Int) -> Int {
        state.withLock { state in
            state.nextID += 1
            state.byGroup[group, default: [:]][state.nextID] = continuation
            return state.nextID
        }
    }

    func remove(_ id: Int, group: Int) {
        state.withLock { _ = $0.byGroup[group]?.removeValue(forKey: id) }
    }

    func push(_ pushes: [Int: FloorResources.Push]) {
        let targets = state.withLock { state in pushes.map { (state.byGroup[$0.key].map { Array($0.values) } ?? [], $0.value) } }
        for (continuations, push) in targets {
            for continuation in continuations { continuation.yield(.push(push)) }
        }
    }
}
