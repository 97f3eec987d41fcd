import EnvoyAPI
import GRPCCore
import LocalControlPlane
import NIOCore

/// A floor stream on the control plane's own transport (`XDSServer`): the same answers as `FloorADSService`, with
/// the control plane's HTTP/2 and gRPC handling, so the two differ only in what is generated per change.
final class FloorCall: XDSCall {
    private let delta: Bool
    private let resources: FloorResources
    private let streams: FloorStreams
    private unowned let output: XDSStreamHandler
    private var state = FloorStreamState()
    private var registration: Int?

    private typealias Methods = Envoy_Service_Discovery_V3_AggregatedDiscoveryService.Method

    /// The call for an ADS path; nil for any other.
    init?(path: String, output: XDSStreamHandler, resources: FloorResources, streams: FloorStreams) {
        switch path {
        case "/" + Methods.StreamAggregatedResources.descriptor.fullyQualifiedMethod: delta = false
        case "/" + Methods.DeltaAggregatedResources.descriptor.fullyQualifiedMethod: delta = true
        default: return nil
        }
        (self.output, self.resources, self.streams) = (output, resources, streams)
    }

    func receive(_ message: [UInt8]) throws {
        let request = delta
            ? try Envoy_Service_Discovery_V3_DeltaDiscoveryRequest.deserializer.deserialize(message).floorRequest
            : try Envoy_Service_Discovery_V3_DiscoveryRequest.deserializer.deserialize(message).floorRequest
        let response = state.answer(request, resources: resources, delta: delta) { group in
            let call = NIOLoopBound(self, eventLoop: output.eventLoop)
            registration = streams.add({ push in call.eventLoop.execute { call.value.deliver(push) } }, group: group)
        }
        if let response { output.write(response) }
    }

    func resumed() {}

    func close() {
        if let group = state.group, let registration { streams.remove(registration, group: group) }
        registration = nil
    }

    private func deliver(_ push: FloorResources.Push) {
        guard let response = state.answer(push, delta: delta) else { return }
        output.write(response)
        output.flush()
    }
}
