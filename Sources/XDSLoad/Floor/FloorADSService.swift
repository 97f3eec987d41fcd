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
        register(Methods.StreamAggregatedResources.descriptor, Envoy_Service_Discovery_V3_DiscoveryRequest.self, delta: false, with: &router)
        register(Methods.DeltaAggregatedResources.descriptor, Envoy_Service_Discovery_V3_DeltaDiscoveryRequest.self, delta: true, with: &router)
    }

    private func register<Request: FloorReadable, Transport: ServerTransport>(
        _ method: MethodDescriptor, _: Request.Type, delta: Bool, with router: inout RPCRouter<Transport>
    ) {
        router.registerHandler(
            forMethod: method, deserializer: Request.deserializer, serializer: EncodedResponseSerializer(),
            handler: { request, _ in
                serve(request.messages.map(\.floorRequest), delta: delta)
            })
    }

    private func serve(_ requests: some AsyncSequence<FloorRequest, any Error> & Sendable, delta: Bool) -> StreamingServerResponse<EncodedResponse> {
        StreamingServerResponse { writer in
            let (events, continuation) = AsyncStream<Event>.makeStream()
            let reader = Task {
                do {
                    for try await request in requests { continuation.yield(.request(request)) }
                } catch {}
                continuation.finish()
            }
            defer { reader.cancel() }
            var state = FloorStreamState()
            var registration: Int?
            defer { if let group = state.group, let registration { streams.remove(registration, group: group) } }
            for await event in events {
                let response: EncodedResponse?
                switch event {
                case .request(let request):
                    response = state.answer(request, resources: resources, delta: delta) { group in
                        registration = streams.add({ continuation.yield(.push($0)) }, group: group)
                    }
                case .push(let push):
                    response = state.answer(push, delta: delta)
                }
                if let response { try await writer.write(response) }
            }
            return [:]
        }
    }

    /// What a stream's writer waits on: its own requests and the pushes to its group.
    private enum Event: Sendable {
        case request(FloorRequest)
        case push(FloorResources.Push)
    }
}

/// The fields both ADS request variants have and the floor reads.
protocol FloorReadable: SwiftProtobuf.Message, Sendable {
    /// The node's field number, and the names' kept encoded, read apart as the control plane reads them (only a
    /// stream's first node is used; the names are never read).
    static var nodeField: UInt64 { get }
    static var namesField: UInt64? { get }
    var hasNode: Bool { get }
    var node: Envoy_Config_Core_V3_Node { get }
    var typeURL: String { get }
    var responseNonce: String { get }
}

extension FloorReadable {
    static var deserializer: NodeDeferringDeserializer<Self> { NodeDeferringDeserializer(nodeField: nodeField, namesField: namesField) }
}

extension Envoy_Service_Discovery_V3_DiscoveryRequest: FloorReadable {
    static let nodeField: UInt64 = 2
    static let namesField: UInt64? = 3
}

extension Envoy_Service_Discovery_V3_DeltaDiscoveryRequest: FloorReadable {
    static let nodeField: UInt64 = 1
    static let namesField: UInt64? = nil
}

extension IncomingRequest where Message: FloorReadable {
    var floorRequest: FloorRequest {
        FloorRequest(node: { try? node(in: \.node, present: \.hasNode) }, typeURL: message.typeURL, nonce: message.responseNonce)
    }
}

/// What the floor reads from a request of either ADS variant.
struct FloorRequest: Sendable {
    /// Decodes the node the request carried (the floor asks only for a stream's first).
    let node: @Sendable () -> Envoy_Config_Core_V3_Node?
    let typeURL: String
    let nonce: String
}

/// The floor's open streams by group, to push changes to: each stream registers how a push reaches it.
final class FloorStreams: Sendable {
    typealias Deliver = @Sendable (FloorResources.Push) -> Void

    private struct State {
        var byGroup: [Int: [Int: Deliver]] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())

    func add(_ deliver: @escaping Deliver, group: Int) -> Int {
        state.withLock { state in
            state.nextID += 1
            state.byGroup[group, default: [:]][state.nextID] = deliver
            return state.nextID
        }
    }

    func remove(_ id: Int, group: Int) {
        state.withLock { _ = $0.byGroup[group]?.removeValue(forKey: id) }
    }

    func push(_ pushes: [Int: FloorResources.Push]) {
        let targets = state.withLock { state in pushes.map { (state.byGroup[$0.key].map { Array($0.values) } ?? [], $0.value) } }
        for (deliveries, push) in targets {
            for deliver in deliveries { deliver(push) }
        }
    }
}
